package io.protorpc.testkit.broken;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Deliberately broken: the {@code length} framing's wire format, but its decoder allocates the
 * frame's claimed size as soon as the prefix has arrived (within the maximum, so the limit tests
 * pass). The memory check of {@code FramingConformanceSuite} must refuse it.
 */
public final class EagerFraming implements Framing {
  public EagerFraming() {}

  @Override
  public String name() {
    return "eager";
  }

  @Override
  public ByteBuffer[] encode(ByteBuffer... parts) {
    int total = 0;
    for (ByteBuffer p : parts) {
      total += p.remaining();
    }
    return Framing.prefixed(ByteBuffer.allocate(4).putInt(0, total), parts);
  }

  @Override
  public FrameDecoder newDecoder(int maxFrameSize) {
    return new FrameDecoder() {
      private final ByteBuffer prefix = ByteBuffer.allocate(4);
      private ByteBuffer frame;

      @Override
      public void decode(ByteBuffer input, Consumer<ByteBuffer> frames)
          throws ProtocolException {
        while (input.hasRemaining()) {
          if (frame == null) {
            while (prefix.hasRemaining() && input.hasRemaining()) {
              prefix.put(input.get());
            }
            if (prefix.hasRemaining()) {
              return;
            }
            int length = prefix.getInt(0);
            prefix.clear();
            if (length < 0 || length > maxFrameSize) {
              throw new LimitExceededException("frame of " + Integer.toUnsignedLong(length)
                  + " bytes exceeds the maximum of " + maxFrameSize + " bytes");
            }
            frame = ByteBuffer.allocate(length);  // the bug: the claim alone buys this
          }
          int take = Math.min(frame.remaining(), input.remaining());
          frame.put(input.slice().limit(take));
          input.position(input.position() + take);
          if (!frame.hasRemaining()) {
            ByteBuffer done = frame.flip();
            frame = null;
            frames.accept(done);
          }
        }
      }

      @Override
      public boolean hasPartialFrame() {
        return frame != null || prefix.position() > 0;
      }
    };
  }
}
