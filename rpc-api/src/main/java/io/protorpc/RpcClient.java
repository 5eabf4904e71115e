package io.protorpc;

import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcChannel;
import com.google.protobuf.RpcController;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageTransport;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A connection to one server, usable as a protobuf {@link RpcChannel} (for generated {@code
 * Stub}s) and {@link BlockingRpcChannel} (for {@code BlockingStub}s):
 *
 * <pre>{@code
 * try (RpcClient client = RpcClient.builder().address("127.0.0.1", 9090).framing("length").connect()) {
 *   EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
 *   EchoResponse r = echo.echo(new ClientController(), request);
 * }
 * }</pre>
 *
 * <p>Many calls may be in flight at once on the one connection; responses are matched to calls by
 * call id, in whatever order they come. A call's outcome is reported through its {@link
 * ClientController} (pass one per call; other {@link RpcController}s get only {@code setFailed}).
 * Async callbacks run on the client's callback executor, never on the transport's reader.
 *
 * <p>If the connection is lost, every call in flight fails with {@code UNAVAILABLE}; the next call
 * connects again.
 *
 * <p>Thread-safe. Close it to release its connection and threads; calls still in flight then fail
 * with {@code UNAVAILABLE}.
 */
public final class RpcClient implements RpcChannel, BlockingRpcChannel, AutoCloseable {
  private final InetSocketAddress address; // null for a message target
  private final String target; // null for an address
  private final Transport transport;
  private final MessageTransport messageTransport;
  private final ClientMessages messages; // null for an address
  private final Framing framing;
  private final Codec codec;
  private final Compressor compressor;
  private final Map<String, Compressor> compressors;
  private final int compressionThreshold;
  private final Duration defaultTimeout;
  private final Limits limits;
  private final TransportOptions transportOptions;
  private final OwnedExecutor callbackExecutor;
  private final ScheduledThreadPoolExecutor timer;
  private final List<ClientInterceptor> interceptors;
  private final Set<String> oneWayMethods;
  private final boolean waitForReady;
  private final Backoff backoff;
  private final Liveness liveness;
  private final Object connectLock = new Object();
  /** Open sessions: the current one and any still draining after a graceful go-away. */
  private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
  private volatile ClientSession session;
  private volatile boolean closed;
  private volatile long nextAttemptNanos = System.nanoTime(); // guarded by connectLock for writes
  private int failedAttempts; // guarded by connectLock
  private String lastConnectError = ""; // guarded by connectLock

  private RpcClient(Builder b) {
    if ((b.address == null) == (b.target == null)) {
      throw new IllegalStateException("set either an address or a target");
    }
    this.address = b.address;
    this.target = b.target;
    this.messageTransport = b.target == null ? null
        : MessageTargets.transportFor(b.target, b.messageTransport);
    this.transport = b.transport != null || b.target != null
        ? b.transport : PluginRegistry.defaultFor(Transport.class);
    this.framing = b.framing != null ? b.framing : PluginRegistry.find(Framing.class, "length");
    this.codec = b.codec != null ? b.codec : PluginRegistry.defaultFor(Codec.class);
    this.compressor =
        b.compressor != null ? b.compressor : PluginRegistry.find(Compressor.class, "identity");
    this.compressors = Map.of(compressor.name(), compressor);
    this.compressionThreshold = b.compressionThreshold;
    this.defaultTimeout = b.defaultTimeout;
    this.limits = b.limits;
    this.transportOptions = b.sslContext == null ? b.transportOptions
        : b.transportOptions.toBuilder().sslContext(b.sslContext).build();
    this.callbackExecutor = b.callbackExecutor != null
        ? OwnedExecutor.wrap(b.callbackExecutor)
        : OwnedExecutor.create("protorpc-client-callback", true);
    this.interceptors = List.copyOf(b.interceptors);
    this.oneWayMethods = Set.copyOf(b.oneWayMethods);
    this.waitForReady = b.waitForReady;
    this.backoff = b.backoff;
    this.liveness = b.liveness;
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemon("protorpc-client-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
    this.messages = target == null ? null : new ClientMessages(codec, limits, timer);
  }

  /** A builder; every setting has a default except the address. */
  public static Builder builder() {
    return new Builder();
  }

  /** The server address this client talks to, or null when it was built for a target. */
  public InetSocketAddress address() {
    return address;
  }

  /** The message target this client calls (see {@link Builder#target}), or empty. */
  public java.util.Optional<String> target() {
    return java.util.Optional.ofNullable(target);
  }

  /**
   * A view of this client whose every call is a fanout (see {@link
   * ClientController#setFanout}): generated stubs built on it reach every server listening on the
   * target, once each, and complete once the broker has the message. Only for a client built for
   * a message target; elsewhere its calls fail with {@code INVALID_ARGUMENT}.
   */
  public FanoutChannel fanout() {
    return new FanoutChannel();
  }

  /** The channel {@link #fanout()} returns: this client, with every call made a fanout. */
  public final class FanoutChannel implements RpcChannel, BlockingRpcChannel {
    private FanoutChannel() {}

    @Override
    public void callMethod(MethodDescriptor method, RpcController controller, Message request,
        Message responsePrototype, RpcCallback<Message> done) {
      RpcClient.this.callMethod(method, fanoutController(controller), request, responsePrototype,
          done);
    }

    @Override
    public Message callBlockingMethod(MethodDescriptor method, RpcController controller,
        Message request, Message responsePrototype) throws RpcException {
      return RpcClient.this.callBlockingMethod(method, fanoutController(controller), request,
          responsePrototype);
    }

    private RpcController fanoutController(RpcController controller) {
      if (controller instanceof ClientController cc) {
        cc.setFanout(true);
        return cc;
      }
      return new ClientController().setFanout(true);
    }
  }

  /** Name of the framing this client uses. */
  public String framingName() {
    return framing.name();
  }

  /** Name of the transport this client uses. */
  public String transportName() {
    return transport != null ? transport.name() : messageTransport.name();
  }

  /** Name of the compressor this client uses for requests at or above the threshold. */
  public String compressorName() {
    return compressor.name();
  }

  /**
   * Whether the client has a connection that new calls can use right now. False before the first
   * connection, after it is lost (until a call reconnects), and while the server is going away.
   */
  public boolean isConnected() {
    if (messages != null) {
      MessagePort p = messages.port();
      return p != null && p.isConnected();
    }
    ClientSession s = session;
    return s != null && s.isUsable();
  }

  /** Number of calls waiting for a response right now. */
  public int callsInFlight() {
    int n = messages == null ? 0 : messages.callsInFlight();
    for (ClientSession s : sessions) {
      n += s.callsInFlight();
    }
    return n;
  }

  /**
   * Starts a call; {@code done} runs exactly once on the callback executor, with the response, or
   * with null after {@code controller} has been marked failed. A one-way call completes with the
   * response type's default instance once the request is written.
   */
  @Override
  public void callMethod(MethodDescriptor method, RpcController controller, Message request,
      Message responsePrototype, RpcCallback<Message> done) {
    Objects.requireNonNull(done, "done");
    ClientController cc = controllerFor(controller);
    RpcCallback<Message> userDone = controller == cc ? done : m -> {
      copyFailure(cc, controller);
      done.run(m);
    };
    if (interceptors.isEmpty()) {
      startCall(method, cc, request, (status, response) -> callbackExecutor.execute(() ->
          userDone.run(finish(status, response, responsePrototype, cc))));
    } else {
      intercepted(method, cc, request, responsePrototype, userDone);
    }
  }

  /**
   * Makes a call and waits for its outcome. Interrupting the waiting thread cancels the call.
   *
   * @throws RpcException with the call's status if it failed (also recorded in {@code
   *     controller})
   */
  @Override
  public Message callBlockingMethod(MethodDescriptor method, RpcController controller,
      Message request, Message responsePrototype) throws RpcException {
    ClientController cc = controllerFor(controller);
    Message m;
    if (interceptors.isEmpty()) {
      // fast path: the response is parsed on this thread, not on the transport's reader
      CompletableFuture<Outcome> outcome = new CompletableFuture<>();
      startCall(method, cc, request,
          (status, response) -> outcome.complete(new Outcome(status, response)));
      Outcome o = await(outcome, cc);
      m = finish(o.status, o.response, responsePrototype, cc);
    } else {
      CompletableFuture<Message> result = new CompletableFuture<>();
      intercepted(method, cc, request, responsePrototype, result::complete);
      m = await(result, cc);
    }
    copyFailure(cc, controller);
    if (m == null) {
      throw new RpcException(cc.status());
    }
    return m;
  }

  private record Outcome(Status status, Envelope response) {}

  /** Waits for a call's completion; an interrupt cancels the call, which then completes at once. */
  private static <T> T await(CompletableFuture<T> future, ClientController cc) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true;
          cc.startCancel();
        } catch (ExecutionException e) {
          throw new IllegalStateException("call completion failed", e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static ClientController controllerFor(RpcController controller) {
    // a foreign controller gets the outcome through setFailed only
    return controller instanceof ClientController c ? c : new ClientController();
  }

  private static void copyFailure(ClientController cc, RpcController controller) {
    if (controller != null && controller != cc && cc.failed()) {
      controller.setFailed(cc.errorText());
    }
  }

  /** Runs the interceptor chain; its last link makes the call and completes on the executor. */
  private void intercepted(MethodDescriptor method, ClientController cc, Message request,
      Message responsePrototype, RpcCallback<Message> done) {
    AtomicBoolean ran = new AtomicBoolean();
    RpcCallback<Message> once = m -> {
      if (ran.compareAndSet(false, true)) {
        done.run(m);
      }
    };
    ClientInterceptor.Next network = (m, c, r, d) -> startCall(m, c, r, (status, response) ->
        callbackExecutor.execute(() -> d.run(finish(status, response, responsePrototype, c))));
    try {
      link(0, network).start(method, cc, request, once);
    } catch (RuntimeException e) {
      cc.setFailed(Status.of(StatusCode.INTERNAL, "client interceptor failed: " + e));
      once.run(null);
    }
  }

  private ClientInterceptor.Next link(int index, ClientInterceptor.Next network) {
    if (index == interceptors.size()) {
      return network;
    }
    ClientInterceptor interceptor = interceptors.get(index);
    ClientInterceptor.Next rest = link(index + 1, network);
    return (m, c, r, d) -> interceptor.interceptCall(m, c, r, rest, d);
  }

  /** One call from start to completion, across connection attempts while it waits for ready. */
  private final class Call {
    final MethodDescriptor method;
    final ClientController controller;
    final Message request;
    final PendingCall.Listener listener;
    final Duration timeout;
    final long deadlineNanos; // Long.MAX_VALUE: none
    final boolean oneWay;
    final boolean fanout;
    final boolean waitForReady;
    private final AtomicBoolean completed = new AtomicBoolean();
    private final AtomicBoolean resent = new AtomicBoolean();

    Call(MethodDescriptor method, ClientController controller, Message request,
        PendingCall.Listener listener) {
      this.method = method;
      this.controller = controller;
      this.request = request;
      this.listener = listener;
      this.timeout = controller.timeout() != null ? controller.timeout() : defaultTimeout;
      this.deadlineNanos = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
      this.fanout = controller.isFanout();
      this.oneWay = fanout || controller.isOneWay()
          || oneWayMethods.contains(method.getFullName());
      this.waitForReady = controller.waitForReady() != null
          ? controller.waitForReady() : RpcClient.this.waitForReady;
    }

    void complete(Status status, Envelope response) {
      if (completed.compareAndSet(false, true)) {
        controller.end();
        listener.onComplete(status, response);
      }
    }

    boolean isCompleted() {
      return completed.get();
    }

    /** True the first time only: a call is sent again at most once. */
    boolean markResent() {
      return resent.compareAndSet(false, true);
    }

    Status deadlineExceeded(String when) {
      return Status.of(StatusCode.DEADLINE_EXCEEDED,
          "deadline of " + timeout.toMillis() + " ms exceeded" + when);
    }
  }

  private void startCall(MethodDescriptor method, ClientController cc, Message request,
      PendingCall.Listener listener) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(request, "request");
    Call call = new Call(method, cc, request, listener);
    cc.begin(() -> call.complete(Status.of(StatusCode.CANCELLED, "cancelled by the client"), null));
    attempt(call);
  }

  /** Sends the call on the live connection, or waits for one, or fails it. */
  private void attempt(Call call) {
    if (call.isCompleted()) {
      return; // cancelled while waiting for a connection
    }
    long now = System.nanoTime();
    if (now - call.deadlineNanos >= 0) {
      call.complete(call.deadlineExceeded(" before a connection was ready"), null);
      return;
    }
    if (messages != null) {
      sendMessage(call, now);
      return;
    }
    if (call.fanout) {
      call.complete(Status.of(StatusCode.INVALID_ARGUMENT, "a fanout needs a client built for "
          + "a message target; this one calls " + address), null);
      return;
    }
    ClientSession s;
    try {
      s = session();
    } catch (IOException e) {
      if (call.waitForReady && !closed) {
        long retryAt = Math.max(nextAttemptNanos, now + MIN_RETRY_NANOS);
        long delay = Math.min(retryAt, call.deadlineNanos) - now;
        try {
          timer.schedule(() -> attempt(call), delay, TimeUnit.NANOSECONDS);
          return;
        } catch (RejectedExecutionException closing) {
          // the client closed meanwhile: fail below
        }
      }
      call.complete(Status.of(StatusCode.UNAVAILABLE, e.getMessage()), null);
      return;
    }
    send(s, call, now);
  }

  /**
   * The call's request envelope, or null after failing the call when the request is too large or
   * cannot be compressed.
   */
  private Envelope requestEnvelope(Call call, long now, long callId, int maxRequest,
      int peerMaxHeaderSize, Compressor compressor) {
    String service = call.method.getService().getFullName();
    Metadata requested = call.controller.requestMetadata();
    Metadata metadata = requested.isEmpty() ? Metadata.empty() : requested.copy();
    int size = call.request.getSerializedSize();
    if (size > maxRequest) {
      call.complete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request of " + size
          + " bytes exceeds the max message size of " + maxRequest + " bytes"), null);
      return null;
    }
    int headerBytes = metadata.byteSize() + service.length() + call.method.getName().length();
    if (headerBytes > peerMaxHeaderSize - HEADER_MARGIN) {
      call.complete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request metadata of "
          + headerBytes + " bytes exceeds the server's header limit of " + peerMaxHeaderSize
          + " bytes"), null);
      return null;
    }
    Session.Compressed payload;
    try {
      Boolean override = call.controller.compress();
      int threshold = override == null ? compressionThreshold
          : override ? 0 : Integer.MAX_VALUE;
      payload = Session.compress(compressor, threshold,
          ByteBuffer.wrap(call.request.toByteArray()));
    } catch (IOException | RuntimeException e) {
      call.complete(Status.of(StatusCode.INTERNAL, "compression failed: " + e), null);
      return null;
    }
    long timeoutMicros = call.deadlineNanos == Long.MAX_VALUE
        ? 0 : Math.max(1, (call.deadlineNanos - now) / 1000);
    return Envelope.request(callId, service, call.method.getName(), timeoutMicros, metadata,
        payload.compression(), payload.payload(), call.oneWay ? Envelope.FLAG_ONE_WAY : 0);
  }

  /** Sends a call as a message to the client's target. */
  private void sendMessage(Call call, long now) {
    MessagePort port = messages.port();
    if (port == null || !port.isConnected()) {
      call.complete(Status.of(StatusCode.UNAVAILABLE, "not connected to "
          + (port == null ? target : port.describe()) + "; reconnecting"), null);
      return;
    }
    Envelope request = requestEnvelope(call, now, messages.nextCallId(), limits.maxMessageSize(),
        Integer.MAX_VALUE, compressor);
    if (request != null) {
      messages.send(request, call.fanout, call.deadlineNanos,
          call.timeout == null ? null : call.deadlineExceeded(""), call.controller,
          call::complete);
    }
  }

  private void send(ClientSession s, Call call, long now) {
    int maxRequest = Math.min(limits.maxMessageSize(), s.maxRequestSize());
    if (call.oneWay) {
      Envelope request = requestEnvelope(call, now, s.nextCallId(), maxRequest,
          s.peerMaxHeaderSize(), s.compressor());
      if (request == null) {
        return;
      }
      try {
        s.send(request);
        call.complete(Status.OK, null);
      } catch (IOException | RuntimeException e) {
        call.complete(Status.of(StatusCode.UNAVAILABLE, "sending the request failed: " + e),
            null);
      }
      return;
    }
    PendingCall pending = s.register((status, response) -> {
      if (response != null && response.isUnprocessed() && call.markResent()) {
        resend(call);
      } else {
        call.complete(status, response);
      }
    });
    if (call.deadlineNanos != Long.MAX_VALUE) {
      try {
        pending.setTimer(timer.schedule(() -> s.fail(pending.id, call.deadlineExceeded(""), true),
            call.deadlineNanos - now, TimeUnit.NANOSECONDS));
      } catch (RejectedExecutionException closing) {
        s.fail(pending.id, Status.of(StatusCode.UNAVAILABLE, "client closed"), false);
        return;
      }
    }
    call.controller.begin(() -> s.fail(pending.id,
        Status.of(StatusCode.CANCELLED, "cancelled by the client"), true));
    Envelope request = requestEnvelope(call, now, pending.id, maxRequest, s.peerMaxHeaderSize(),
        s.compressor());
    if (request == null) {
      s.fail(pending.id, Status.of(StatusCode.CANCELLED, "not sent"), false); // call has ended
      return;
    }
    try {
      s.send(request);
    } catch (IOException | RuntimeException e) {
      s.fail(pending.id, Status.of(StatusCode.UNAVAILABLE, "sending the request failed: " + e),
          false);
    }
  }

  /**
   * Sends once more a call that a server going away answered without starting it, so a graceful
   * shutdown costs its callers nothing. On the timer thread, not the reader's: finding a new
   * connection may mean connecting.
   */
  private void resend(Call call) {
    call.controller.begin(() -> call.complete(
        Status.of(StatusCode.CANCELLED, "cancelled by the client"), null));
    try {
      timer.execute(() -> attempt(call));
    } catch (RejectedExecutionException closing) {
      call.complete(Status.of(StatusCode.UNAVAILABLE, "client closed"), null);
    }
  }

  /** Room left in the header for the codec's own fields besides metadata and names. */
  static final int HEADER_MARGIN = 512;
  /** How long a failed preface write waits for the reader to report the real cause. */
  private static final long PREFACE_FAILURE_GRACE_MILLIS = 200;
  private static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** Turns an outcome into the response message (or null), recording it in the controller. */
  private Message finish(Status status, Envelope response, Message prototype,
      ClientController controller) {
    Message message = null;
    Metadata responseMetadata = response == null ? Metadata.empty() : response.metadata();
    if (status.isOk() && response == null) {
      message = prototype.getDefaultInstanceForType(); // a one-way call, sent
    } else if (status.isOk()) {
      try {
        ByteBuffer bytes = Session.decompress(limits, compressors, response.compression(),
            response.payload());
        message = Session.parse(prototype, bytes);
      } catch (LimitExceededException e) {
        status = Status.of(StatusCode.RESOURCE_EXHAUSTED, e.getMessage());
      } catch (InvalidProtocolBufferException e) {
        status = Status.of(StatusCode.INTERNAL, "response is not a valid "
            + prototype.getDescriptorForType().getFullName() + ": " + e.getMessage());
      } catch (IOException | RuntimeException e) {
        status = Status.of(StatusCode.INTERNAL, "cannot decode response: " + e);
      }
    }
    controller.complete(status, responseMetadata);
    return message;
  }

  /**
   * The live session, connecting (again) if there is none and the backoff allows.
   *
   * @throws IOException if not connected: the connection attempt failed, or the backoff after
   *     the last failure has not run out yet
   */
  private ClientSession session() throws IOException {
    ClientSession s = session;
    if (s != null && s.isUsable()) {
      return s;
    }
    synchronized (connectLock) {
      if (closed) {
        throw new IOException("client is closed");
      }
      s = session;
      if (s != null && s.isUsable()) {
        return s;
      }
      long now = System.nanoTime();
      if (now - nextAttemptNanos < 0) {
        throw new IOException("not connected to " + address + " (" + lastConnectError
            + "); next attempt in " + (nextAttemptNanos - now) / 1_000_000 + " ms");
      }
      try {
        s = open();
      } catch (IOException e) {
        failedAttempts++;
        lastConnectError = e.getMessage();
        nextAttemptNanos = System.nanoTime() + backoff.delayNanos(failedAttempts);
        throw e;
      }
      failedAttempts = 0;
      nextAttemptNanos = now;
      sessions.removeIf(Session::isClosed);
      sessions.add(s);
      session = s;
      return s;
    }
  }

  /** Attaches to the broker of the client's message target; the port reconnects by itself. */
  private void openPort() throws IOException {
    MessagePort port = messageTransport.connect(URI.create(target), new MessageOptions(
        transportOptions, limits.maxFrameSize(), limits.maxCallsInFlight()), messages);
    messages.attach(port);
  }

  private ClientSession open() throws IOException {
    ClientSession s = new ClientSession(limits, framing, codec, compressor);
    Connection c = transport.connect(address, transportOptions, s);
    s.connection = c;
    try {
      try {
        s.sendPreface();
      } catch (IOException writeFailed) {
        // The reader usually knows why the write failed (a TLS alert, a refusal): prefer that.
        try {
          s.handshake.get(PREFACE_FAILURE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException noBetterReason) {
          throw writeFailed;
        }
      }
      s.handshake.get(transportOptions.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
      s.startLivenessChecks(liveness, timer, callbackExecutor);
      return s;
    } catch (ExecutionException e) {
      c.close();
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    } catch (TimeoutException e) {
      c.close();
      throw new IOException("no protorpc preface from " + address + " within "
          + transportOptions.connectTimeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new IOException("interrupted while connecting to " + address);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Closes the connection and releases the client's threads. Calls in flight fail with {@code
   * UNAVAILABLE}; their callbacks still run. Idempotent.
   */
  @Override
  public void close() {
    synchronized (connectLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (messages != null) {
      MessagePort p = messages.port();
      if (p != null) {
        p.close();
      }
      messages.failAll(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    }
    for (ClientSession s : sessions) {
      s.close();
      s.failAll(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    }
    timer.shutdownNow();
    callbackExecutor.close();
  }

  /** Configures and connects an {@link RpcClient}. Not thread-safe. */
  public static final class Builder {
    private InetSocketAddress address;
    private String target;
    private MessageTransport messageTransport;
    private Transport transport;
    private Framing framing;
    private Codec codec;
    private Compressor compressor;
    private int compressionThreshold = DEFAULT_COMPRESSION_THRESHOLD;
    private Duration defaultTimeout;
    private Limits limits = Limits.defaults();
    private TransportOptions transportOptions = TransportOptions.defaults();
    private Executor callbackExecutor;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();
    private final Set<String> oneWayMethods = new HashSet<>();
    private boolean waitForReady;
    private Backoff backoff = Backoff.DEFAULT;
    private Liveness liveness = Liveness.defaults();
    private SSLContext sslContext;

    /** Payloads below this many bytes are sent uncompressed. */
    public static final int DEFAULT_COMPRESSION_THRESHOLD = 1024;

    private Builder() {}

    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    public Builder address(String host, int port) {
      return address(new InetSocketAddress(host, port));
    }

    /**
     * Calls a message target instead of a server's address, e.g. {@code
     * amqp://user:password@broker:5672/?topic=calculator} (docs/broker.md): each call is a message
     * to the topic, taken by one of the servers consuming it; one-way calls are casts; {@link
     * ClientController#setFanout} and {@link RpcClient#fanout()} reach every server. The message
     * transport installed for the target's scheme carries them; codec, compressor, limits,
     * metadata, interceptors and deadlines work as on a connection. The client's {@code
     * tls(...)} context, if given, is used to reach the broker.
     *
     * @throws IllegalArgumentException if {@code target} is not a URI
     */
    public Builder target(String target) {
      this.target = MessageTargets.checked(target);
      return this;
    }

    /**
     * The message transport that carries the calls to {@link #target}, for instance one with
     * settings of its own; by default, the installed one serving the target's scheme.
     */
    public Builder transport(MessageTransport transport) {
      this.messageTransport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** The transport by name ({@code "socket"}, {@code "netty"}); default: the highest-priority installed. */
    public Builder transport(String name) {
      return transport(PluginRegistry.find(Transport.class, name));
    }

    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** The framing by name ({@code "length"} (default) or {@code "delimiter"}). */
    public Builder framing(String name) {
      return framing(PluginRegistry.find(Framing.class, name));
    }

    public Builder framing(Framing framing) {
      this.framing = Objects.requireNonNull(framing, "framing");
      return this;
    }

    /** The codec by name; default: the highest-priority installed ({@code "protobuf"}). */
    public Builder codec(String name) {
      return codec(PluginRegistry.find(Codec.class, name));
    }

    public Builder codec(Codec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * The compressor for requests by name (default {@code "identity"}: none). Responses come back
     * compressed with the same one. The server must have it, or connecting fails.
     */
    public Builder compressor(String name) {
      return compressor(PluginRegistry.find(Compressor.class, name));
    }

    /**
     * The compressor for requests, e.g. a {@code ZstdCompressor} with a level or a dictionary.
     *
     * @throws IllegalArgumentException if it cannot work here (its native library is missing, say)
     */
    public Builder compressor(Compressor compressor) {
      this.compressor = PluginRegistry.requireAvailable(compressor);
      return this;
    }

    /** Only payloads of at least this many bytes are compressed (default 1024). */
    public Builder compressionThreshold(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("compressionThreshold must be >= 0");
      }
      this.compressionThreshold = bytes;
      return this;
    }

    /** Timeout for calls whose controller sets none; default none. */
    public Builder defaultTimeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.defaultTimeout = timeout;
      return this;
    }

    /** Largest message (request or response payload) in bytes; default 4 MiB. */
    public Builder maxMessageSize(int bytes) {
      this.limits = limits.withMaxMessageSize(bytes);
      return this;
    }

    /** Largest call header (metadata included) in bytes; default 64 KiB. */
    public Builder maxHeaderSize(int bytes) {
      this.limits = limits.withMaxHeaderSize(bytes);
      return this;
    }

    public Builder transportOptions(TransportOptions options) {
      this.transportOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Where async callbacks run; default: a virtual thread per callback on JDK 21+, else a
     * bounded pool. The client does not shut down an executor given here.
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Connect with TLS using this context (its trust store decides which servers are trusted; its
     * key manager, if any, supplies a client certificate for mutual TLS). The server certificate
     * must match the address connected to, unless {@link TransportOptions.Builder#verifyHostname}
     * turns that off.
     */
    public Builder tls(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Closes the connection (failing its calls with {@code UNAVAILABLE}) when a write made no
     * progress for this long: a server that stopped reading. Default 60 s.
     */
    public Builder writeTimeout(Duration timeout) {
      this.liveness = liveness.withWriteTimeout(Objects.requireNonNull(timeout));
      return this;
    }

    /** Adds an interceptor to the end of the chain (see {@link ClientInterceptor}). */
    public Builder intercept(ClientInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /** Makes every call of these methods one-way (see {@link ClientController#setOneWay}). */
    public Builder oneWay(MethodDescriptor... methods) {
      for (MethodDescriptor m : methods) {
        oneWayMethods.add(m.getFullName());
      }
      return this;
    }

    /**
     * Whether calls made while there is no connection wait for one until their deadline (true)
     * or fail at once with {@code UNAVAILABLE} (false, the default). Per call: {@link
     * ClientController#setWaitForReady}.
     */
    public Builder waitForReady(boolean wait) {
      this.waitForReady = wait;
      return this;
    }

    /**
     * Reconnection backoff: after a failed attempt the next waits {@code initial}, then 1.6 times
     * longer each time up to {@code max}, each delay jittered by ±20% so that many clients do not
     * reconnect in step. Default 100 ms to 10 s.
     */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.backoff = new Backoff(initial.toNanos(), max.toNanos());
      return this;
    }

    /**
     * Pings the server after {@code time} without reading anything from it, and considers the
     * connection dead if nothing arrives {@code timeout} after that: its calls fail with {@code
     * UNAVAILABLE} and the next call reconnects. Off by default.
     */
    public Builder keepAlive(Duration time, Duration timeout) {
      this.liveness = liveness.withKeepAlive(time, timeout);
      return this;
    }

    /** Closes the connection after this long without calls; the next call reconnects. Off by default. */
    public Builder idleTimeout(Duration idle) {
      this.liveness = liveness.withIdleTimeout(idle);
      return this;
    }

    /**
     * Connects and completes the handshake.
     *
     * @throws IOException if the server cannot be reached or refuses the connection (for
     *     instance a framing or compressor it does not have; the message says which)
     * @throws PluginNotFoundException if no transport or codec is installed
     */
    public RpcClient connect() throws IOException {
      RpcClient client = new RpcClient(this);
      try {
        if (client.messages != null) {
          client.openPort();
        } else {
          client.session();
        }
        return client;
      } catch (IOException | RuntimeException e) {
        client.close();
        throw e;
      }
    }
  }
}
