package io.protorpc.spi;

import java.util.concurrent.CompletableFuture;

/**
 * One side's attachment to a broker, as a {@link MessageTransport} gives it to the core: a client's
 * (requests out, replies in) or a server's (requests in, replies out). Thread-safe.
 *
 * <p>Lifecycle: open from creation until {@link #close()}. While the broker is unreachable the
 * port keeps trying to reconnect; sends made meanwhile fail at once, and messages handed to the
 * core but not settled then are the broker's again (it may deliver them elsewhere).
 */
public interface MessagePort extends AutoCloseable {

  /**
   * Sends one message without blocking on the network for long. The future completes when the
   * broker has taken responsibility for it (a publisher confirm), and fails with an {@link
   * java.io.IOException} saying why when it will not be delivered: not connected, refused by the
   * broker, or unroutable (no queue for its topic, no server listening for a fanout).
   *
   * <p>A request that expects a reply (not one-way) may instead complete its future once it is
   * written, without a confirm: its reply is what proves delivery. The transport then reports a
   * later return (unroutable) through {@link MessageReceiver#onReturned}, and a request the broker
   * lost ends by its deadline.
   */
  CompletableFuture<Void> send(OutgoingMessage message);

  /** Whether the broker is reachable right now. */
  boolean isConnected();

  /** Where this port is attached, for messages and logs, e.g. {@code amqp://host:5672 topic 'calc'}. */
  String describe();

  /**
   * Stops sending and receiving and releases the broker connection and threads; messages
   * delivered but not settled go back to the broker. Idempotent.
   */
  @Override
  void close();
}
