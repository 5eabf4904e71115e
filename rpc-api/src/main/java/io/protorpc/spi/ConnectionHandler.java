package io.protorpc.spi;

import java.nio.ByteBuffer;

/**
 * The core's side of a {@link Connection}: what the transport calls when bytes arrive or the
 * connection ends. The transport calls it from one thread at a time per connection (its reader or
 * event loop), in order. Implementations must return quickly and not block on I/O.
 */
public interface ConnectionHandler {

  /**
   * Bytes arrived. The handler consumes every remaining byte; the buffer is the transport's again
   * once this returns. A {@link RuntimeException} thrown here makes the transport close the
   * connection.
   */
  void onRead(ByteBuffer data);

  /**
   * Optional, for transports that read into heap arrays: a buffer to read the next bytes straight
   * into (from its position, at most its remaining space), or null (the default) to read into the
   * transport's own buffer and call {@link #onRead}. The core offers one only in the middle of a
   * large frame, so the frame's bytes are not copied again. Valid until the next call on this
   * handler; after one read into it, call {@link #onReadInto}.
   */
  default ByteBuffer readTarget() {
    return null;
  }

  /**
   * {@code bytes} (at least 1) arrived in the buffer {@link #readTarget} returned. Same contract
   * as {@link #onRead} otherwise.
   *
   * @throws IllegalStateException if no read target was handed out
   */
  default void onReadInto(int bytes) {
    throw new IllegalStateException(getClass().getName() + " gives no read target");
  }

  /**
   * The connection ended, by either side; called exactly once.
   *
   * @param cause why, or null for an orderly close
   */
  void onClosed(Throwable cause);
}
