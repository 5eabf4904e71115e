package io.protorpc.codec.compress;

import io.protorpc.spi.Compressor;
import io.protorpc.testkit.CompressorConformanceSuite;

/** gzip at the default level passes the conformance suite. */
class GzipConformanceTest extends CompressorConformanceSuite {
  private final Compressor compressor = new GzipCompressor();

  @Override
  protected Compressor compressor() {
    return compressor;
  }

  @Override
  protected byte[] bomb(long decompressedBytes) {
    return Bombs.gzip(decompressedBytes);
  }
}
