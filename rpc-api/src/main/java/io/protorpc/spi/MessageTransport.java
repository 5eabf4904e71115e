package io.protorpc.spi;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * Carries whole messages through a broker to a named topic, where the stream {@link Transport}
 * carries bytes to an address (with rpc-transport-amqp: {@code "amqp"}, for targets {@code
 * amqp://…} and {@code amqps://…}). The core encodes each {@link Envelope} with its {@link Codec}
 * and hands the transport one message per envelope: no framing and no connection preface, since
 * the broker keeps messages whole; compression, deadlines, metadata and status are the core's, as
 * on a stream. A target names the broker and the topic; everything a transport reads from it
 * (credentials, virtual host, topic, tuning) is its own business, which the core never parses.
 *
 * <p>Implementations are thread-safe and reconnect to their broker by themselves.
 */
public interface MessageTransport extends Plugin {

  /** The URI schemes of the targets this transport serves, lower case, e.g. {@code amqp}. */
  Set<String> schemes();

  /**
   * Opens a client's side: {@link MessagePort#send} publishes requests to the target's topic,
   * and replies to them arrive at {@code replies}. Returns once the broker has been reached.
   *
   * @throws IOException if the broker cannot be reached within the connect timeout
   * @throws IllegalArgumentException if the target is malformed (the message says how)
   */
  MessagePort connect(URI target, MessageOptions options, MessageReceiver replies)
      throws IOException;

  /**
   * Starts consuming the requests sent to the target's topic, declaring whatever the broker needs
   * for that; {@link MessagePort#send} then sends replies ({@link OutgoingMessage.Route#REPLY}).
   * Returns once consuming has started.
   *
   * @throws IOException if the broker cannot be reached within the connect timeout
   * @throws IllegalArgumentException if the target is malformed
   */
  MessagePort listen(URI target, MessageOptions options, MessageReceiver requests)
      throws IOException;
}
