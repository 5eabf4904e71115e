package io.protorpc;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.ServiceException;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** The server role of one connection: accepts the preface, runs calls on the executor, answers them. */
final class ServerSession extends Session {
  private static final System.Logger LOG = System.getLogger(ServerSession.class.getName());
  /** Longest status message sent back; a handler's exception text can be arbitrarily long. */
  private static final int MAX_STATUS_MESSAGE = 4096;

  private final RpcServer server;
  private final ConcurrentHashMap<Long, ServerCall> active = new ConcurrentHashMap<>();
  private volatile int peerMaxMessageSize = Integer.MAX_VALUE;
  private volatile int peerMaxHeaderSize = Integer.MAX_VALUE;
  private volatile boolean draining;
  private volatile boolean idleGoAwaySent;
  /** The first compressor the client listed that we have, for responses; null for none. */
  private volatile Compressor responseCompressor;
  /** This connection's share of the server's memory budget (see {@link #hold}). */
  private final AtomicLong held = new AtomicLong();
  private boolean readingPaused; // guarded by this

  ServerSession(RpcServer server, Connection connection) {
    super(server.limits);
    this.server = server;
    this.connection = connection;
  }

  /** One call being served. */
  private static final class ServerCall {
    final long id;
    final ServerController controller;
    final String compression;
    final boolean oneWay;
    final AtomicBoolean answered = new AtomicBoolean();
    volatile Future<?> deadlineTimer;
    private long heldBytes; // guarded by this; -1 once released

    ServerCall(long id, ServerController controller, String compression, boolean oneWay) {
      this.id = id;
      this.controller = controller;
      this.compression = compression;
      this.oneWay = oneWay;
    }

    /** Adds to what the call holds; false (nothing added) once it was answered and let go. */
    synchronized boolean addHeld(long bytes) {
      if (heldBytes < 0) {
        return false;
      }
      heldBytes += bytes;
      return true;
    }

    /** What the call held, now let go; 0 the second time. */
    synchronized long releaseHeld() {
      long h = Math.max(0, heldBytes);
      heldBytes = -1;
      return h;
    }
  }

  // ---------------------------------------------------------------- memory budget

  @Override
  void onPartialFrameBytes(long delta) {
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

  private void holdFor(ServerCall call, long bytes) {
    if (call.addHeld(bytes)) {
      hold(bytes);
    }
  }

  long heldBytes() {
    return held.get();
  }

  /**
   * Pauses reading while this connection holds more than its share of the budget, or holds
   * anything while the whole budget is spent; reads again below half its share once the budget
   * has room (the server calls this for paused connections when memory frees). A connection
   * holding nothing reads on even then: its small calls are answered, refused.
   */
  void updateReading() {
    long h = held.get();
    boolean pause;
    synchronized (this) {
      long share = readingPaused ? server.perConnectionBudget / 2 : server.perConnectionBudget;
      pause = h >= share || (h > 0 && server.budget.exhausted());
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
      case CANCEL -> {
        ServerCall call = active.get(e.callId());
        if (call != null) {
          cancel(call, "cancelled by the client");
        }
      }
      case PING -> sendQuietly(Envelope.control(Envelope.Kind.PONG, 0, null, e.payload()));
      case PONG -> { }
      case GOAWAY -> close();
      default -> throw new ProtocolException("client sent a " + e.kind() + " frame");
    }
  }

  private void onRequest(Envelope e) throws ProtocolException {
    long id = e.callId();
    if (active.containsKey(id)) {
      throw new ProtocolException("call id " + id + " is already in flight on this connection");
    }
    touchCalls();
    if (draining) {
      // sent before the client saw our go-away: not started, so the client may send it again
      answerEarly(e, Status.of(StatusCode.UNAVAILABLE, "server is shutting down"),
          Envelope.FLAG_UNPROCESSED);
      return;
    }
    RpcServer.ServiceEntry entry = server.services.get(e.service());
    if (entry == null) {
      answerEarly(e, Status.of(StatusCode.UNIMPLEMENTED, "unknown service '" + e.service() + "'"));
      return;
    }
    MethodDescriptor method = entry.descriptor().findMethodByName(e.method());
    if (method == null) {
      answerEarly(e, Status.of(StatusCode.UNIMPLEMENTED,
          "service '" + e.service() + "' has no method '" + e.method() + "'"));
      return;
    }
    if (active.size() >= limits.maxCallsInFlight()) {
      answerEarly(e, Status.of(StatusCode.RESOURCE_EXHAUSTED, "too many calls in flight on "
          + "this connection (limit " + limits.maxCallsInFlight() + ")"));
      return;
    }
    if (server.budget.exhausted()) {
      answerEarly(e, Status.of(StatusCode.RESOURCE_EXHAUSTED, "server memory budget of "
          + server.budget.limit() + " bytes is in use; try again later"));
      return;
    }
    long now = System.nanoTime();
    long deadline = e.timeoutMicros() > 0
        ? now + Math.min(e.timeoutMicros(), Long.MAX_VALUE / 4000) * 1000 : Long.MAX_VALUE;
    ServerCall call = new ServerCall(id, new ServerController(e.service(), e.method(),
        connection.remoteAddress(), connection.sslSession().orElse(null), e.metadata(), deadline), e.compression(), e.isOneWay());
    active.put(id, call);
    holdFor(call, e.payload().remaining()); // the request's bytes, until it is answered
    if (deadline != Long.MAX_VALUE) {
      // The client fails the call itself at the deadline; here we only stop caring about it.
      call.deadlineTimer = server.timer.schedule(() -> cancel(call, "deadline exceeded"),
          deadline - now, TimeUnit.NANOSECONDS);
    }
    ByteBuffer payload = e.payload();
    try {
      server.executor.execute(() -> run(entry, method, call, payload));
    } catch (RejectedExecutionException | OutOfMemoryError ex) {
      // a full queue, or no thread could be made for the call
      answer(call, null, Status.of(StatusCode.RESOURCE_EXHAUSTED, "server is overloaded"));
    }
  }

  /**
   * The client no longer waits for this call: its handler sees the cancellation, and its slot is
   * freed at once, even if the handler never completes; a later answer is dropped.
   */
  private void cancel(ServerCall call, String why) {
    call.controller.cancel();
    answer(call, null, Status.of(StatusCode.CANCELLED, why));
  }

  /** Answers a call that never got to run (one-way calls get no answer). */
  private void answerEarly(Envelope request, Status status) {
    answerEarly(request, status, 0);
  }

  private void answerEarly(Envelope request, Status status, int flags) {
    if (!request.isOneWay()) {
      sendQuietly(Envelope.response(request.callId(), status, null, null, null, flags));
    }
  }

  private void run(RpcServer.ServiceEntry entry, MethodDescriptor method, ServerCall call,
      ByteBuffer payload) {
    if (call.controller.isCanceled()) {
      answer(call, null, Status.of(StatusCode.CANCELLED, "cancelled before it started"));
      return;
    }
    Message request;
    boolean inflates = !call.compression.isEmpty() && !call.compression.equals("identity");
    // Room for the largest result is taken before inflating, so concurrent decompressions cannot
    // together outgrow the budget; the call then keeps what the result really holds.
    if (inflates && !server.budget.tryAcquire(limits.maxMessageSize())) {
      answer(call, null, Status.of(StatusCode.RESOURCE_EXHAUSTED, "server memory budget of "
          + server.budget.limit() + " bytes has no room to decompress the request"));
      return;
    }
    try {
      ByteBuffer bytes;
      try {
        bytes = decompress(limits, server.compressors, call.compression, payload);
      } finally {
        if (inflates) {
          server.budget.release(limits.maxMessageSize());
        }
      }
      if (inflates) {
        holdFor(call, bytes.remaining());
      }
      request = parse(entry.requestPrototype(method), bytes);
    } catch (LimitExceededException ex) {
      answer(call, null, Status.of(StatusCode.RESOURCE_EXHAUSTED, ex.getMessage()));
      return;
    } catch (InvalidProtocolBufferException ex) {
      answer(call, null, Status.of(StatusCode.INVALID_ARGUMENT, "request is not a valid "
          + method.getInputType().getFullName() + ": " + ex.getMessage()));
      return;
    } catch (OutOfMemoryError ex) {
      answer(call, null, Status.of(StatusCode.RESOURCE_EXHAUSTED,
          "server out of memory decoding the request"));
      return;
    } catch (IOException | RuntimeException | Error ex) {
      // an Error too: the call is answered and its slot freed, and this thread goes on
      answer(call, null, Status.of(StatusCode.INTERNAL, "cannot decode request: " + ex));
      return;
    }
    try {
      server.chain(entry, method).handle(call.controller, request,
          response -> answer(call, response, null));
    } catch (RuntimeException ex) {
      logHandlerFailure(call, ex);
      answer(call, null, Status.of(StatusCode.UNKNOWN, handlerFailure(ex)));
      return;
    } catch (Error err) {
      logHandlerFailure(call, err);
      answer(call, null, Status.of(StatusCode.INTERNAL, handlerFailure(err)));
      return;
    }
    if (call.controller.failed()) {
      // An async handler that failed its controller and returned without calling done: answer
      // with that failure now rather than leave the call to its deadline. answer() sends once, so
      // a done call the handler makes later is ignored.
      answer(call, null, null);
    }
  }

  /** The server's own record of a handler that threw: logged once per call, with the method. */
  private static void logHandlerFailure(ServerCall call, Throwable t) {
    LOG.log(System.Logger.Level.WARNING, "handler of " + call.controller.serviceName() + "/"
        + call.controller.methodName() + " threw; the call is answered with an error", t);
  }

  /** Runs the service method itself: the last link of the interceptor chain. */
  static void invoke(RpcServer.ServiceEntry entry, MethodDescriptor method,
      ServerController controller, Message request, RpcCallback<Message> done) {
    if (entry.async() != null) {
      entry.async().callMethod(method, controller, request, done);
      return;
    }
    Message response;
    try {
      response = entry.blocking().callBlockingMethod(method, controller, request);
    } catch (RpcException ex) {
      controller.setFailed(ex.status());
      response = null;
    } catch (ServiceException ex) {
      controller.setFailed(Status.of(StatusCode.UNKNOWN, handlerFailure(ex)));
      response = null;
    }
    done.run(response);
  }

  static String handlerFailure(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getName() : m;
  }

  /**
   * Sends the call's answer, once; later answers (a handler calling done twice, or after an
   * exception) are ignored. {@code error} wins over the controller's status, which wins over the
   * response.
   */
  private void answer(ServerCall call, Message response, Status error) {
    if (!call.answered.compareAndSet(false, true)) {
      return;
    }
    active.remove(call.id, call);
    touchCalls();
    Future<?> t = call.deadlineTimer;
    if (t != null) {
      t.cancel(false);
    }
    try {
      if (!call.oneWay && !call.controller.isCanceled() && !isClosed()) {
        sendAnswer(call, response, error);
      } // else: nobody is waiting for it
    } finally {
      hold(-call.releaseHeld());
      if (draining && active.isEmpty()) {
        close();
      }
    }
  }

  private void sendAnswer(ServerCall call, Message response, Status error) {
    Status status = error != null ? error
        : call.controller.failed() ? call.controller.status()
        : response == null ? Status.of(StatusCode.INTERNAL, "handler completed without a response")
        : Status.OK;
    Metadata metadata = call.controller.responseMetadata();
    Compressed payload = new Compressed("", null);
    long serialized = 0; // counted in the budget from serializing to written
    if (status.isOk()) {
      int size = response.getSerializedSize();
      int max = Math.min(peerMaxMessageSize, limits.maxMessageSize());
      if (size > max) {
        status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response of " + size
            + " bytes exceeds the max message size of " + max + " bytes");
      } else {
        serialized = size;
        hold(serialized);
        try {
          // the request's compressor if it had one, else the one the client prefers
          Compressor c = call.compression.isEmpty()
              ? responseCompressor : server.compressors.get(call.compression);
          payload = compress(c,
              server.compressionThreshold, ByteBuffer.wrap(response.toByteArray()));
        } catch (IOException | RuntimeException ex) {
          status = Status.of(StatusCode.INTERNAL, "compressing the response failed: " + ex);
        }
      }
    }
    if (!status.isOk()) {
      payload = new Compressed("", null);
      status = fitStatus(status);
    }
    int headerBytes = metadata.byteSize() + status.message().length()
        + status.details().map(d -> d.getSerializedSize()).orElse(0);
    if (headerBytes > peerMaxHeaderSize - RpcClient.HEADER_MARGIN) {
      status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response header of " + headerBytes
          + " bytes exceeds the client's limit of " + peerMaxHeaderSize + " bytes");
      metadata = null;
      payload = new Compressed("", null);
    }
    // Until written, the response is held in its serialized form and again as what goes out (the
    // compressed payload and its encoded frame): a peer that does not read its responses holds
    // this connection's share of the budget.
    long responseBytes = serialized
        + (payload.payload() == null ? 0 : 2L * payload.payload().remaining());
    hold(responseBytes - serialized);
    try {
      send(Envelope.response(call.id, status, metadata, payload.compression(),
          payload.payload()));
    } catch (IOException | RuntimeException ex) {
      LOG.log(System.Logger.Level.DEBUG, "could not send the response to call " + call.id, ex);
    } finally {
      hold(-responseBytes);
    }
  }

  private static Status fitStatus(Status s) {
    if (s.message().length() <= MAX_STATUS_MESSAGE) {
      return s;
    }
    return Status.of(s.code(), s.message().substring(0, MAX_STATUS_MESSAGE) + "...")
        .withDetails(s.details().orElse(null));
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
    LOG.log(System.Logger.Level.DEBUG, "closing connection from " + connection.remoteAddress(), error);
    if (framesStarted()) {
      sendQuietly(Envelope.control(Envelope.Kind.GOAWAY, 0, statusOf(error), null));
    } else {
      refuse(error.getMessage());
    }
  }

  @Override
  int activeCalls() {
    return active.size();
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
    if (active.isEmpty()) {
      close();
    }
  }

  @Override
  void onConnectionClosed(Throwable cause) {
    server.sessionClosed(this);
    for (ServerCall call : active.values()) {
      cancel(call, "connection closed");
    }
  }
}
