package io.protorpc.testkit;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Framing;

/** The built-in {@code delimiter} framing passes the framing suite. */
class DelimiterFramingConformanceTest extends FramingConformanceSuite {
  @Override
  protected Framing framing() {
    return PluginRegistry.find(Framing.class, "delimiter");
  }
}
