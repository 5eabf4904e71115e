package io.protorpc;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.IncomingMessage;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.OutgoingMessage;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client's calls over a {@link MessagePort}: each request goes out as one message, each reply
 * comes back as one and is matched to its call by call id. A call ends exactly once: with its
 * reply; at its deadline (the request also expires in the broker then, undelivered); when the
 * send fails (unroutable, refused, not connected: {@code UNAVAILABLE}); when the port loses its
 * broker connection, since a reply can no longer arrive ({@code UNAVAILABLE}); on cancel; or on
 * close. One-way calls and fanouts end once the broker has confirmed the message.
 *
 * <p>Cancelling a call ends it here only: the server that took the request is not told (there is
 * no connection to it), and finishes or times out on its own.
 */
final class ClientMessages implements MessageReceiver {
  private static final System.Logger LOG = System.getLogger(ClientMessages.class.getName());

  private final Codec codec;
  private final Limits limits;
  private final ScheduledExecutorService timer;
  private final ConcurrentHashMap<Long, PendingCall> calls = new ConcurrentHashMap<>();
  private final AtomicLong nextCallId = new AtomicLong();
  private volatile MessagePort port;

  ClientMessages(Codec codec, Limits limits, ScheduledExecutorService timer) {
    this.codec = codec;
    this.limits = limits;
    this.timer = timer;
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

  long nextCallId() {
    return nextCallId.incrementAndGet();
  }

  /**
   * Sends a request; {@code listener} hears the outcome once. {@code deadlineNanos} is
   * {@link Long#MAX_VALUE} for none; {@code onDeadline} is the status a passed deadline ends the
   * call with (null when there is no deadline).
   */
  void send(Envelope request, boolean fanout, long deadlineNanos, Status onDeadline,
      ClientController controller, PendingCall.Listener listener) {
    MessagePort p = port;
    OutgoingMessage message = new OutgoingMessage(request, codec.name(), codec.encode(request),
        fanout ? OutgoingMessage.Route.ALL : OutgoingMessage.Route.ANY, "");
    PendingCall call = new PendingCall(request.callId(), listener);
    calls.put(call.id, call);
    if (deadlineNanos != Long.MAX_VALUE) {
      try {
        call.setTimer(timer.schedule(() -> end(call.id, onDeadline),
            deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS));
      } catch (RejectedExecutionException closing) {
        end(call.id, Status.of(StatusCode.UNAVAILABLE, "client closed"));
        return;
      }
    }
    controller.begin(() -> end(call.id,
        Status.of(StatusCode.CANCELLED, "cancelled by the client")));
    boolean oneWay = request.isOneWay();
    p.send(message).whenComplete((ok, failure) -> {
      if (failure != null) {
        end(call.id, Status.of(StatusCode.UNAVAILABLE, failure.getMessage()));
      } else if (oneWay) {
        end(call.id, Status.OK); // a cast or fanout ends when the broker has it
      }
    });
  }

  /** Ends one call if it is still waiting. */
  void end(long callId, Status status) {
    PendingCall call = calls.remove(callId);
    if (call != null) {
      call.complete(status, null);
    }
  }

  /** Ends every waiting call. */
  void failAll(Status status) {
    for (Long id : calls.keySet().toArray(new Long[0])) {
      end(id, status);
    }
  }

  @Override
  public void onMessage(IncomingMessage m) {
    m.settle();
    ByteBuffer body = m.body();
    if (body.remaining() > limits.maxFrameSize()) {
      LOG.log(System.Logger.Level.WARNING, "dropped a reply of " + body.remaining()
          + " bytes from " + m.origin() + ": over this client's limit of " + limits.maxFrameSize());
      return;
    }
    if (!m.codec().equals(codec.name())) {
      LOG.log(System.Logger.Level.WARNING, "dropped a reply from " + m.origin()
          + " encoded with codec '" + m.codec() + "'; this client uses '" + codec.name() + "'");
      return;
    }
    Envelope e;
    try {
      e = codec.decode(body, limits.maxHeaderSize());
    } catch (ProtocolException | RuntimeException ex) {
      LOG.log(System.Logger.Level.WARNING, "dropped a reply from " + m.origin()
          + " that is not a " + codec.name() + " envelope: " + ex.getMessage());
      return;
    }
    if (e.kind() != Envelope.Kind.RESPONSE) {
      LOG.log(System.Logger.Level.WARNING, "dropped a " + e.kind() + " message from "
          + m.origin() + " where replies were expected");
      return;
    }
    PendingCall call = calls.remove(e.callId());
    if (call != null) {
      call.complete(e.status(), e);
    } // else: a late reply to a call that ended already
  }

  @Override
  public void onConnectionLost(String reason) {
    failAll(Status.of(StatusCode.UNAVAILABLE, reason));
  }
}
