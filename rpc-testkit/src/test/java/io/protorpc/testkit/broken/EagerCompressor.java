package io.protorpc.testkit.broken;

import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import java.nio.ByteBuffer;

/**
 * Deliberately broken: an identity compressor whose decompression allocates the whole output
 * limit up front. The memory check of {@code CompressorConformanceSuite} must refuse it.
 */
public final class EagerCompressor implements Compressor {
  public EagerCompressor() {}

  @Override
  public String name() {
    return "eager";
  }

  @Override
  public ByteBuffer compress(ByteBuffer input) {
    return ByteBuffer.allocate(input.remaining()).put(input.duplicate()).flip();
  }

  @Override
  public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes)
      throws LimitExceededException {
    if (input.remaining() > maxOutputBytes) {
      throw new LimitExceededException("output over the limit of " + maxOutputBytes + " bytes");
    }
    ByteBuffer out = ByteBuffer.allocate(maxOutputBytes);  // the bug: the limit, not the output
    return out.put(input.duplicate()).flip();
  }
}
