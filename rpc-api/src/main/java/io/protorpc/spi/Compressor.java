package io.protorpc.spi;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Compresses message payloads (built in: {@code "identity"}; {@code "zstd"} and {@code "gzip"} come
 * with rpc-codec-compress). Implementations must be thread-safe.
 */
public interface Compressor extends Plugin {

  /** Compresses the remaining bytes of {@code input} (position unchanged) into a new buffer. */
  ByteBuffer compress(ByteBuffer input) throws IOException;

  /**
   * Decompresses the remaining bytes of {@code input} (position unchanged).
   *
   * @param maxOutputBytes hard limit on the decompressed size; a stream that would exceed it is
   *     refused with {@link LimitExceededException} without allocating its claimed size
   * @throws ProtocolException if the input is corrupt
   */
  ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) throws IOException;
}
