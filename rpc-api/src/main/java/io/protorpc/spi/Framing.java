package io.protorpc.spi;

import java.nio.ByteBuffer;

/**
 * Delimits frames in a byte stream (built in: {@code "length"}, a 4-byte big-endian length prefix,
 * and {@code "delimiter"}, COBS byte stuffing with a {@code 0x00} terminator). Thread-safe; the
 * per-connection state lives in the {@link FrameDecoder}s it creates.
 */
public interface Framing extends Plugin {

  /**
   * Frames one frame whose content is the concatenation of {@code parts} (each read from its
   * position to its limit, positions left unchanged). Returns the buffers to write, in order; they
   * may be slices of the parts (no copy), so the parts must stay unchanged until they are written.
   */
  ByteBuffer[] encode(ByteBuffer... parts);

  /**
   * A new decoder for one connection's inbound stream.
   *
   * @param maxFrameSize the largest frame content, in bytes, the decoder accepts
   */
  FrameDecoder newDecoder(int maxFrameSize);
}
