package io.protorpc.testkit;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Compressor;

/** The built-in {@code identity} compressor passes the suite (it has no bomb: output = input). */
class IdentityCompressorConformanceTest extends CompressorConformanceSuite {
  private final Compressor identity = PluginRegistry.find(Compressor.class, "identity");

  @Override
  protected Compressor compressor() {
    return identity;
  }
}
