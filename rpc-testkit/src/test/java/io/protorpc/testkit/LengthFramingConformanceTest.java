package io.protorpc.testkit;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Framing;

/** The built-in {@code length} framing passes the framing suite. */
class LengthFramingConformanceTest extends FramingConformanceSuite {
  @Override
  protected Framing framing() {
    // io.protorpc.builtin is not exported: the built-ins are reached by name, as users reach them
    return PluginRegistry.find(Framing.class, "length");
  }
}
