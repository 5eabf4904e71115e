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
}
