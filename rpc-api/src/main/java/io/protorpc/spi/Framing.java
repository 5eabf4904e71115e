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

  /**
   * The total remaining bytes of {@code parts}: a frame's content length.
   *
   * @throws IllegalArgumentException if it does not fit in an int
   */
  static int contentLength(ByteBuffer... parts) {
    long total = 0;
    for (ByteBuffer p : parts) {
      total += p.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("frame of " + total + " bytes is too large to frame");
    }
    return (int) total;
  }

  /**
   * {@code prefix} followed by the parts, not copied (duplicates, so their positions stay
   * unchanged): the encoding of any length-prefix framing.
   */
  static ByteBuffer[] prefixed(ByteBuffer prefix, ByteBuffer... parts) {
    ByteBuffer[] out = new ByteBuffer[parts.length + 1];
    out[0] = prefix;
    for (int i = 0; i < parts.length; i++) {
      out[i + 1] = parts[i].duplicate();
    }
    return out;
  }
}
