package io.protorpc.codec.compress;

import io.protorpc.spi.Compressor;
import io.protorpc.testkit.CompressorConformanceSuite;

/** zstd at the default level passes the conformance suite. */
class ZstdConformanceTest extends CompressorConformanceSuite {
  private static byte[] bomb;
  private final Compressor compressor = new ZstdCompressor();

  @Override
  protected Compressor compressor() {
    return compressor;
  }

  /** A frame that does not declare its size: the decoder must stop at the limit by itself. */
  @Override
  protected synchronized byte[] bomb(long decompressedBytes) {
    if (bomb == null) {
      bomb = Bombs.zstd(decompressedBytes, false);
    }
    return bomb;
  }
}
