package io.protorpc.examples.plugin;

import io.protorpc.spi.Framing;
import io.protorpc.testkit.FramingConformanceSuite;

/** Step 3 of writing a plugin: the testkit's suite proves the framing does what the core expects. */
public class VarintFramingConformanceTest extends FramingConformanceSuite {
  @Override
  protected Framing framing() {
    return new VarintFraming();
  }
}
