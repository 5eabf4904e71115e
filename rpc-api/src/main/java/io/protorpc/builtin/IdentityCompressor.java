package io.protorpc.builtin;

import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import java.nio.ByteBuffer;

/** The {@code identity} compressor: bytes pass through unchanged. */
public final class IdentityCompressor implements Compressor {
  public static final String NAME = "identity";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ByteBuffer compress(ByteBuffer input) {
    return input.slice();
  }

  @Override
  public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) throws LimitExceededException {
    if (input.remaining() > maxOutputBytes) {
      throw new LimitExceededException("message of " + input.remaining()
          + " bytes exceeds the limit of " + maxOutputBytes + " bytes");
    }
    return input.slice();
  }
}
