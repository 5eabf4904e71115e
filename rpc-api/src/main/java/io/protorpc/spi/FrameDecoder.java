package io.protorpc.spi;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Incremental decoder of one byte stream into frames: bytes may arrive split anywhere, and one
 * call may complete any number of frames.
 *
 * <p>Not thread-safe: one decoder belongs to one connection and is fed by its single reader. After
 * it has thrown, the decoder is unusable and the connection must be closed.
 */
public interface FrameDecoder {

  /**
   * Consumes every remaining byte of {@code input} and passes each completed frame to {@code
   * frames}, in order. A frame buffer handed out belongs to the consumer: the decoder never touches
   * it again. {@code input} is not retained after the call returns.
   *
   * @throws LimitExceededException if a frame is longer than the decoder's maximum frame size;
   *     thrown before a buffer of that size is allocated
   * @throws ProtocolException if the bytes are not valid for this framing
   */
  void decode(ByteBuffer input, Consumer<ByteBuffer> frames) throws ProtocolException;

  /** True if bytes of an incomplete frame are buffered, i.e. a close now would truncate a frame. */
  boolean hasPartialFrame();

  /**
   * Optional: the bytes this decoder has allocated for the incomplete frame, which may be more than
   * have arrived when it sizes its buffer ahead of them. The core counts the larger of this and
   * the bytes received against the memory budget, so a decoder that reports nothing is counted by
   * what arrived. Default -1: not reported.
   */
  default long bufferedCapacity() {
    return -1;
  }

  /**
   * Optional, for large frames: where the reader may put the current frame's next bytes itself,
   * saving the copy from its own read buffer into the frame. A heap buffer whose position is the
   * first free byte and whose remaining space (at least one byte) never runs past the current
   * frame. Null (the default) means "give me bytes through {@link #decode}", for instance between
   * frames, inside a length prefix, or with less than {@code minBytes} of the frame still to come.
   * Valid until the next call on this decoder; after one read into it, call {@link #readInto}. Any
   * buffer growth it needs follows the decoder's usual rule, so memory still follows what arrived.
   */
  default ByteBuffer readTarget(int minBytes) {
    return null;
  }

  /**
   * Takes {@code bytes} (at least 1) that the reader put into the buffer {@link #readTarget}
   * returned, from its position on, and passes the frame to {@code frames} if they complete it.
   *
   * @throws IllegalStateException if there is no read target to account for: a decoder that
   *     never returns one never gets this call
   */
  default void readInto(int bytes, Consumer<ByteBuffer> frames) throws ProtocolException {
    throw new IllegalStateException(getClass().getName() + " gives no read target");
  }
}
