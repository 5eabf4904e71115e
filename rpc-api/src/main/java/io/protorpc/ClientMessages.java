package io.protorpc;

import io.protorpc.internal.client.ClientCall;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.IncomingMessage;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.OutgoingMessage;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a client's calls go when it is built for a message target: the {@link ClientCall.Router}
 * and {@link ClientCall.Place} of its calls, in place of a connection holder. Each request goes
 * out as one message through the {@link MessagePort}; each reply comes back as one and is matched
 * to its call by call id. The call itself keeps its deadline, cancellation and single completion
 * (the request also expires in the broker at the deadline, undelivered). A call ends here when
 * its reply arrives, when its send fails or its request comes back (unroutable, refused, not
 * connected: {@code UNAVAILABLE}), or when the port loses its broker connection, since a reply can no longer
 * arrive ({@code UNAVAILABLE}). One-way calls and fanouts end once the broker has confirmed them.
 *
 * <p>Cancelling a call ends it here only: the server that took the request is not told (there is
 * no connection to it), and finishes or times out on its own.
 */
final class ClientMessages implements MessageReceiver, ClientCall.Place {
  private static final System.Logger LOG = System.getLogger(ClientMessages.class.getName());

  private final Codec codec;
  private final Limits limits;
  private final ConcurrentHashMap<Long, ClientCall> calls = new ConcurrentHashMap<>();
  private final AtomicLong nextCallId = new AtomicLong();
  private final ClientCall.Router toAny = call -> send(call, OutgoingMessage.Route.ANY);
  private final ClientCall.Router toAll = call -> send(call, OutgoingMessage.Route.ALL);
  private volatile MessagePort port;

  ClientMessages(Codec codec, Limits limits) {
    this.codec = codec;
    this.limits = limits;
  }

  void attach(MessagePort port) {
    this.port = port;
  }

  MessagePort port() {
    return port;
  }

  int callsInFlight() {
    return calls.size();
  }

  /** The router of a call: to one server of the topic, or (a fanout) to all of them. */
  ClientCall.Router router(boolean fanout) {
    return fanout ? toAll : toAny;
  }

  private void send(ClientCall call, OutgoingMessage.Route route) {
    MessagePort p = port;
    if (p == null || !p.isConnected()) {
      call.complete(Status.of(StatusCode.UNAVAILABLE, "not connected to "
          + (p == null ? "the broker" : p.describe()) + "; reconnecting"), null);
      return;
    }
    long id = nextCallId.incrementAndGet();
    Envelope request = new Envelope(Envelope.Kind.REQUEST, id, call.service(), call.method(),
        call.timeoutMicrosLeft(), call.metadata(), null, call.compression(), call.payload(),
        call.isOneWay() ? Envelope.FLAG_ONE_WAY : 0);
    calls.put(id, call);
    call.moveTo(this, id);
    if (call.isDone()) { // ended (deadline, cancel) while being placed
      calls.remove(id, call);
      return;
    }
    boolean oneWay = call.isOneWay();
    p.send(new OutgoingMessage(request, codec.name(), codec.encode(request), route, ""))
        .whenComplete((ok, failure) -> {
          if (failure != null) {
            close(id, Status.of(StatusCode.UNAVAILABLE, failure.getMessage()), null);
          } else if (oneWay) {
            close(id, Status.OK, null); // a cast or fanout ends when the broker has it
          }
        });
  }

  /** Ends the call with this id, if it is still here. */
  private void close(long id, Status status, Envelope response) {
    ClientCall call = calls.remove(id);
    if (call != null) {
      call.closedBy(status, response, ClientCall.Delivery.SENT);
    }
  }

  /** Ends every call still here (the client is closing, or the broker connection is gone). */
  void closeAll(Status status) {
    for (Long id : calls.keySet().toArray(new Long[0])) {
      close(id, status, null);
    }
  }

  @Override
  public void remove(ClientCall call, boolean tellServer) {
    calls.remove(call.streamId(), call); // a server holding the request cannot be told
  }

  @Override
  public String describeWait() {
    MessagePort p = port;
    return " waiting for a reply through " + (p == null ? "the broker" : p.describe());
  }

  @Override
  public void onMessage(IncomingMessage m) {
    m.settle();
    ByteBuffer body = m.body();
    String dropped = null;
    Envelope e = null;
    if (body.remaining() > limits.maxFrameSize()) {
      dropped = body.remaining() + " bytes, over this client's limit of " + limits.maxFrameSize();
    } else if (!m.codec().equals(codec.name())) {
      dropped = "encoded with codec '" + m.codec() + "'; this client uses '" + codec.name() + "'";
    } else {
      try {
        e = codec.decode(body, limits.maxHeaderSize());
        if (e.kind() != Envelope.Kind.RESPONSE) {
          dropped = "a " + e.kind() + " where replies were expected";
        }
      } catch (ProtocolException | RuntimeException ex) {
        dropped = "not a " + codec.name() + " envelope: " + ex.getMessage();
      }
    }
    if (dropped != null) {
      LOG.log(System.Logger.Level.WARNING, "dropped a reply from " + m.origin() + ": " + dropped);
      return;
    }
    close(e.callId(), e.status(), e); // no call: a late reply to a call that ended already
  }

  @Override
  public void onReturned(long callId, String reason) {
    close(callId, Status.of(StatusCode.UNAVAILABLE, reason), null);
  }

  @Override
  public void onConnectionLost(String reason) {
    closeAll(Status.of(StatusCode.UNAVAILABLE, reason));
  }
}
