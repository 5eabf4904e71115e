package io.protorpc.codec.compress;

import io.protorpc.spi.Compressor;
import io.protorpc.testkit.CompressorConformanceSuite;

/** zstd with a trained dictionary passes the conformance suite. */
class ZstdDictionaryConformanceTest extends CompressorConformanceSuite {
  private final Compressor compressor =
      new ZstdCompressor(3, ZstdDictionary.train(Samples.orders(2000, 1), 8 * 1024));

  @Override
  protected Compressor compressor() {
    return compressor;
  }

  /** A dictionary-less bomb that declares its size: refused from the header alone. */
  @Override
  protected byte[] bomb(long decompressedBytes) {
    return Bombs.zstd(decompressedBytes, true);
  }
}
