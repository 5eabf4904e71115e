package io.protorpc;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.IncomingMessage;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.OutgoingMessage;
import io.protorpc.spi.ProtocolException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;

/**
 * A server's side of a {@link MessagePort}: each message is one request envelope, checked and
 * decoded here, then served by the same {@link ServerCalls} as a stream connection's requests; the
 * answer goes back as a reply message, and the message is settled once the call has its answer
 * (so a broker's prefetch bounds the calls in flight, and a server that dies mid-call leaves its
 * messages to be delivered again). A message that is not a usable request is rejected, with the
 * reason logged by the transport, and the next one is served as usual.
 */
final class ServerMessages implements MessageReceiver {
  private final RpcServer server;
  private final ServerCalls calls;
  /**
   * Completed by {@link #attach} once {@code listen} has returned the port. A transport may
   * deliver requests before that (it consumes before {@code listen} returns), and a fast handler
   * may answer them before the port is known: their replies wait here instead of being lost.
   */
  private final CompletableFuture<MessagePort> port = new CompletableFuture<>();
  private volatile boolean draining;

  ServerMessages(RpcServer server) {
    this.server = server;
    this.calls = new ServerCalls(server);
  }

  void attach(MessagePort port) {
    this.port.complete(port);
  }

  int callsInFlight() {
    return calls.size();
  }

  @Override
  public void onMessage(IncomingMessage m) {
    if (draining) {
      return; // never settled: the broker gives it to another server when this port closes
    }
    ByteBuffer body = m.body();
    if (body.remaining() > server.limits.maxFrameSize()) {
      m.reject("a message of " + body.remaining() + " bytes exceeds this server's limit of "
          + server.limits.maxFrameSize() + " bytes");
      return;
    }
    Codec codec = server.codecs.get(m.codec());
    if (codec == null) {
      m.reject("codec '" + m.codec() + "' is not accepted here (accepted: "
          + String.join(", ", server.codecs.keySet()) + ")");
      return;
    }
    Envelope e;
    try {
      e = codec.decode(body, server.limits.maxHeaderSize());
    } catch (ProtocolException | RuntimeException ex) {
      m.reject("not a " + codec.name() + " envelope: " + ex.getMessage());
      return;
    }
    if (e.kind() != Envelope.Kind.REQUEST) {
      m.reject("a " + e.kind() + " message where only requests are served");
      return;
    }
    if (!e.isOneWay() && m.replyTo().isEmpty()) {
      m.reject("a call that is not one-way but names nowhere to reply to");
      return;
    }
    calls.dispatch(new Object(), e, new MessageCarrier(m, codec));
  }

  /** Starts a graceful stop: no new messages are served; true if no call is running. */
  boolean beginDrain() {
    draining = true;
    return calls.isEmpty();
  }

  void cancelAll(String why) {
    calls.cancelAll(why);
  }

  /** One message's call: the reply goes to its reply-to, and the message is settled after. */
  private final class MessageCarrier implements ServerCalls.Carrier {
    private final IncomingMessage message;
    private final Codec codec;

    MessageCarrier(IncomingMessage message, Codec codec) {
      this.message = message;
      this.codec = codec;
    }

    @Override
    public void respond(Envelope response) {
      OutgoingMessage reply = new OutgoingMessage(response, codec.name(), codec.encode(response),
          OutgoingMessage.Route.REPLY, message.replyTo());
      // a failed reply is the caller's deadline to report: nothing to tell the handler
      port.thenAccept(p -> p.send(reply));
    }

    @Override
    public void answered() {
      message.settle();
      if (draining && calls.isEmpty()) {
        server.messagesDrained();
      }
    }

    @Override
    public SocketAddress remoteAddress() {
      return new MessageOrigin(message.origin());
    }

    @Override
    public SSLSession sslSession() {
      return null;
    }

    @Override
    public void hold(long bytes) {
      // no reading to pause: the broker's prefetch bounds what this server holds
      server.budget.add(bytes);
    }
  }

  /** Where a message came from, as the {@link ServerController#remoteAddress()} of its call. */
  static final class MessageOrigin extends SocketAddress {
    private static final long serialVersionUID = 1L;
    private final String origin;

    MessageOrigin(String origin) {
      this.origin = origin;
    }

    @Override
    public String toString() {
      return origin;
    }
  }
}
