package io.protorpc.examples.plugin;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The {@code varint} framing: each frame is its content's length as an unsigned base-128 varint
 * (protobuf's encoding of a {@code uint32}), followed by the content.
 *
 * <h2>Format</h2>
 *
 * <p>The length is written seven bits at a time, least significant group first; every byte but
 * the last has its high bit set. So a length of 0 is {@code 00}, 1 is {@code 01}, 127 is {@code
 * 7F}, 128 is {@code 80 01}, 300 is {@code AC 02}, and {@code 2^31 - 1} is {@code FF FF FF FF 07}.
 * A frame under 128 bytes costs one byte of framing and one under 16 KiB two, where {@code length}
 * always costs four: that is what this framing is for, small messages.
 *
 * <p>The decoder accepts only the shortest encoding of each length, so that a length has exactly
 * one form on the wire. It refuses, with {@link ProtocolException}:
 *
 * <ul>
 *   <li>a prefix of more than five bytes (no {@code uint32} needs more);
 *   <li>a prefix whose value does not fit in 32 bits (a fifth byte above {@code 0x0F});
 *   <li>an overlong prefix: one that ends in a {@code 00} byte after other bytes, such as {@code
 *       80 00} for 0, which protobuf parsers tolerate and this framing does not.
 * </ul>
 *
 * <p>and, with {@link LimitExceededException}, a length over the decoder's maximum frame size, as
 * soon as the prefix is complete: before any of the content arrives and before any buffer for it
 * is allocated.
 *
 * <h2>Behaviour</h2>
 *
 * <p>Encoding copies nothing: the prefix is a small buffer of its own and the parts follow as
 * {@link ByteBuffer#duplicate() duplicates}. Decoding is incremental: bytes may arrive split
 * anywhere, the prefix included. A frame's buffer is allocated up to 64 KiB at once and grows as
 * its bytes arrive beyond that, so a peer that announces a large frame and sends little costs
 * little. Each frame handed out is a buffer of its own, which the consumer keeps.
 *
 * <p>Thread-safe: the framing holds no state; each {@link FrameDecoder} belongs to one connection.
 */
public final class VarintFraming implements Framing {
  /** The name this framing is selected by. */
  public static final String NAME = "varint";

  /** The longest prefix: five groups of seven bits hold 32 bits. */
  public static final int MAX_PREFIX_BYTES = 5;

  /** Frames up to this size get their whole buffer at once; larger ones grow as bytes arrive. */
  private static final int EAGER_ALLOCATION = 64 * 1024;

  /** Creates the framing; ServiceLoader calls this, and so may code that registers it. */
  public VarintFraming() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Frames the concatenation of {@code parts}: a varint prefix, then the parts themselves (not
   * copied; their positions are left unchanged).
   *
   * @throws IllegalArgumentException if the parts hold more than {@link Integer#MAX_VALUE} bytes
   */
  @Override
  public ByteBuffer[] encode(ByteBuffer... parts) {
    return Framing.prefixed(prefix(Framing.contentLength(parts)), parts);
  }

  /** The varint encoding of {@code length} (non-negative), ready to read. */
  static ByteBuffer prefix(int length) {
    ByteBuffer b = ByteBuffer.allocate(MAX_PREFIX_BYTES);
    int rest = length;
    while (rest >= 0x80) {
      b.put((byte) (rest | 0x80));
      rest >>>= 7;
    }
    b.put((byte) rest);
    return b.flip();
  }

  /**
   * A new decoder for one connection's inbound stream.
   *
   * @throws IllegalArgumentException if {@code maxFrameSize} is negative
   */
  @Override
  public FrameDecoder newDecoder(int maxFrameSize) {
    if (maxFrameSize < 0) {
      throw new IllegalArgumentException("maxFrameSize must be >= 0: " + maxFrameSize);
    }
    return new Decoder(maxFrameSize);
  }

  /**
   * Reads a prefix, then the content it announced. Between calls the state is the prefix read so
   * far (its value and byte count) or the frame being filled (and how long it will be).
   */
  private static final class Decoder implements FrameDecoder {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final int maxFrameSize;
    private long prefixValue;
    private int prefixBytes; // prefix bytes read so far; 0 between frames and while filling one
    private ByteBuffer frame; // null while reading a prefix
    private int frameLength;
    private boolean failed;

    Decoder(int maxFrameSize) {
      this.maxFrameSize = maxFrameSize;
    }

    @Override
    public void decode(ByteBuffer input, Consumer<ByteBuffer> frames) throws ProtocolException {
      if (failed) {
        throw new ProtocolException("decoder already failed on earlier input");
      }
      while (input.hasRemaining()) {
        if (frame == null) {
          if (readPrefixByte(input.get())) {
            startFrame(frames);
          }
        } else {
          fill(input, frames);
        }
      }
    }

    /** Adds one prefix byte; returns true once the prefix is complete and valid. */
    private boolean readPrefixByte(byte b) throws ProtocolException {
      prefixValue |= (long) (b & 0x7F) << (7 * prefixBytes);
      prefixBytes++;
      if (b < 0) { // continuation bit: another byte follows
        if (prefixBytes == MAX_PREFIX_BYTES) {
          throw fail(new ProtocolException("varint length prefix longer than "
              + MAX_PREFIX_BYTES + " bytes"));
        }
        return false;
      }
      if (b == 0 && prefixBytes > 1) {
        throw fail(new ProtocolException("overlong varint length prefix: " + prefixBytes
            + " bytes for the value " + prefixValue + ", which has a shorter form"));
      }
      if (prefixValue > 0xFFFF_FFFFL) {
        throw fail(new ProtocolException("varint length prefix exceeds 32 bits"));
      }
      if (prefixValue > maxFrameSize) {
        throw fail(new LimitExceededException("frame of " + prefixValue
            + " bytes exceeds the maximum of " + maxFrameSize + " bytes"));
      }
      return true;
    }

    private void startFrame(Consumer<ByteBuffer> frames) {
      int length = (int) prefixValue;
      prefixValue = 0;
      prefixBytes = 0;
      if (length == 0) {
        frames.accept(EMPTY.duplicate());
        return;
      }
      frameLength = length;
      frame = ByteBuffer.allocate(Math.min(length, EAGER_ALLOCATION));
    }

    private void fill(ByteBuffer input, Consumer<ByteBuffer> frames) {
      int take = Math.min(frameLength - frame.position(), input.remaining());
      if (take > frame.remaining()) {
        // Double, never past the announced length: memory follows what really arrived.
        int capacity = (int) Math.min(frameLength,
            Math.max(2L * frame.capacity(), (long) frame.position() + take));
        frame = ByteBuffer.allocate(capacity).put(frame.flip());
      }
      int end = input.position() + take;
      frame.put(input.duplicate().limit(end));
      input.position(end);
      if (frame.position() == frameLength) {
        ByteBuffer done = frame.flip();
        frame = null; // reset first, so the decoder stays consistent if the consumer throws
        frames.accept(done);
      }
    }

    private <E extends ProtocolException> E fail(E e) {
      failed = true;
      frame = null;
      prefixBytes = 0;
      return e;
    }

    @Override
    public boolean hasPartialFrame() {
      return prefixBytes > 0 || frame != null;
    }
  }
}
