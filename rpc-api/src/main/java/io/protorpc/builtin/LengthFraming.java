package io.protorpc.builtin;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The {@code length} framing: each frame is a 4-byte big-endian unsigned length followed by that
 * many bytes. Encoding copies nothing: the prefix is a buffer of its own.
 */
public final class LengthFraming implements Framing {
  public static final String NAME = "length";

  /**
   * Frames up to twice this size get their whole buffer at once (a claim alone costs at most
   * that); larger ones start with this much and grow as bytes arrive. Twice: a frame just over
   * it, such as a 64 KiB message plus its header, would otherwise be copied whole at its first
   * growth.
   */
  private static final int EAGER_ALLOCATION = 64 * 1024;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ByteBuffer[] encode(ByteBuffer... parts) {
    int total = Framing.contentLength(parts);
    return Framing.prefixed(ByteBuffer.allocate(4).putInt(0, total), parts);
  }

  @Override
  public FrameDecoder newDecoder(int maxFrameSize) {
    if (maxFrameSize < 0) {
      throw new IllegalArgumentException("maxFrameSize must be >= 0: " + maxFrameSize);
    }
    return new Decoder(maxFrameSize);
  }

  private static final class Decoder implements FrameDecoder {
    private final int maxFrameSize;
    private final ByteBuffer prefix = ByteBuffer.allocate(4);
    private int frameLength = -1; // -1 while reading the prefix
    private ByteBuffer frame;
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
        if (frameLength < 0) {
          while (prefix.hasRemaining() && input.hasRemaining()) {
            prefix.put(input.get());
          }
          if (prefix.hasRemaining()) {
            return;
          }
          long length = Integer.toUnsignedLong(prefix.getInt(0));
          prefix.clear();
          if (length > maxFrameSize) {
            failed = true;
            throw new LimitExceededException("frame of " + length + " bytes exceeds the maximum of "
                + maxFrameSize + " bytes");
          }
          frameLength = (int) length;
          frame = ByteBuffer.allocate(
              frameLength <= 2 * EAGER_ALLOCATION ? frameLength : EAGER_ALLOCATION);
        }
        int take = Math.min(frameLength - frame.position(), input.remaining());
        makeRoom(take);
        ByteBuffer chunk = input.slice();
        chunk.limit(take);
        frame.put(chunk);
        input.position(input.position() + take);
        emitIfComplete(frames);
      }
    }

    /** Grows the frame buffer, if needed, so that {@code take} more bytes fit. */
    private void makeRoom(int take) {
      if (take <= frame.remaining()) {
        return;
      }
      // Grow by four, never past the declared length: memory stays within a small multiple of
      // what the peer really sent (a claim alone buys only the first buffer), with fewer copies
      // than doubling on the way to a large frame. Once four times would pass half the declared
      // length, take the declared length at once (still at most eight times what arrived):
      // otherwise a frame just over a power of four, such as a 1 MiB message plus its header,
      // would pay a last copy of the whole frame for its final few bytes.
      long grown = Math.max((long) frame.capacity() * 4, (long) frame.position() + take);
      int capacity = (int) (grown * 2 > frameLength ? frameLength : grown);
      ByteBuffer bigger = ByteBuffer.allocate(capacity);
      frame.flip();
      bigger.put(frame);
      frame = bigger;
    }

    private void emitIfComplete(Consumer<ByteBuffer> frames) {
      if (frame.position() == frameLength) {
        ByteBuffer done = frame.flip();
        frame = null;
        frameLength = -1;
        frames.accept(done);
      }
    }

    @Override
    public ByteBuffer readTarget(int minBytes) {
      if (failed || frameLength < 0 || frameLength - frame.position() < Math.max(1, minBytes)) {
        return null;
      }
      makeRoom(1); // grows only a full buffer, exactly as decode would for the next byte
      return frame.duplicate();
    }

    @Override
    public void readInto(int bytes, Consumer<ByteBuffer> frames) {
      if (frameLength < 0 || bytes < 1 || bytes > frame.remaining()) {
        throw new IllegalStateException("read of " + bytes + " bytes does not fit the read target");
      }
      frame.position(frame.position() + bytes);
      emitIfComplete(frames);
    }

    @Override
    public boolean hasPartialFrame() {
      return frameLength >= 0 || prefix.position() > 0;
    }

    @Override
    public long bufferedCapacity() {
      return frame == null ? 0 : frame.capacity(); // up to 8x what arrived: see makeRoom
    }
  }
}
