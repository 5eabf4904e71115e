package io.protorpc;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.ServiceException;
import io.protorpc.internal.buffer.SerializationArrays;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.LimitExceededException;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSession;

/**
 * The calls a server is running for one carrier of requests — a stream connection's session, or a
 * message port's consumer — from a decoded request envelope to its one answer: find the service
 * and method, run the interceptors and handler on the server's executor, enforce the deadline,
 * and answer through the call's {@link Carrier}. Thread-safe.
 */
final class ServerCalls {
  private static final System.Logger LOG = System.getLogger(ServerCalls.class.getName());
  /** Longest status message sent back; a handler's exception text can be arbitrarily long. */
  private static final int MAX_STATUS_MESSAGE = 4096;

  /** Where a call came from and where its answer goes. */
  interface Carrier {
    /** Sends the answer; failures are the carrier's to report. */
    void respond(Envelope response);

    /** The call has its answer (sent, or dropped because nobody waits); called once per call. */
    void answered();

    SocketAddress remoteAddress();

    /** The TLS session, or null. */
    SSLSession sslSession();

    /** The largest response payload the caller accepts. */
    default int peerMaxMessageSize() {
      return Integer.MAX_VALUE;
    }

    /** The largest response header the caller accepts. */
    default int peerMaxHeaderSize() {
      return Integer.MAX_VALUE;
    }

    /** The compressor for responses to uncompressed requests, or null for none. */
    default Compressor responseCompressor() {
      return null;
    }

    /**
     * True when {@link #respond} has written or copied the answer's payload by the time it returns
     * (a stream connection's write does), so that its buffer may be reused after.
     */
    default boolean respondCopiesPayload() {
      return false;
    }

    /** False when nobody can receive an answer any more (the connection is closed). */
    default boolean canRespond() {
      return true;
    }

    /**
     * Counts bytes a call holds in memory (or, negative, no longer holds) in the server's budget;
     * a connection also pauses its reading on it.
     */
    void hold(long bytes);
  }

  /** Arrays that responses are serialized into, reused once the connection has written them. */
  private static final SerializationArrays ARRAYS = SerializationArrays.shared();

  private final RpcServer server;
  private final Limits limits;
  private final ConcurrentHashMap<Object, ServerCall> active = new ConcurrentHashMap<>();

  ServerCalls(RpcServer server) {
    this.server = server;
    this.limits = server.limits;
  }

  /** One call being served. */
  private static final class ServerCall {
    final Object key;
    final long id;
    final ServerController controller;
    final String compression;
    final boolean oneWay;
    final Carrier carrier;
    final AtomicBoolean answered = new AtomicBoolean();
    volatile Future<?> deadlineTimer;
    private long heldBytes; // guarded by this; -1 once released

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

    ServerCall(Object key, long id, ServerController controller, String compression,
        boolean oneWay, Carrier carrier) {
      this.key = key;
      this.id = id;
      this.controller = controller;
      this.compression = compression;
      this.oneWay = oneWay;
      this.carrier = carrier;
    }
  }

  int size() {
    return active.size();
  }

  boolean isEmpty() {
    return active.isEmpty();
  }

  boolean contains(Object key) {
    return active.containsKey(key);
  }

  /**
   * Starts serving a request, or answers it at once when it cannot run (unknown service or
   * method, too many calls, an overloaded executor). {@code key} identifies the call among this
   * carrier's calls in flight, for {@link #cancel}.
   */
  void dispatch(Object key, Envelope e, Carrier carrier) {
    RpcServer.ServiceEntry entry = server.services.get(e.service());
    if (entry == null) {
      answerEarly(e, carrier, Status.of(StatusCode.UNIMPLEMENTED,
          "unknown service '" + e.service() + "'"), 0);
      return;
    }
    MethodDescriptor method = entry.descriptor().findMethodByName(e.method());
    if (method == null) {
      answerEarly(e, carrier, Status.of(StatusCode.UNIMPLEMENTED,
          "service '" + e.service() + "' has no method '" + e.method() + "'"), 0);
      return;
    }
    if (active.size() >= limits.maxCallsInFlight()) {
      answerEarly(e, carrier, Status.of(StatusCode.RESOURCE_EXHAUSTED, "too many calls in flight "
          + "on this connection (limit " + limits.maxCallsInFlight() + ")"), 0);
      return;
    }
    if (server.budget.exhausted()) {
      answerEarly(e, carrier, Status.of(StatusCode.RESOURCE_EXHAUSTED, "server memory budget of "
          + server.budget.limit() + " bytes is in use; try again later"), 0);
      return;
    }
    long now = System.nanoTime();
    long deadline = e.timeoutMicros() > 0
        ? now + Math.min(e.timeoutMicros(), Long.MAX_VALUE / 4000) * 1000 : Long.MAX_VALUE;
    ServerCall call = new ServerCall(key, e.callId(), new ServerController(e.service(),
        e.method(), carrier.remoteAddress(), carrier.sslSession(), e.metadata(), deadline),
        e.compression(), e.isOneWay(), carrier);
    active.put(key, call);
    holdFor(call, e.payload().remaining()); // the request's bytes, until it is answered
    if (deadline != Long.MAX_VALUE) {
      // The client fails the call itself at the deadline; here we only stop caring about it.
      try {
        call.deadlineTimer = server.timer.schedule(() -> cancel(call, "deadline exceeded"),
            deadline - now, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        cancel(call, "server is closing");
        return;
      }
    }
    ByteBuffer payload = e.payload();
    try {
      server.executor.execute(() -> run(entry, method, call, payload));
    } catch (RejectedExecutionException | OutOfMemoryError ex) {
      // a full queue, or no thread could be made for the call
      answer(call, null, Status.of(StatusCode.RESOURCE_EXHAUSTED, "server is overloaded"));
    }
  }

  private static void holdFor(ServerCall call, long bytes) {
    if (call.addHeld(bytes)) {
      call.carrier.hold(bytes);
    }
  }

  /** Cancels the call with this key, if it is still running. */
  void cancel(Object key, String why) {
    ServerCall call = active.get(key);
    if (call != null) {
      cancel(call, why);
    }
  }

  /** Cancels every call still running. */
  void cancelAll(String why) {
    for (ServerCall call : active.values()) {
      cancel(call, why);
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
  static void answerEarly(Envelope request, Carrier carrier, Status status, int flags) {
    if (!request.isOneWay()) {
      carrier.respond(Envelope.response(request.callId(), status, null, null, null, flags));
    }
    carrier.answered();
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
        bytes = Session.decompress(limits, server.compressors, call.compression, payload);
      } finally {
        if (inflates) {
          server.budget.release(limits.maxMessageSize());
        }
      }
      if (inflates) {
        holdFor(call, bytes.remaining());
      }
      request = Session.parse(entry.requestPrototype(method), bytes);
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
    active.remove(call.key, call);
    Future<?> t = call.deadlineTimer;
    if (t != null) {
      t.cancel(false);
    }
    try {
      if (!call.oneWay && !call.controller.isCanceled() && call.carrier.canRespond()) {
        sendAnswer(call, response, error);
      } // else: nobody is waiting for it
    } finally {
      call.carrier.hold(-call.releaseHeld());
      call.carrier.answered();
    }
  }

  private void sendAnswer(ServerCall call, Message response, Status error) {
    Carrier carrier = call.carrier;
    Status status = error != null ? error
        : call.controller.failed() ? call.controller.status()
        : response == null ? Status.of(StatusCode.INTERNAL, "handler completed without a response")
        : Status.OK;
    Metadata metadata = call.controller.responseMetadata();
    Session.Compressed payload = new Session.Compressed("", null);
    long serialized = 0; // counted in the budget from serializing to written
    SerializationArrays.Lease lent = null; // the pooled array the response is serialized into
    try {
      if (status.isOk()) {
        int size = response.getSerializedSize();
        int max = Math.min(carrier.peerMaxMessageSize(), limits.maxMessageSize());
        if (size > max) {
          status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response of " + size
              + " bytes exceeds the max message size of " + max + " bytes");
        } else {
          serialized = size;
          carrier.hold(serialized);
          try {
            // A pooled array only where the connection is done with it once respond() returns.
            lent = carrier.respondCopiesPayload() ? ARRAYS.serialize(response, size) : null;
            if (lent != null) {
              carrier.hold(lent.capacity() - serialized); // the whole array is held
              serialized = lent.capacity();
            }
            // the request's compressor if it had one, else the one the client prefers
            Compressor c = call.compression.isEmpty()
                ? carrier.responseCompressor() : server.compressors.get(call.compression);
            payload = Session.compress(c, server.compressionThreshold,
                lent != null ? lent.bytes() : ByteBuffer.wrap(response.toByteArray()));
          } catch (IOException | RuntimeException ex) {
            status = Status.of(StatusCode.INTERNAL, "encoding the response failed: " + ex);
          }
        }
      }
      if (!status.isOk()) {
        payload = new Session.Compressed("", null);
        status = fitStatus(status);
      }
      int headerBytes = metadata.byteSize() + status.message().length()
          + status.details().map(d -> d.getSerializedSize()).orElse(0);
      if (headerBytes > carrier.peerMaxHeaderSize() - RpcClient.HEADER_MARGIN) {
        status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response header of " + headerBytes
            + " bytes exceeds the client's limit of " + carrier.peerMaxHeaderSize() + " bytes");
        metadata = null;
        payload = new Session.Compressed("", null);
      }
      // Until written, the response is held in its serialized form and again as what goes out
      // (the compressed payload and its encoded frame): a peer that does not read its responses
      // holds this connection's share of the budget.
      long responseBytes = serialized
          + (payload.payload() == null ? 0 : 2L * payload.payload().remaining());
      carrier.hold(responseBytes - serialized);
      try {
        carrier.respond(Envelope.response(call.id, status, metadata, payload.compression(),
            payload.payload()));
      } catch (RuntimeException ex) {
        LOG.log(System.Logger.Level.DEBUG, "could not send the response to call " + call.id, ex);
      } finally {
        carrier.hold(-responseBytes);
      }
    } finally {
      if (lent != null) {
        lent.release(); // written (or failed): the array may serve the next response
      }
    }
  }

  private static Status fitStatus(Status s) {
    if (s.message().length() <= MAX_STATUS_MESSAGE) {
      return s;
    }
    return Status.of(s.code(), s.message().substring(0, MAX_STATUS_MESSAGE) + "...")
        .withDetails(s.details().orElse(null));
  }
}
