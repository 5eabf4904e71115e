package io.protorpc.spi;

/**
 * The core's side of a {@link MessagePort}: what the transport calls when a message arrives. Called
 * from the transport's consumer threads; implementations return quickly and do not block.
 */
@FunctionalInterface
public interface MessageReceiver {

  /**
   * One message arrived. The receiver settles it exactly once, now or later ({@link
   * IncomingMessage#settle()} or {@link IncomingMessage#reject}); a runtime exception thrown here
   * makes the transport reject it.
   */
  void onMessage(IncomingMessage message);

  /**
   * The port lost its broker connection (it reconnects by itself). On a client's port this means
   * the replies to requests sent before can no longer arrive; a server's unsettled messages have
   * gone back to the broker. The default does nothing.
   */
  default void onConnectionLost(String reason) {}

  /**
   * A request that expects a reply, sent without waiting for the broker's confirm (see {@link
   * MessagePort#send}), came back undelivered: no queue took it (for AMQP, a basic.return of a
   * mandatory message). {@code callId} is its envelope's call id; {@code reason} says why. Only a
   * client's port calls it. The default does nothing.
   */
  default void onReturned(long callId, String reason) {}
}
