package io.protorpc;

import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcChannel;
import com.google.protobuf.RpcController;
import io.protorpc.balancer.LoadBalancer;
import io.protorpc.builtin.RoundRobinBalancer;
import io.protorpc.internal.buffer.SerializationArrays;
import io.protorpc.internal.client.Backoff;
import io.protorpc.internal.client.BalancedRouter;
import io.protorpc.internal.client.ClientCall;
import io.protorpc.internal.client.ConnectivityState;
import io.protorpc.internal.client.HealthCheck;
import io.protorpc.internal.client.Retrier;
import io.protorpc.internal.client.RetryThrottle;
import io.protorpc.internal.client.Subchannel;
import io.protorpc.internal.client.SystemClock;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageTransport;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A client of one server, or of the servers of a target, usable as a protobuf {@link RpcChannel}
 * (for generated {@code Stub}s) and {@link BlockingRpcChannel} (for {@code BlockingStub}s):
 *
 * <pre>{@code
 * try (RpcClient client = RpcClient.builder().address("127.0.0.1", 9090).framing("length").connect()) {
 *   EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
 *   EchoResponse r = echo.echo(new ClientController(), request);
 * }
 * }</pre>
 *
 * <p>Built for a {@linkplain Builder#target target} such as {@code dns:///echo.internal:9090},
 * the client keeps one connection per resolved address and a load balancer picks one per call
 * (docs/load-balancing.md).
 *
 * <p>Many calls may be in flight at once on one connection; responses are matched to calls by
 * call id, in whatever order they come. A call's outcome is reported through its {@link
 * ClientController} (pass one per call; other {@link RpcController}s get only {@code setFailed}).
 * Async callbacks run on the client's callback executor, never on the transport's reader.
 *
 * <p><b>Every call ends exactly once, by its deadline</b>, whatever the network, the server or
 * {@link #close()} do: {@link #callMethod} returns at once (connecting and writing happen on the
 * client's own I/O threads), a blocking call waits only for its own outcome, and a deadline,
 * {@link ClientController#startCancel()} or {@code close()} ends a call wherever it is, waiting
 * for a connection or on one. docs/call-semantics.md says what each failure looks like.
 *
 * <p>If the connection is lost, every call on it fails with {@code UNAVAILABLE}; the next call
 * connects again (after a backoff if an attempt failed).
 *
 * <p>Thread-safe. Close it to release its connection and threads.
 */
public final class RpcClient implements RpcChannel, BlockingRpcChannel, AutoCloseable {
  /** Room left in the header for the codec's own fields besides metadata and names. */
  static final int HEADER_MARGIN = 512;
  /**
   * How much longer than the connect timeout {@link Builder#connect()} waits, at most: the
   * attempt ends by the timeout on its own; this only covers threads that run late.
   */
  private static final long CONNECT_WAIT_SLACK_MILLIS = 5_000;
  /** Arrays that requests are serialized into, reused once their call has ended. */
  private static final SerializationArrays ARRAYS = SerializationArrays.shared();

  private final SocketAddress address;
  private final Transport transport;
  private final Framing framing;
  private final Compressor compressor;
  private final Map<String, Compressor> compressors;
  private final int compressionThreshold;
  private final Duration defaultTimeout;
  private final Limits limits;
  private final TransportOptions transportOptions;
  private final OwnedExecutor callbackExecutor;
  /** Connect attempts, writes and closes: the only threads that wait for the network. */
  private final OwnedExecutor io;
  private final SystemClock clock;
  private final List<ClientInterceptor> interceptors;
  private final Set<String> oneWayMethods;
  private final boolean waitForReady;
  private final ClientMemory memory;
  private final Retrier retrier; // null without retry policies
  private final Subchannel subchannel; // for an address only
  private final BalancedRouter balanced; // for a resolver target only
  private final ClientCall.Router router; // one of the two above; null for a message target
  private final String target; // null for an address
  private final MessageTransport messageTransport;
  private final ClientMessages messages; // null for an address
  private final AtomicBoolean closed = new AtomicBoolean();

  private RpcClient(Builder b) {
    if ((b.address == null) == (b.target == null)) {
      throw new IllegalStateException("set either an address or a target");
    }
    this.address = b.address;
    this.target = b.target;
    Target parsed = b.target == null ? null : Target.parse(b.target);
    boolean messageTarget =
        parsed != null && MessageTargets.isMessageTarget(parsed.scheme(), b.messageTransport);
    if (messageTarget && !b.retryPolicies.isEmpty()) {
      throw new IllegalStateException("retry policies apply to calls over connections; through a"
          + " broker a call is redelivered instead (docs/broker.md)");
    }
    if (b.memoryBudget > 0 && b.memoryBudget < b.limits.maxFrameSize()) {
      throw new IllegalArgumentException("memoryBudget of " + b.memoryBudget + " bytes cannot "
          + "hold one frame of the max message size plus header (" + b.limits.maxFrameSize()
          + " bytes)");
    }
    this.messageTransport = messageTarget
        ? MessageTargets.transportFor(b.target, b.messageTransport) : null;
    NameResolver resolver = parsed == null || messageTarget ? null
        : PluginRegistry.find(NameResolver.class, parsed.scheme());
    if (resolver != null) {
      resolver.check(parsed); // a malformed target fails here, before anything is looked up
    }
    LoadBalancer balancer = resolver == null ? null : b.loadBalancer != null
        ? b.loadBalancer : PluginRegistry.find(LoadBalancer.class, DEFAULT_LOAD_BALANCER);
    this.transport = b.transport != null || messageTarget ? b.transport
        : PluginRegistry.transportFor(address != null ? address : likelyAddress(parsed));
    this.framing = b.framing != null ? b.framing : PluginRegistry.find(Framing.class, "length");
    Codec codec = b.codec != null ? b.codec : PluginRegistry.defaultFor(Codec.class);
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
    this.clock = new SystemClock("protorpc-client-timer");
    this.retrier = b.retryPolicies.isEmpty() ? null : new Retrier(b.retryPolicies,
        new RetryThrottle(b.retryMaxTokens, b.retryTokenRatio), clock,
        () -> ThreadLocalRandom.current().nextDouble());
    this.io = OwnedExecutor.forBlockingIo("protorpc-client-io");
    this.memory = new ClientMemory(
        b.memoryBudget > 0 ? b.memoryBudget : MemoryBudget.defaultLimit());
    if (messageTarget) {
      this.subchannel = null;
      this.balanced = null;
      this.router = null;
      this.messages = new ClientMessages(codec, limits);
      return;
    }
    this.messages = null;
    Map<Transport, SessionConnector> connectors = new java.util.concurrent.ConcurrentHashMap<>();
    Backoff backoff = b.backoff;
    long connectTimeout = transportOptions.connectTimeout().toNanos();
    java.util.function.Function<Transport, SessionConnector> connectorFor =
        t -> connectors.computeIfAbsent(t, x -> new SessionConnector(x, transportOptions, limits,
            framing, codec, compressor, b.liveness, clock, clock.scheduler(), io, memory));
    if (resolver == null) {
      if (b.healthService != null) {
        throw new IllegalArgumentException("healthCheck(...) checks the servers of a target; "
            + "for one server, write target(\"host:port\") instead of address(...)");
      }
      this.balanced = null;
      this.subchannel = new Subchannel(address, connectorFor.apply(transport), io, clock,
          backoff::delayNanos, connectTimeout);
      this.router = subchannel;
      return;
    }
    this.subchannel = null;
    boolean chosenTransport = b.transport != null;
    HealthCheck health = b.healthService == null ? null : new HealthCheck(b.healthService,
        b.healthInterval, clock, e -> Session.decompress(limits, compressors, e.compression(),
            e.payload()));
    this.balanced = new BalancedRouter(parsed, resolver, balancer.newPicker(),
        (resolvedAddress, onStateChange) -> new Subchannel(resolvedAddress,
            connectorFor.apply(chosenTransport || transport.supports(resolvedAddress)
                ? transport : PluginRegistry.transportFor(resolvedAddress)),
            io, clock, backoff::delayNanos, connectTimeout, onStateChange),
        io, clock, backoff::delayNanos, health);
    this.router = balanced;
  }

  /** The load balancer of a target built without {@link Builder#loadBalancer}. */
  public static final String DEFAULT_LOAD_BALANCER = RoundRobinBalancer.NAME;

  /**
   * An address of the kind a target's resolver gives, to choose the transport by before it has
   * resolved: the in-process kind for {@code inproc://}, else an IP one.
   */
  private static SocketAddress likelyAddress(Target target) {
    return "inproc".equals(target.scheme()) ? new InProcessAddress(target.authority())
        : new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 1);
  }

  /** A builder; every setting has a default except the address. */
  public static Builder builder() {
    return new Builder();
  }

  /** The server address this client talks to, or null when it was built for a target. */
  public SocketAddress address() {
    return address;
  }

  /** The target this client calls (see {@link Builder#target}), or empty for an address. */
  public java.util.Optional<String> target() {
    return java.util.Optional.ofNullable(target);
  }

  /**
   * A view of this client whose every call is a fanout (see {@link
   * ClientController#setFanout}): generic-services stubs built on it reach every server listening
   * on the target, once each, and complete once the broker has the message (generated stubs:
   * {@code withFanout()}). Only for a client built for
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

  /**
   * Name of the transport this client uses (for a target, the one its addresses' kind would
   * use, unless one was given).
   */
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
    return balanced != null ? balanced.isReady() : subchannel.state() == ConnectivityState.READY;
  }

  /**
   * Bytes counted against the client's memory budget right now (see {@link
   * Builder#memoryBudget}): requests of calls not yet ended, responses being received or not yet
   * parsed.
   */
  public long memoryInUse() {
    return memory.used();
  }

  /**
   * Number of calls started and not yet completed: waiting for a connection, a response or (under
   * a retry policy) their next attempt.
   */
  public int callsInFlight() {
    return messages != null ? messages.callsInFlight()
        : (balanced != null ? balanced.callsInFlight() : subchannel.callsInFlight())
            + (retrier == null ? 0 : retrier.callsWaiting());
  }

  /**
   * Starts a call and returns at once; {@code done} runs exactly once on the callback executor,
   * with the response, or with null after {@code controller} has been marked failed. A one-way
   * call completes with the response type's default instance once the request is written.
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
   * Makes a call and waits for its outcome, which comes by the call's deadline at the latest.
   * Interrupting the waiting thread cancels the call.
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

  /**
   * The network link: encodes the request on the caller's thread, then hands the call to the
   * core, which owns it until its one completion. Returns at once.
   */
  private void startCall(MethodDescriptor method, ClientController cc, Message request,
      ClientCall.Listener listener) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(request, "request");
    ClientCall.Listener ending = (status, response) -> {
      cc.end();
      listener.onComplete(status, response);
    };
    Duration timeout = cc.timeout() != null ? cc.timeout() : defaultTimeout;
    if (cc.isFanout() && messages == null) {
      ending.onComplete(Status.of(StatusCode.INVALID_ARGUMENT, "a fanout needs a client built "
          + "for a message target; this one calls " + (address != null ? address : target)), null);
      return;
    }
    boolean oneWay = cc.isFanout() || cc.isOneWay()
        || oneWayMethods.contains(method.getFullName());
    boolean ready = cc.waitForReady() != null ? cc.waitForReady() : waitForReady;
    Metadata requested = cc.requestMetadata();
    Metadata metadata = requested.isEmpty() ? Metadata.empty() : requested.copy();
    int size = request.getSerializedSize();
    if (size > limits.maxMessageSize()) {
      ending.onComplete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request of " + size
          + " bytes exceeds the max message size of " + limits.maxMessageSize() + " bytes"), null);
      return;
    }
    // A pooled array, held by the call until it ends and by the writer while it writes; not for
    // a broker, whose send may keep the bytes after the call has ended.
    SerializationArrays.Lease lent = null;
    Session.Compressed payload;
    try {
      lent = messages == null ? ARRAYS.serialize(request, size) : null;
      ByteBuffer bytes = lent != null ? lent.bytes() : ByteBuffer.wrap(request.toByteArray());
      Boolean override = cc.compress();
      int threshold = override == null ? compressionThreshold
          : override ? 0 : Integer.MAX_VALUE;
      payload = Session.compress(compressor, threshold, bytes);
    } catch (IOException | RuntimeException e) {
      release(lent);
      ending.onComplete(Status.of(StatusCode.INTERNAL, "encoding the request failed: " + e),
          null);
      return;
    }
    if (lent != null && !payload.compression().isEmpty()) {
      lent.release(); // compressed into a buffer of its own
      lent = null;
    }
    long requestBytes = lent != null ? lent.capacity() : payload.payload().remaining();
    if (!memory.tryHoldRequest(requestBytes)) {
      release(lent);
      ending.onComplete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "client memory budget of "
          + memory.limit() + " bytes is in use by requests not yet answered and responses not"
          + " yet read; nothing was sent, try again later"), null);
      return;
    }
    ClientCall.Listener holding = (status, response) -> {
      memory.unparsed(ClientMemory.sizeOf(response)); // until finish() has parsed it
      memory.releaseRequest(requestBytes);
      ending.onComplete(status, response);
    };
    ClientCall call = new ClientCall(method.getService().getFullName(), method.getName(),
        metadata, payload.payload(), payload.compression(), size, oneWay, ready,
        timeout == null ? 0 : timeout.toNanos(), clock, holding);
    if (lent != null) {
      call.payloadIn(lent);
    }
    if (retrier != null && !oneWay) {
      RetryPolicy policy =
          retrier.policyFor(method.getFullName(), method.getService().getFullName());
      if (policy != null) {
        call.retryUnder(retrier, policy);
      }
    }
    cc.begin(call::cancel);
    call.start(messages != null ? messages.router(cc.isFanout()) : router);
  }

  private static void release(SerializationArrays.Lease lent) {
    if (lent != null) {
      lent.release();
    }
  }

  /**
   * Turns an outcome into the response message (or null), recording it in the controller; the
   * response's bytes leave the memory budget here, parsed into the message or dropped.
   */
  private Message finish(Status status, Envelope response, Message prototype,
      ClientController controller) {
    Message message = null;
    Metadata responseMetadata = response == null ? Metadata.empty() : response.metadata();
    long responseBytes = ClientMemory.sizeOf(response);
    if (status.isOk() && response == null) {
      message = prototype.getDefaultInstanceForType(); // a one-way call, sent
    } else if (status.isOk()) {
      // a compressed response takes room for a whole max-size message while it is inflated
      long room = isCompressed(response) ? limits.maxMessageSize() : 0;
      if (room > 0 && !memory.tryHoldUnparsed(room)) {
        status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "client memory budget of "
            + memory.limit() + " bytes has no room to decompress the response");
        room = 0;
      } else {
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
        } catch (OutOfMemoryError e) {
          status = Status.of(StatusCode.RESOURCE_EXHAUSTED, "client out of memory decoding the"
              + " response");
        }
      }
      memory.unparsed(-room);
    }
    memory.unparsed(-responseBytes);
    controller.complete(status, responseMetadata);
    return message;
  }

  private static boolean isCompressed(Envelope response) {
    String c = response.compression();
    return !c.isEmpty() && !c.equals("identity");
  }

  /**
   * Closes the client: every call not yet completed — waiting for a connection or on one — fails
   * at once with {@code UNAVAILABLE} ("client closed"), and its callback still runs exactly once;
   * connections are closed and the client's threads end. Returns without waiting for the network.
   * Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (messages != null) {
      MessagePort p = messages.port();
      if (p != null) {
        p.close();
      }
      messages.closeAll(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    } else {
      Status closing = Status.of(StatusCode.UNAVAILABLE, "client closed");
      if (retrier != null) {
        retrier.shutdown(closing); // first: a call failed by the router is not retried
      }
      if (balanced != null) {
        balanced.shutdown(closing);
      } else {
        subchannel.shutdown(closing);
      }
    }
    clock.close();
    io.close();
    callbackExecutor.close();
  }

  /**
   * For a target: waits, within the connect timeout, until resolution has answered and one of
   * its servers is connected.
   */
  private RpcClient awaitFirstConnection() throws IOException {
    try {
      balanced.connect().get(transportOptions.connectTimeout().toMillis()
          + CONNECT_WAIT_SLACK_MILLIS, TimeUnit.MILLISECONDS);
      return this;
    } catch (ExecutionException e) {
      close();
      throw new IOException("cannot connect to target '" + target + "': "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      close();
      throw new IOException("cannot connect to a server of target '" + target + "' within "
          + transportOptions.connectTimeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while connecting to " + target);
    }
  }

  /** Attaches to the broker of the client's message target; the port reconnects by itself. */
  private void openPort() throws IOException {
    MessagePort port = messageTransport.connect(URI.create(target), new MessageOptions(
        transportOptions, limits.maxFrameSize(), limits.maxCallsInFlight()), messages);
    messages.attach(port);
  }

  /** Configures and connects an {@link RpcClient}. Not thread-safe. */
  public static final class Builder {
    private SocketAddress address;
    private String target;
    private LoadBalancer loadBalancer;
    private String healthService;
    private Duration healthInterval;
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
    private final Map<String, RetryPolicy> retryPolicies = new HashMap<>();
    private int retryMaxTokens = 10;
    private double retryTokenRatio = 0.1;
    private boolean waitForReady;
    private Backoff backoff = Backoff.DEFAULT;
    private Liveness liveness = Liveness.defaults();
    private SSLContext sslContext;
    private long memoryBudget; // 0: derived from the heap

    /** Payloads below this many bytes are sent uncompressed. */
    public static final int DEFAULT_COMPRESSION_THRESHOLD = 1024;

    private Builder() {}

    /**
     * The server's address: an {@link InetSocketAddress}, or an {@link InProcessAddress} for a
     * server in this JVM (through the in-process transport).
     */
    public Builder address(SocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    public Builder address(String host, int port) {
      return address(new InetSocketAddress(host, port));
    }

    /**
     * Calls the servers of a target instead of one address (docs/load-balancing.md). The scheme
     * says what the target is:
     *
     * <ul>
     *   <li>a {@link NameResolver}'s scheme: {@code host:port} (no scheme: one address, as
     *       {@link #address(String, int)}), {@code dns:///host:port} (every address of the
     *       name), {@code static:///host1:port1,host2:port2}, {@code inproc://name}, or a
     *       plugin's. The client keeps one connection per resolved address, each reconnecting
     *       with backoff on its own, and its {@link #loadBalancer load balancer} picks one per
     *       call. Resolution runs on the client's I/O threads, again after the resolver's refresh
     *       interval and when connections fail.
     *   <li>a message transport's scheme, e.g. {@code
     *       amqp://user:password@broker:5672/?topic=calculator} (docs/broker.md): each call is a
     *       message to the topic, taken by one of the servers consuming it; one-way calls are
     *       casts; {@link ClientController#setFanout} and {@link RpcClient#fanout()} reach every
     *       server. Codec, compressor, limits, metadata, interceptors and deadlines work as on a
     *       connection; the client's {@code tls(...)} context, if given, is used to reach the
     *       broker.
     * </ul>
     *
     * <p>The scheme's resolver and the target's syntax are checked when the client is built:
     * {@link #connect()} throws {@link PluginNotFoundException} for a scheme nothing serves and
     * {@link IllegalArgumentException}, quoting the target, for a malformed one, before anything
     * is looked up.
     *
     * @throws IllegalArgumentException if {@code target} is empty, too long or has whitespace
     */
    public Builder target(String target) {
      this.target = Target.parse(target).text();
      return this;
    }

    /**
     * The load-balancing policy of a {@link #target}'s servers, by name: {@code round_robin}
     * (the default: a user who names several servers wants them all used), {@code pick_first}
     * or {@code least_request}, or a plugin's. The name is looked up when this is called.
     *
     * @throws PluginNotFoundException if no balancer of that name is installed
     */
    public Builder loadBalancer(String name) {
      return loadBalancer(PluginRegistry.find(LoadBalancer.class, name));
    }

    /** The load-balancing policy of a {@link #target}'s servers. */
    public Builder loadBalancer(LoadBalancer balancer) {
      this.loadBalancer = PluginRegistry.requireAvailable(balancer);
      return this;
    }

    /** How often {@link #healthCheck(String)} asks each server, by default. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(1);

    /**
     * Checks the health of each connected server of the {@link #target} every second: see
     * {@link #healthCheck(String, Duration)}.
     */
    public Builder healthCheck(String service) {
      return healthCheck(service, DEFAULT_HEALTH_CHECK_INTERVAL);
    }

    /**
     * Client-side health checking, off by default: while a server of the {@link #target} is
     * connected, the client asks its health service ({@code protorpc.health.v1.Health/Check},
     * served by servers built with {@code RpcServer.Builder.health()}) for {@code service}'s
     * status every {@code interval}, on the client's timer and I/O threads, each check with a
     * deadline of the interval (at least 1 s, at most 10 s). A server whose answer is not
     * {@code SERVING} — {@code NOT_SERVING}, {@code NOT_FOUND} (no such service there), an error,
     * no answer in time — is shown to the load balancer as {@code NOT_SERVING} and takes no new
     * calls until a later check says {@code SERVING}. A server without the health service
     * ({@code UNIMPLEMENTED}) counts as serving. A newly connected server takes calls once its
     * first check answers. A server's go-away takes it out at once, without waiting for a check.
     *
     * @param service the service whose status counts; {@code ""} for the server as a whole
     * @param interval from 10 ms to 1 h
     * @throws IllegalArgumentException if the interval is outside that range (and, when the
     *     client is built, if it was built for an address rather than a target)
     */
    public Builder healthCheck(String service, Duration interval) {
      Objects.requireNonNull(service, "service");
      if (interval.compareTo(HealthCheck.MIN_INTERVAL) < 0
          || interval.compareTo(HealthCheck.MAX_INTERVAL) > 0) {
        throw new IllegalArgumentException("a health check interval is from 10 ms to 1 h, not "
            + interval);
      }
      this.healthService = service;
      this.healthInterval = interval;
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

    /**
     * The bytes this client may hold for the messages passing through it, counted together: the
     * requests of calls not yet ended (waiting for a connection, to be written, or for their
     * answer), the responses being received, and responses until they are decompressed and parsed
     * for their callers. Default: a quarter of the maximum heap ({@code -Xmx}), at least 16 MiB.
     *
     * <p>A new call whose request does not fit fails at once with {@code RESOURCE_EXHAUSTED},
     * unsent. While the budget is spent and responses waiting to be parsed hold part of it, the client stops
     * reading from its connections (the server's writes wait) until parsing brings the count
     * below seven eighths of the limit. A compressed response takes room for a whole max-size
     * message while it is decompressed; without room its call fails with {@code
     * RESOURCE_EXHAUSTED}. Everything recovers by itself as calls end and responses are parsed.
     *
     * @throws IllegalArgumentException if {@code bytes} is not positive; {@link #connect()} throws
     *     it if the budget cannot hold one frame of the max message size plus header
     */
    public Builder memoryBudget(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("memoryBudget must be >= 1 byte: " + bytes);
      }
      this.memoryBudget = bytes;
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
     * Retries the failed calls of a service or of one method under {@code policy} (see {@link
     * RetryPolicy}); calls have no retries by default. Give policies only to methods that are safe
     * to run twice: a retried call may have run on a server already (docs/call-semantics.md says
     * exactly when). Retries happen below the interceptors, which see the call once. Not for a
     * message {@link #target}, whose broker redelivers instead ({@code connect()} refuses).
     *
     * <pre>{@code
     * RpcClient.builder().address("127.0.0.1", 9090)
     *     .retryPolicy(EchoService.getDescriptor().getFullName(), RetryPolicy.builder().build())
     * }</pre>
     *
     * @param serviceOrMethod a service's full name ({@code "pkg.Service"}, as {@code
     *     ServiceDescriptor.getFullName()}) or a method's ({@code "pkg.Service.Method"}, as {@code
     *     MethodDescriptor.getFullName()}); a method's policy wins over its service's. A later
     *     policy for the same name replaces the earlier one.
     * @throws IllegalArgumentException if the name is not a dotted protobuf name
     */
    public Builder retryPolicy(String serviceOrMethod, RetryPolicy policy) {
      Objects.requireNonNull(policy, "policy");
      if (serviceOrMethod == null || !FULL_NAME.matcher(serviceOrMethod).matches()) {
        throw new IllegalArgumentException("retryPolicy needs the full name of a service"
            + " (pkg.Service) or method (pkg.Service.Method): " + serviceOrMethod);
      }
      retryPolicies.put(serviceOrMethod, policy);
      return this;
    }

    private static final Pattern FULL_NAME =
        Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    /**
     * Retry throttling (gRPC's): a client-wide bucket of {@code maxTokens} tokens; each attempt
     * that fails with a code its policy retries takes one, each successful call with a policy
     * gives back {@code tokenRatio}; retries are made only while more than half the tokens are
     * left. So retries stop while most calls fail, and cannot multiply the load of an outage.
     * Default 10 tokens and 0.1: retries pause after five failures in a row, and then, while
     * failures go on, are made at most about once per ten successful calls.
     *
     * @throws IllegalArgumentException unless {@code maxTokens} is 1 to 1000 and {@code
     *     tokenRatio} 0.001 to 1
     */
    public Builder retryThrottle(int maxTokens, double tokenRatio) {
      new RetryThrottle(maxTokens, tokenRatio); // checks the values; each client makes its own
      this.retryMaxTokens = maxTokens;
      this.retryTokenRatio = tokenRatio;
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
     * Connects and completes the handshake, within the connect timeout ({@link
     * TransportOptions#connectTimeout()}, which covers TCP, TLS and the preface together). For a
     * {@link #target} of servers: resolves it and returns once one of them is connected (the
     * others connect as the load balancer asks); it fails when every server failed to connect or
     * none connected within the connect timeout.
     *
     * @throws java.net.ConnectException if nothing accepts connections at the address (the
     *     message names it)
     * @throws IOException if the server cannot be reached in time or refuses the connection (for
     *     instance a framing or compressor it does not have; the message names the address and
     *     says which)
     * @throws InterruptedIOException if the calling thread is interrupted while waiting
     * @throws PluginNotFoundException if no transport or codec is installed, or no resolver or
     *     message transport serves the target's scheme
     * @throws IllegalArgumentException if the target is malformed (the message quotes it)
     */
    public RpcClient connect() throws IOException {
      RpcClient client = new RpcClient(this);
      if (client.balanced != null) {
        return client.awaitFirstConnection();
      }
      if (client.messages != null) {
        try {
          client.openPort();
          return client;
        } catch (IOException | RuntimeException e) {
          client.close();
          throw e;
        }
      }
      try {
        client.subchannel.connect().get(client.transportOptions.connectTimeout().toMillis()
            + CONNECT_WAIT_SLACK_MILLIS, TimeUnit.MILLISECONDS);
        return client;
      } catch (ExecutionException e) {
        client.close();
        Throwable cause = e.getCause();
        throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
      } catch (TimeoutException e) {
        client.close();
        throw new IOException("cannot connect to " + client.address + " within "
            + client.transportOptions.connectTimeout().toMillis() + " ms");
      } catch (InterruptedException e) {
        client.close();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while connecting to " + client.address);
      } catch (RuntimeException e) {
        client.close();
        throw e;
      }
    }
  }
}
