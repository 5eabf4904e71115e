package io.protorpc.spi;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One message for {@link MessagePort#send}: the envelope (for the fields a transport maps to its
 * own message properties: call id, deadline, kind), the same envelope encoded by the codec named,
 * and where it goes.
 *
 * @param envelope the envelope, for its header fields; the transport sends {@code body}, not this
 * @param codec the name of the codec that encoded {@code body}
 * @param body the encoded envelope's parts, in order; the transport must not modify them
 * @param route where the message goes
 * @param replyTo for {@link Route#REPLY}: the {@link IncomingMessage#replyTo()} of the request
 *     answered; empty otherwise
 */
public record OutgoingMessage(
    Envelope envelope, String codec, ByteBuffer[] body, Route route, String replyTo) {

  /** Where a message goes. */
  public enum Route {
    /** A request to one of the servers consuming the topic (competing consumers). */
    ANY,
    /** A one-way request to every server consuming the topic right now, once each. */
    ALL,
    /** A reply, to the {@link IncomingMessage#replyTo()} of the request it answers. */
    REPLY
  }

  public OutgoingMessage {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(route, "route");
    replyTo = replyTo == null ? "" : replyTo;
    if (route == Route.REPLY && replyTo.isEmpty()) {
      throw new IllegalArgumentException("a reply needs the request's replyTo");
    }
  }

  /** The body's size in bytes. */
  public int bodySize() {
    int n = 0;
    for (ByteBuffer b : body) {
      n += b.remaining();
    }
    return n;
  }
}
