package io.protorpc;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/** The server role of one connection: accepts the preface, runs calls on the executor, answers them. */
final class ServerSession extends Session {
  private static final System.Logger LOG = System.getLogger(ServerSession.class.getName());

  private final RpcServer server;
  private final ServerCalls calls;
  private final ServerCalls.Carrier carrier = new StreamCarrier();
  private volatile int peerMaxMessageSize = Integer.MAX_VALUE;
  private volatile int peerMaxHeaderSize = Integer.MAX_VALUE;
  private volatile boolean draining;
  private final java.util.concurrent.atomic.AtomicBoolean lingering =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * How long a drained connection (go-away sent, no call left) waits for its client to close it
   * before closing it itself. The client closes once its last call is answered; until then a
   * request it wrote before it read the go-away still arrives here and is answered "unprocessed"
   * (so it is sent elsewhere), where closing at once would lose it with the connection.
   */
  static final long DRAIN_LINGER_MILLIS = 5_000;
  private volatile boolean idleGoAwaySent;
  /** The first compressor the client listed that we have, for responses; null for none. */
  private volatile Compressor responseCompressor;
  /** This connection's share of the server's memory budget (see {@link #hold}). */
  private final AtomicLong held = new AtomicLong();
  /** The part of {@link #held} that is the unfinished frame being read. */
  private final AtomicLong partial = new AtomicLong();
  private boolean readingPaused; // guarded by this

  ServerSession(RpcServer server, Connection connection) {
    super(server.limits);
    this.server = server;
    this.calls = new ServerCalls(server);
    this.connection = connection;
  }

  // ---------------------------------------------------------------- memory budget

  @Override
  void onPartialFrameBytes(long delta) {
    partial.addAndGet(delta);
    hold(delta);
  }

  /** Bytes this connection holds, counted in the server's budget; its reading follows. */
  private void hold(long delta) {
    if (delta == 0) {
      return;
    }
    held.addAndGet(delta);
    server.budget.add(delta);
    updateReading();
  }

  long heldBytes() {
    return held.get();
  }

  /**
   * Pauses reading while this connection holds more than its share of the budget, or holds
   * anything while the whole budget is spent; reads again at or below half its share once the
   * budget has room (the server calls this for paused connections when memory frees). A share is
   * at least two max-size frames, so a connection holding no more than one unfinished frame,
   * which only reading can finish or free (its peer may even be gone), always reads again then;
   * for that, the unfinished frame counts at most one max-size frame here, as its count also
   * holds what its framing adds on the wire (a length prefix, COBS code bytes).
   * A connection holding nothing reads on even while the budget is spent: its small calls are
   * answered, refused.
   */
  void updateReading() {
    long h = held.get();
    boolean pause;
    synchronized (this) {
      long share = server.perConnectionBudget;
      long framingOverhead = Math.max(0, partial.get() - limits.maxFrameSize());
      pause = (readingPaused ? h - framingOverhead > share / 2 : h >= share)
          || (h > 0 && server.budget.exhausted());
      if (pause == readingPaused) {
        return;
      }
      readingPaused = pause;
      // under the lock, so that the transport and the server's set see the changes in order
      connection.pauseReading(pause);
      server.readingPaused(this, pause);
    }
  }

  @Override
  void onPreface(Map<String, String> fields) throws ProtocolException {
    String framingName = fields.getOrDefault(Preface.FRAMING, "");
    String codecName = fields.getOrDefault(Preface.CODEC, "");
    Framing f = server.framings.get(framingName);
    Codec c = server.codecs.get(codecName);
    String refusal = null;
    if (f == null) {
      refusal = "framing '" + framingName + "' is not accepted here (accepted: "
          + String.join(", ", server.framings.keySet()) + ")";
    } else if (c == null) {
      refusal = "codec '" + codecName + "' is not accepted here (accepted: "
          + String.join(", ", server.codecs.keySet()) + ")";
    }
    if (refusal == null && server.isShutdown()) {
      refusal = "server is shutting down";
    }
    if (refusal != null) {
      refuse(refusal);
      return;
    }
    for (String name : fields.getOrDefault(Preface.COMPRESSORS, "").split(",")) {
      Compressor offered = server.compressors.get(name.trim());
      if (offered != null && !name.trim().equals("identity")) {
        responseCompressor = offered;
        break;
      }
    }
    peerMaxMessageSize = Preface.intField(fields, Preface.MAX_MESSAGE_SIZE, Integer.MAX_VALUE);
    peerMaxHeaderSize = Preface.intField(fields, Preface.MAX_HEADER_SIZE, Integer.MAX_VALUE);
    Map<String, String> reply = new LinkedHashMap<>();
    reply.put(Preface.STATUS, "ok");
    reply.put(Preface.FRAMING, f.name());
    reply.put(Preface.CODEC, c.name());
    reply.put(Preface.COMPRESSORS, String.join(",", server.compressors.keySet()));
    reply.put(Preface.MAX_MESSAGE_SIZE, Integer.toString(limits.maxMessageSize()));
    reply.put(Preface.MAX_HEADER_SIZE, Integer.toString(limits.maxHeaderSize()));
    startFrames(f, c);
    try {
      writePreface(reply);
    } catch (IOException e) {
      close();
    }
  }

  void refuse(String reason) {
    Map<String, String> reply = new LinkedHashMap<>();
    reply.put(Preface.STATUS, "refused");
    reply.put(Preface.REASON, reason);
    try {
      writePreface(reply);
    } catch (IOException e) {
      // the peer is gone already; closing is all that is left
    }
    close();
  }

  @Override
  void onEnvelope(Envelope e) throws ProtocolException {
    switch (e.kind()) {
      case REQUEST -> onRequest(e);
      case CANCEL -> calls.cancel(e.callId(), "cancelled by the client");
      case PING -> sendQuietly(Envelope.control(Envelope.Kind.PONG, 0, null, e.payload()));
      case PONG -> { }
      case GOAWAY -> close();
      default -> throw new ProtocolException("client sent a " + e.kind() + " frame");
    }
  }

  private void onRequest(Envelope e) throws ProtocolException {
    long id = e.callId();
    if (calls.contains(id)) {
      throw new ProtocolException("call id " + id + " is already in flight on this connection");
    }
    touchCalls();
    if (draining) {
      // sent before the client saw our go-away: not started, so the client may send it again
      ServerCalls.answerEarly(e, carrier, Status.of(StatusCode.UNAVAILABLE,
          "server is shutting down"), Envelope.FLAG_UNPROCESSED);
      return;
    }
    calls.dispatch(id, e, carrier);
  }

  /** This connection as the carrier of its calls: answers go back on it. */
  private final class StreamCarrier implements ServerCalls.Carrier {
    @Override
    public void respond(Envelope response) {
      sendQuietly(response);
    }

    @Override
    public void answered() {
      touchCalls();
      if (draining && calls.isEmpty()) {
        closeWhenTheClientHasGone();
      }
    }

    @Override
    public SocketAddress remoteAddress() {
      return connection.remoteAddress();
    }

    @Override
    public SSLSession sslSession() {
      return connection.sslSession().orElse(null);
    }

    @Override
    public int peerMaxMessageSize() {
      return peerMaxMessageSize;
    }

    @Override
    public int peerMaxHeaderSize() {
      return peerMaxHeaderSize;
    }

    @Override
    public Compressor responseCompressor() {
      return responseCompressor;
    }

    @Override
    public boolean respondCopiesPayload() {
      return true; // Connection.write: the transport no longer uses the buffers once it returns
    }

    @Override
    public boolean canRespond() {
      return !isClosed();
    }

    @Override
    public void hold(long bytes) {
      ServerSession.this.hold(bytes);
    }
  }

  private volatile boolean closingForMemory;

  boolean closingForMemory() {
    return closingForMemory;
  }

  void markClosingForMemory() {
    closingForMemory = true;
  }

  /** Closes this connection to free memory, telling the client why (a go-away). */
  void closeForMemory(long budgetBytes) {
    LOG.log(System.Logger.Level.WARNING, "closing the connection from "
        + connection.remoteAddress() + ", which holds " + held.get() + " bytes, the most while"
        + " the server's memory budget of " + budgetBytes + " bytes has been spent");
    if (framesStarted()) {
      sendQuietly(Envelope.control(Envelope.Kind.GOAWAY, 0, Status.of(
          StatusCode.RESOURCE_EXHAUSTED, "server memory budget spent; closing the connection"
          + " holding the most"), null));
    }
    close();
  }

  @Override
  void onProtocolError(ProtocolException error) {
    if (error instanceof Preface.TlsRecordException) {
      server.warnAboutPeer("client at " + connection.remoteAddress() + " sent a TLS handshake to"
          + " this plaintext port (is the client meant to use TLS? this server has no tls(...))");
    }
    LOG.log(System.Logger.Level.DEBUG, "closing connection from " + connection.remoteAddress(), error);
    if (framesStarted()) {
      sendQuietly(Envelope.control(Envelope.Kind.GOAWAY, 0, statusOf(error), null));
    } else {
      refuse(error.getMessage());
    }
  }

  @Override
  int activeCalls() {
    return calls.size();
  }

  @Override
  void onLivenessTimeout(LivenessFailure failure, Status status) {
    LOG.log(System.Logger.Level.DEBUG, "closing connection from " + connection.remoteAddress()
        + ": " + status.message());
    if (failure == LivenessFailure.UNRESPONSIVE || idleGoAwaySent) {
      close(); // nothing more can be said to this peer, or it ignored our go-away
      return;
    }
    // Idle: ask the client to go away and let it close, so that a call it sends meanwhile is
    // still served rather than lost; if it is still here a whole idle period later, close.
    idleGoAwaySent = true;
    try {
      server.executor.execute(() -> sendQuietly(Envelope.control(Envelope.Kind.GOAWAY, 0,
          Status.of(StatusCode.OK, "idle"), null)));
    } catch (RejectedExecutionException e) {
      close();
    }
  }

  /** The TLS error among {@code cause} and its causes (a transport may wrap it), or null. */
  private static SSLException tlsFailure(Throwable cause) {
    for (int depth = 0; cause != null && depth < 8; depth++, cause = cause.getCause()) {
      if (cause instanceof SSLException e) {
        return e;
      }
    }
    return null;
  }

  /**
   * Graceful shutdown of this connection: tells the client to send no new calls, lets the calls
   * in flight finish, then closes.
   */
  void beginDrain() {
    if (draining) {
      return;
    }
    draining = true;
    if (framesStarted()) {
      sendQuietly(Envelope.control(Envelope.Kind.GOAWAY, 0,
          Status.of(StatusCode.OK, "server is shutting down"), null));
    }
    if (calls.isEmpty()) {
      closeWhenTheClientHasGone();
    }
  }

  /** Drained: leaves the close to the client, for at most {@link #DRAIN_LINGER_MILLIS}. */
  private void closeWhenTheClientHasGone() {
    if (!framesStarted()) {
      close(); // no handshake yet: this peer has sent no call to lose
      return;
    }
    if (!lingering.compareAndSet(false, true)) {
      return;
    }
    try {
      server.timer.schedule(this::close, DRAIN_LINGER_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException serverStopping) {
      close();
    }
  }

  @Override
  void onConnectionClosed(Throwable cause) {
    SSLException tls = tlsFailure(cause);
    if (tls != null && !framesStarted()) {
      // the transport's reason: an untrusted or missing client certificate, a plaintext client
      server.warnAboutPeer("TLS handshake with " + connection.remoteAddress() + " failed: "
          + tls.getMessage());
    }
    server.sessionClosed(this);
    calls.cancelAll("connection closed");
  }
}
