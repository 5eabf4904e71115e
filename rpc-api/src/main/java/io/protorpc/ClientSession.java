package io.protorpc;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The client role of a connection: the handshake, the table of calls in flight, and their completion. */
final class ClientSession extends Session {
  private final Framing ownFraming;
  private final Codec ownCodec;
  private final Compressor compressor;
  final CompletableFuture<Void> handshake = new CompletableFuture<>();
  private final ConcurrentHashMap<Long, PendingCall> calls = new ConcurrentHashMap<>();
  private final AtomicLong nextCallId = new AtomicLong();
  private volatile int peerMaxMessageSize = Integer.MAX_VALUE;
  private volatile int peerMaxHeaderSize = Integer.MAX_VALUE;
  private volatile Status goAway;
  private volatile boolean draining;

  ClientSession(Limits limits, Framing framing, Codec codec, Compressor compressor) {
    super(limits);
    this.ownFraming = framing;
    this.ownCodec = codec;
    this.compressor = compressor;
  }

  void sendPreface() throws IOException {
    Map<String, String> f = new LinkedHashMap<>();
    f.put(Preface.FRAMING, ownFraming.name());
    f.put(Preface.CODEC, ownCodec.name());
    f.put(Preface.COMPRESSORS, compressor.name().equals("identity")
        ? "identity" : compressor.name() + ",identity");
    f.put(Preface.MAX_MESSAGE_SIZE, Integer.toString(limits.maxMessageSize()));
    f.put(Preface.MAX_HEADER_SIZE, Integer.toString(limits.maxHeaderSize()));
    writePreface(f);
  }

  @Override
  void onPreface(Map<String, String> fields) throws ProtocolException {
    if (!"ok".equals(fields.get(Preface.STATUS))) {
      throw new ProtocolException("server refused the connection: "
          + fields.getOrDefault(Preface.REASON, "no reason given"));
    }
    if (!ownFraming.name().equals(fields.get(Preface.FRAMING))
        || !ownCodec.name().equals(fields.get(Preface.CODEC))) {
      throw new ProtocolException("server answered with framing '" + fields.get(Preface.FRAMING)
          + "' and codec '" + fields.get(Preface.CODEC) + "', but this client asked for '"
          + ownFraming.name() + "' and '" + ownCodec.name() + "'");
    }
    List<String> serverCompressors =
        Arrays.asList(fields.getOrDefault(Preface.COMPRESSORS, "identity").split(","));
    if (!serverCompressors.contains(compressor.name())) {
      throw new ProtocolException("server does not support compressor '" + compressor.name()
          + "' (it has: " + String.join(", ", serverCompressors) + ")");
    }
    peerMaxMessageSize = Preface.intField(fields, Preface.MAX_MESSAGE_SIZE, Integer.MAX_VALUE);
    peerMaxHeaderSize = Preface.intField(fields, Preface.MAX_HEADER_SIZE, Integer.MAX_VALUE);
    startFrames(ownFraming, ownCodec);
    handshake.complete(null);
  }

  @Override
  void onEnvelope(Envelope e) throws ProtocolException {
    switch (e.kind()) {
      case RESPONSE -> {
        if (e.isUnprocessed()) {
          // the server is going away (its go-away may cross this): no new calls here
          draining = true;
        }
        PendingCall call = calls.remove(e.callId());
        if (call != null) {
          touchCalls();
          call.complete(e.status(), e);
          closeIfDrained();
        } // else: a late answer to a call that timed out or was cancelled
      }
      case PING -> sendQuietly(Envelope.control(Envelope.Kind.PONG, 0, null, e.payload()));
      case PONG -> { }
      case GOAWAY -> {
        if (e.status().isOk()) {
          // graceful: the server finishes the calls it has; new calls go to a new connection
          draining = true;
          closeIfDrained();
        } else {
          goAway = e.status();
          close();
        }
      }
      default -> throw new ProtocolException("server sent a " + e.kind() + " frame");
    }
  }

  @Override
  void onProtocolError(ProtocolException error) {
    goAway = statusOf(error);
    handshake.completeExceptionally(error);
  }

  @Override
  void onConnectionClosed(Throwable cause) {
    Status s = goAway;
    if (s == null) {
      String why = cause == null ? "" : ": " + cause;
      s = Status.of(StatusCode.UNAVAILABLE, "connection to "
          + (connection == null ? "server" : connection.remoteAddress()) + " closed" + why);
    } else if (s.isOk()) {
      s = Status.of(StatusCode.UNAVAILABLE, "server went away");
    }
    handshake.completeExceptionally(new IOException(s.toString(), cause));
    failAll(s);
  }

  void failAll(Status status) {
    for (Long id : calls.keySet().toArray(new Long[0])) {
      PendingCall call = calls.remove(id);
      if (call != null) {
        call.complete(status, null);
      }
    }
  }

  /** False once the connection is closed or the server asked us to go away. */
  boolean isUsable() {
    return !draining && !isClosed();
  }

  private void closeIfDrained() {
    if (draining && calls.isEmpty()) {
      close();
    }
  }

  @Override
  int activeCalls() {
    return calls.size();
  }

  @Override
  void onLivenessTimeout(LivenessFailure failure, Status status) {
    if (failure == LivenessFailure.IDLE) {
      // no new calls here; a call racing with this still completes before the close
      draining = true;
      closeIfDrained();
      return;
    }
    goAway = status;
    close();
    failAll(status); // at once: closing a socket to a dead peer may take a while to be reported
  }

  /** A fresh id for a call that is not registered (one-way). */
  long nextCallId() {
    return nextCallId.incrementAndGet();
  }

  /** Registers a call; if the connection has closed meanwhile, the call fails at once. */
  PendingCall register(PendingCall.Listener listener) {
    PendingCall call = new PendingCall(nextCallId.incrementAndGet(), listener);
    calls.put(call.id, call);
    touchCalls();
    if (isClosed()) {
      fail(call.id, Status.of(StatusCode.UNAVAILABLE, "connection closed"), false);
    }
    return call;
  }

  /** Fails one call if it is still pending; tells the server when {@code notifyServer}. */
  void fail(long callId, Status status, boolean notifyServer) {
    PendingCall call = calls.remove(callId);
    if (call != null) {
      call.complete(status, null);
      if (notifyServer && !isClosed()) {
        sendQuietly(Envelope.control(Envelope.Kind.CANCEL, callId, null, null));
      }
      closeIfDrained();
    }
  }

  int callsInFlight() {
    return calls.size();
  }

  Compressor compressor() {
    return compressor;
  }

  /** The largest request message the server accepts, as it advertised. */
  int maxRequestSize() {
    return peerMaxMessageSize;
  }

  int peerMaxHeaderSize() {
    return peerMaxHeaderSize;
  }
}
