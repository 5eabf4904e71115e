package io.protorpc;

import io.protorpc.internal.client.ClientCall;
import io.protorpc.internal.client.ClientConnection;
import io.protorpc.internal.client.FrameWriter;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
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
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client role of a connection: the handshake, the table of calls on it, and their endings.
 * Every write goes through its {@link FrameWriter}, so no caller, reader or timer thread waits on
 * the peer; closing the transport connection runs on the I/O executor for the same reason.
 *
 * <p>New calls and draining meet under one lock: a call is registered only while the connection
 * is neither draining nor closed, and a drained connection is closed only when no call is
 * registered, so a call racing a go-away or idle timeout is either on it or refused (and placed
 * elsewhere by its subchannel), never lost.
 */
final class ClientSession extends Session
    implements ClientConnection, ClientCall.Place, FrameWriter.Sink {
  private final Framing ownFraming;
  private final Codec ownCodec;
  private final Compressor compressor;
  private final Executor io;
  private final ClientConnection.Listener listener;
  private final FrameWriter writer;
  private final ClientMemory memory;
  final CompletableFuture<Void> handshake = new CompletableFuture<>();
  private final ConcurrentHashMap<Long, ClientCall> calls = new ConcurrentHashMap<>();
  private final AtomicLong nextCallId = new AtomicLong();
  private final Object lock = new Object();
  private boolean draining; // guarded by lock
  private boolean closedForCalls; // guarded by lock
  private volatile int peerMaxMessageSize = Integer.MAX_VALUE;
  private volatile int peerMaxHeaderSize = Integer.MAX_VALUE;
  private volatile Status goAway;

  ClientSession(Limits limits, Framing framing, Codec codec, Compressor compressor, Executor io,
      ClientConnection.Listener listener, ClientMemory memory) {
    super(limits);
    this.memory = memory;
    this.ownFraming = framing;
    this.ownCodec = codec;
    this.compressor = compressor;
    this.io = io;
    this.listener = listener;
    this.writer = new FrameWriter(io, this, this);
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

  // ------------------------------------------------------------------ calls going out

  @Override
  public boolean start(ClientCall call) {
    int maxRequest = Math.min(limits.maxMessageSize(), peerMaxMessageSize);
    if (call.messageSize() > maxRequest) {
      call.closedBy(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request of " + call.messageSize()
          + " bytes exceeds the max message size of " + maxRequest + " bytes"), null,
          ClientCall.Delivery.NOT_SENT);
      return true;
    }
    int headerBytes = call.metadata().byteSize() + call.service().length()
        + call.method().length();
    if (headerBytes > peerMaxHeaderSize - RpcClient.HEADER_MARGIN) {
      call.closedBy(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request metadata of "
          + headerBytes + " bytes exceeds the server's header limit of " + peerMaxHeaderSize
          + " bytes"), null, ClientCall.Delivery.NOT_SENT);
      return true;
    }
    long id = nextCallId.incrementAndGet();
    if (call.isOneWay()) {
      if (!isUsable()) {
        return false;
      }
      call.moveTo(this, id); // no entry in the table: nothing answers a one-way call
      writer.oneWay(call, request(call, id, Envelope.FLAG_ONE_WAY));
      return true;
    }
    synchronized (lock) {
      if (draining || closedForCalls || isClosed()) {
        return false;
      }
      calls.put(id, call);
    }
    touchCalls();
    call.moveTo(this, id);
    if (call.isDone()) {
      remove(call, false); // ended while it moved here; nothing was queued for it
      return true;
    }
    writer.request(call, request(call, id, 0));
    return true;
  }

  private static Envelope request(ClientCall call, long id, int flags) {
    return Envelope.request(id, call.service(), call.method(), call.timeoutMicrosLeft(),
        call.metadata(), call.compression(), call.payload(), flags);
  }

  @Override
  public void remove(ClientCall call, boolean tellServer) {
    if (calls.remove(call.streamId(), call)) {
      touchCalls();
      if (tellServer) {
        writer.cancel(call, Envelope.control(Envelope.Kind.CANCEL, call.streamId(), null, null));
      }
      closeIfDrained();
    }
  }

  @Override
  public String describeWait() {
    return ""; // the server has it: the deadline speaks for itself
  }

  @Override
  public void write(List<Envelope> frames) throws IOException {
    sendAll(frames);
  }

  @Override
  public void writeFailed(IOException cause) {
    Status s = Status.of(StatusCode.UNAVAILABLE, "sending to " + peerName() + " failed: "
        + cause.getMessage());
    goAway = s;
    failAll(s);
    closeInBackground();
  }

  // ------------------------------------------------------------------ what comes in

  @Override
  void onPartialFrameBytes(long delta) {
    memory.partialFrames(delta);
  }

  /** The client's memory budget stops (or resumes) reading from this connection. */
  void pauseReading(boolean paused) {
    Connection c = connection;
    if (c != null) {
      c.pauseReading(paused);
    }
  }

  @Override
  void onEnvelope(Envelope e) throws ProtocolException {
    switch (e.kind()) {
      case RESPONSE -> {
        boolean unprocessed = e.isUnprocessed();
        if (unprocessed) {
          markDraining(); // the server is going away (its go-away may cross this)
        }
        ClientCall call = calls.remove(e.callId());
        if (call != null) {
          writer.answered(call);
          touchCalls();
          call.closedBy(e.status(), e, unprocessed
              ? ClientCall.Delivery.UNPROCESSED : ClientCall.Delivery.SENT);
          closeIfDrained();
        } // else: a late answer to a call that timed out or was cancelled
      }
      case PING -> writer.control(Envelope.control(Envelope.Kind.PONG, 0, null, e.payload()));
      case PONG -> { }
      case GOAWAY -> {
        if (e.status().isOk()) {
          // graceful: the server finishes the calls it has; new calls go to a new connection
          markDraining();
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
      s = Status.of(StatusCode.UNAVAILABLE, "connection to " + peerName() + " closed" + why);
    } else if (s.isOk()) {
      s = Status.of(StatusCode.UNAVAILABLE, "server went away");
    }
    handshake.completeExceptionally(new IOException(s.toString(), cause));
    memory.closed(this);
    synchronized (lock) {
      closedForCalls = true;
    }
    failAll(s);
    listener.onClosed(this);
  }

  @Override
  void onLivenessTimeout(LivenessFailure failure, Status status) {
    if (failure == LivenessFailure.IDLE) {
      // no new calls here; a call racing with this is either registered first or refused
      markDraining();
      closeIfDrained();
      return;
    }
    goAway = status;
    failAll(status); // at once: closing a socket to a dead peer may take a while to be reported
    closeInBackground();
  }

  // ------------------------------------------------------------------ endings

  @Override
  public void shutdown(Status status) {
    goAway = status;
    failAll(status);
    closeInBackground();
  }

  @Override
  public void drain() {
    markDraining();
    closeIfDrained();
  }

  private void failAll(Status status) {
    synchronized (lock) {
      closedForCalls = true;
    }
    for (Long id : calls.keySet().toArray(new Long[0])) {
      ClientCall call = calls.remove(id);
      if (call == null) {
        continue;
      }
      if (call.requestWrittenOn(this)) {
        call.closedBy(status, null, ClientCall.Delivery.SENT);
      } else {
        call.unsent(status); // never left this client: another connection may carry it
      }
    }
    listener.onNotUsable(this);
  }

  private void markDraining() {
    synchronized (lock) {
      draining = true;
    }
    listener.onNotUsable(this);
  }

  private void closeIfDrained() {
    synchronized (lock) {
      if (!draining || !calls.isEmpty() || closedForCalls) {
        return;
      }
      closedForCalls = true;
    }
    closeInBackground();
  }

  /** Closes the transport connection on the I/O executor: a close may flush, and flushing blocks. */
  private void closeInBackground() {
    try {
      io.execute(this::close);
    } catch (RejectedExecutionException clientClosing) {
      close();
    }
  }

  private String peerName() {
    return connection == null ? "server" : String.valueOf(connection.remoteAddress());
  }

  @Override
  public boolean isUsable() {
    synchronized (lock) {
      return !draining && !closedForCalls && !isClosed();
    }
  }

  @Override
  int activeCalls() {
    return calls.size();
  }

  @Override
  public int callsInFlight() {
    return calls.size();
  }
}
