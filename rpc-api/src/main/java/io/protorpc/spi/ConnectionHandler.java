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
   * The connection ended, by either side; called exactly once.
   *
   * @param cause why, or null for an orderly close
   */
  void onClosed(Throwable cause);
}
