package io.protorpc.spi;

import java.util.Objects;

/**
 * Settings the core passes to a {@link MessageTransport}.
 *
 * @param transport connect timeout and TLS (an {@code SSLContext} here means TLS to the broker)
 * @param maxMessageBytes the largest message body the core accepts; a transport should not
 *     allocate more for one message where it can help it
 * @param maxUnsettled at most this many received messages may be unsettled at once (a server's
 *     calls in flight); the transport stops receiving at the limit (for AMQP: the prefetch count)
 */
public record MessageOptions(TransportOptions transport, int maxMessageBytes, int maxUnsettled) {
  public MessageOptions {
    Objects.requireNonNull(transport, "transport");
    if (maxMessageBytes < 1 || maxUnsettled < 1) {
      throw new IllegalArgumentException("maxMessageBytes and maxUnsettled must be >= 1");
    }
  }
}
