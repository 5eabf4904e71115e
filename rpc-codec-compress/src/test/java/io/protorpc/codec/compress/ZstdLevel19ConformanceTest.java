package io.protorpc.codec.compress;

import io.protorpc.spi.Compressor;
import io.protorpc.testkit.CompressorConformanceSuite;

/** zstd at level 19 (much bigger contexts and match state) passes the conformance suite. */
class ZstdLevel19ConformanceTest extends CompressorConformanceSuite {
  private final Compressor compressor = new ZstdCompressor(19);

  @Override
  protected Compressor compressor() {
    return compressor;
  }
}
