package io.protorpc;

import com.google.protobuf.BlockingService;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Service;
import io.protorpc.builtin.IdentityCompressor;
import io.protorpc.health.Health;
import io.protorpc.reflection.ServerReflection;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Listener;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageTransport;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * Serves protobuf {@link Service}s and {@link BlockingService}s over one transport:
 *
 * <pre>{@code
 * RpcServer server = RpcServer.builder()
 *     .port(9090)
 *     .addService(EchoService.newReflectiveService(new EchoImpl()))
 *     .start();
 * }</pre>
 *
 * <p>Calls are dispatched by service full name and method name. Handlers run on the server's
 * executor, never on a transport thread, unless {@link Builder#directExecutor()} asks for exactly
 * that. An unknown service or method is answered with {@code
 * UNIMPLEMENTED} (gRPC's code for it); a handler's exception or {@link ServerController#setFailed} with an error status;
 * neither closes the connection. Input that breaks the protocol closes only its own connection.
 *
 * <p>By default the server accepts every installed framing and codec, so clients choose; restrict
 * with {@link Builder#framings} and {@link Builder#codecs}. It offers every available compressor,
 * or those given to {@link Builder#compressors}.
 *
 * <p>Thread-safe. {@link #shutdown()} stops gracefully (in-flight calls finish); {@link #close()}
 * and {@link #shutdownNow()} stop at once (calls in progress are cancelled). Either way the
 * server's threads are released.
 */
public final class RpcServer implements AutoCloseable {
  final Map<String, ServiceEntry> services;
  final Map<String, Framing> framings;
  final Map<String, Codec> codecs;
  final Map<String, Compressor> compressors;
  final Limits limits;
  final int compressionThreshold;
  final OwnedExecutor executor;
  final ScheduledThreadPoolExecutor timer;
  private final Transport transport;
  private final List<ServerInterceptor> interceptors;
  private final int maxConnections;
  private final Liveness liveness;
  private final Set<ServerSession> sessions = ConcurrentHashMap.newKeySet();
  private final Listener listener; // null when serving a message target
  private final MessagePort messagePort; // null when listening on an address
  private final ServerMessages messages;
  private final String target;
  private final Health health; // null unless the builder asked for it
  final MemoryBudget budget;
  /** What one connection may hold before it stops reading (see ServerSession#updateReading). */
  final long perConnectionBudget;
  /** Connections whose reading is paused, to read again when memory frees. */
  private final Set<ServerSession> paused = ConcurrentHashMap.newKeySet();
  /** When the budget was first seen exhausted by the relief check; 0 while it is not. */
  private volatile long exhaustedSinceNanos;
  /** The last connection closed to free memory, until it is gone. */
  private volatile ServerSession lastClosedForMemory;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean shutdown;
  private volatile boolean closed;

  /** Default of {@link Builder#maxConnections}, on a heap of 320 MiB or more. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /**
   * What the default connection limit allows an idle plaintext connection on the heap: above the
   * most measured (docs/limits.md: about 7.5 KiB on the socket transport, JDK 17).
   */
  static final int CONNECTION_HEAP_BYTES = 8 * 1024;
  /** Server connections idle this long are closed by default (see Builder#idleTimeout). */
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /**
   * {@link #DEFAULT_MAX_CONNECTIONS}, or fewer on a small heap: idle connections alone may take a
   * quarter of the maximum heap at most, as the memory budget takes another quarter by default.
   */
  static int defaultMaxConnections() {
    long fit = Runtime.getRuntime().maxMemory() / 4 / CONNECTION_HEAP_BYTES;
    return (int) Math.max(64, Math.min(DEFAULT_MAX_CONNECTIONS, fit));
  }

  /** How often the server checks whether the budget has been spent for too long. */
  static final long RELIEF_CHECK_MILLIS = 100;
  /**
   * How long the budget may stay spent before the connection holding the most is closed: long
   * enough for calls in flight to finish and free memory, short enough that peers parking
   * unfinished frames cannot keep everyone else refused.
   */
  static final long RELIEF_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  /** A registered service: exactly one of {@code async} and {@code blocking} is set. */
  record ServiceEntry(ServiceDescriptor descriptor, Service async, BlockingService blocking) {
    Message requestPrototype(MethodDescriptor m) {
      return async != null ? async.getRequestPrototype(m) : blocking.getRequestPrototype(m);
    }
  }

  private RpcServer(Builder b) throws IOException {
    this.services = b.servicesToServe();
    this.health = b.health;
    if (health != null) {
      health.serving(services.keySet());
    }
    this.transport = b.transport != null || b.target != null
        ? b.transport : PluginRegistry.transportFor(b.address);
    this.framings = b.framings != null ? b.framings : installed(Framing.class);
    this.codecs = b.codecs != null ? b.codecs : installed(Codec.class);
    this.compressors = b.compressors != null ? b.compressors : installed(Compressor.class);
    if (codecs.isEmpty()) {
      throw PluginRegistry.notFound(Codec.class, null);
    }
    this.limits = b.limits;
    if (b.memoryBudget > 0 && b.memoryBudget < limits.maxFrameSize()) {
      throw new IllegalArgumentException("memoryBudget of " + b.memoryBudget + " bytes cannot "
          + "hold one frame of the max message size plus header (" + limits.maxFrameSize()
          + " bytes)");
    }
    this.interceptors = List.copyOf(b.interceptors);
    this.maxConnections = b.maxConnections;
    this.liveness = b.liveness;
    this.compressionThreshold = b.compressionThreshold;
    this.executor = b.executor != null
        ? OwnedExecutor.wrap(b.executor) : OwnedExecutor.create("protorpc-handler", false);
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemon("protorpc-server-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
    this.budget = new MemoryBudget(
        b.memoryBudget > 0 ? b.memoryBudget : MemoryBudget.defaultLimit(), this::resumePaused);
    this.perConnectionBudget = Math.max(budget.limit() / 4, 2L * limits.maxFrameSize());
    timer.scheduleWithFixedDelay(this::relieveMemory, RELIEF_CHECK_MILLIS, RELIEF_CHECK_MILLIS,
        TimeUnit.MILLISECONDS);
    this.target = b.target;
    TransportOptions options = b.sslContext == null ? b.transportOptions
        : b.transportOptions.toBuilder().sslContext(b.sslContext)
            .requireClientAuth(b.requireClientAuth).build();
    if (b.target != null) {
      this.listener = null;
      this.messages = new ServerMessages(this);
      try {
        this.messagePort = MessageTargets.transportFor(b.target, b.messageTransport).listen(
            URI.create(b.target), new MessageOptions(options, limits.maxFrameSize(),
                limits.maxCallsInFlight()), messages);
        messages.attach(messagePort);
      } catch (IOException | RuntimeException e) {
        timer.shutdownNow();
        executor.close();
        throw e;
      }
      return;
    }
    this.messagePort = null;
    this.messages = null;
    try {
      this.listener = transport.listen(b.address, options, connection -> {
        ServerSession s = new ServerSession(this, connection);
        if (sessions.size() >= maxConnections) {
          s.refuse("too many connections (limit " + maxConnections + ")");
          return s;
        }
        sessions.add(s);
        if (closed) {
          s.close();
        } else {
          s.startLivenessChecks(liveness, timer, executor);
        }
        return s;
      });
    } catch (IOException e) {
      timer.shutdownNow();
      executor.close();
      throw naming(b.address, e);
    } catch (RuntimeException e) {
      timer.shutdownNow();
      executor.close();
      throw e;
    }
  }

  /**
   * A failure to listen that names the address, keeping the type a caller may catch ({@link
   * BindException} for an address in use) and the transport's exception as the cause.
   */
  private static IOException naming(SocketAddress address, IOException e) {
    String what = "cannot listen on " + (address instanceof InetSocketAddress inet
        ? inet.getHostString() + ":" + inet.getPort() : address.toString());
    String detail = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    if (detail.contains(what)) {
      return e;
    }
    IOException named = e instanceof BindException
        ? new BindException(what + ": " + detail) : new IOException(what + ": " + detail);
    named.initCause(e);
    return named;
  }

  private static <T extends io.protorpc.spi.Plugin> Map<String, T> installed(Class<T> kind) {
    Map<String, T> m = new LinkedHashMap<>();
    for (T p : PluginRegistry.all(kind)) {
      if (p.isAvailable()) {
        m.putIfAbsent(p.name(), p);
      }
    }
    return Collections.unmodifiableMap(m);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The bound address: an {@link InetSocketAddress} (with the actual port when 0 was asked for),
   * or the {@link InProcessAddress} the server was given.
   *
   * @throws IllegalStateException if the server serves a message target instead
   */
  public SocketAddress localAddress() {
    if (listener == null) {
      throw new IllegalStateException("this server serves " + messagePort.describe()
          + ", not an address");
    }
    return listener.localAddress();
  }

  /**
   * The bound port (useful after asking for port 0).
   *
   * @throws IllegalStateException if the server listens on an address without a port, such as
   *     an {@link InProcessAddress}, or serves a message target
   */
  public int port() {
    if (localAddress() instanceof InetSocketAddress inet) {
      return inet.getPort();
    }
    throw new IllegalStateException("no port: the server listens on " + listener.localAddress());
  }

  /** The message target this server consumes (see {@link Builder#target}), or empty. */
  public java.util.Optional<String> target() {
    return java.util.Optional.ofNullable(target);
  }

  /**
   * The server's health statuses, to flip a service's (see {@link Health}).
   *
   * @throws IllegalStateException if the builder did not ask for {@link Builder#health()}
   */
  public Health health() {
    if (health == null) {
      throw new IllegalStateException("this server serves no health service; enable it with "
          + "RpcServer.Builder.health()");
    }
    return health;
  }

  /** Names of the framings clients may choose. */
  public Set<String> framingNames() {
    return framings.keySet();
  }

  /** Names of the compressors clients may choose. */
  public Set<String> compressorNames() {
    return compressors.keySet();
  }

  /** Number of open client connections. */
  public int connectionCount() {
    return sessions.size();
  }

  /** Number of calls running on all connections right now. */
  public int callsInFlight() {
    int n = messages == null ? 0 : messages.callsInFlight();
    for (ServerSession s : sessions) {
      n += s.activeCalls();
    }
    return n;
  }

  void readingPaused(ServerSession s, boolean isPaused) {
    if (isPaused) {
      paused.add(s);
    } else {
      paused.remove(s);
    }
  }

  /** Memory freed: connections paused for the budget's sake may read again. */
  private void resumePaused() {
    for (ServerSession s : paused) {
      s.updateReading();
    }
  }

  /**
   * On the timer: if the budget has been spent for longer than the grace period, closes the
   * connection holding the most (its calls are cancelled, its unfinished frames dropped), one per
   * check, until memory frees. Never throws: the timer serves every connection.
   */
  private void relieveMemory() {
    try {
      if (!budget.exhausted()) {
        if (budget.relieved()) {
          exhaustedSinceNanos = 0; // hovering just under the limit does not restart the grace
        }
        resumePaused(); // a missed relief (a release racing a pause) is caught up here
        return;
      }
      long now = System.nanoTime();
      if (exhaustedSinceNanos == 0) {
        exhaustedSinceNanos = now;
        return;
      }
      if (now - exhaustedSinceNanos < RELIEF_GRACE_NANOS) {
        return;
      }
      if (lastClosedForMemory != null) {
        return; // its memory is not freed yet: closing another now would be one too many
      }
      ServerSession biggest = null;
      for (ServerSession s : sessions) {
        if (!s.closingForMemory()
            && (biggest == null || s.heldBytes() > biggest.heldBytes())) {
          biggest = s;
        }
      }
      if (biggest != null && biggest.heldBytes() > 0) {
        ServerSession victim = biggest;
        victim.markClosingForMemory();
        lastClosedForMemory = victim;
        try {
          // not here: telling the client may block on it, and this timer serves every connection
          executor.execute(() -> victim.closeForMemory(budget.limit()));
        } catch (RuntimeException | OutOfMemoryError e) {
          victim.close();
        }
      }
    } catch (Throwable t) {
      // the next check tries again
    }
  }

  private static final System.Logger LOG = System.getLogger(RpcServer.class.getName());
  /** At most one warning about peers a second: a peer must not be able to flood the log. */
  private static final long PEER_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  private final java.util.concurrent.atomic.AtomicLong lastPeerWarningNanos =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - PEER_WARNING_INTERVAL_NANOS);

  /**
   * Logs what an operator should see about a peer (a TLS mismatch, say) as a warning, at most one
   * a second; the others at DEBUG.
   */
  void warnAboutPeer(String message) {
    long now = System.nanoTime();
    long last = lastPeerWarningNanos.get();
    boolean warn = now - last >= PEER_WARNING_INTERVAL_NANOS
        && lastPeerWarningNanos.compareAndSet(last, now);
    LOG.log(warn ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, message);
  }

  /** Bytes counted against the memory budget right now (see {@link Builder#memoryBudget}). */
  public long memoryInUse() {
    return budget.used();
  }

  void sessionClosed(ServerSession s) {
    paused.remove(s);
    sessions.remove(s);
    if (lastClosedForMemory == s) {
      lastClosedForMemory = null;
    }
    if (shutdown && sessions.isEmpty()) {
      shutdownNow();
    }
  }

  /** The chain of interceptors ending in the service method, for one call. */
  ServerInterceptor.Next chain(ServiceEntry entry, MethodDescriptor method) {
    ServerInterceptor.Next next = (c, r, d) -> ServerCalls.invoke(entry, method, c, r, d);
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      ServerInterceptor interceptor = interceptors.get(i);
      ServerInterceptor.Next rest = next;
      next = (c, r, d) -> interceptor.interceptCall(c, r, rest, d);
    }
    return next;
  }

  /**
   * Begins a graceful shutdown and returns at once: with {@link Builder#health()}, every status
   * turns {@code NOT_SERVING} first, so health-checking clients send their new calls elsewhere;
   * then new connections are refused, every client is told to go away (it sends new calls
   * elsewhere or reconnects), calls in flight run to completion, and each connection closes when
   * its last call is answered (by the client, which knows it has sent nothing more; by the server
   * if the client has not within 5 s). The server terminates
   * when all are closed; {@link #awaitTermination} waits for that, {@link #shutdownNow} cuts it
   * short. Idempotent.
   */
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    if (health != null) {
      health.enterShutdown();
    }
    if (messages != null) {
      if (messages.beginDrain()) {
        shutdownNow();
      }
      return;
    }
    for (ServerSession s : new ArrayList<>(sessions)) {
      s.beginDrain();
    }
    if (sessions.isEmpty()) {
      shutdownNow();
    }
  }

  /** The last call served from messages during a graceful shutdown has its answer. */
  void messagesDrained() {
    shutdownNow();
  }

  /** Whether {@link #shutdown} or {@link #close} has been called. */
  public boolean isShutdown() {
    return shutdown || closed;
  }

  /**
   * Waits until the server has terminated (every connection closed and its threads released).
   *
   * @return true if it terminated within {@code timeout}
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Waits, without a time limit, until the server has terminated: what a {@code main} that only
   * serves calls last, since the transports' threads are daemons and would not keep the JVM alive.
   * Something else ends the wait by calling {@link #shutdown}, {@link #shutdownNow} or {@link
   * #close}, e.g. a shutdown hook on Ctrl-C.
   *
   * @throws InterruptedException if the waiting thread is interrupted (the server keeps running)
   */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Whether the server has terminated. */
  public boolean isTerminated() {
    return terminated.getCount() == 0;
  }

  /**
   * Stops at once: closes the listener and every connection. Calls still running are cancelled
   * (their handlers see {@link ServerController#isCanceled()}); their clients see the connection
   * close and fail them with {@code UNAVAILABLE}. Idempotent.
   */
  public void shutdownNow() {
    synchronized (terminated) {
      if (closed) {
        return;
      }
      closed = true;
      shutdown = true;
    }
    if (listener != null) {
      listener.close();
    }
    if (messagePort != null) {
      messagePort.close(); // unsettled requests go back to the broker, for other servers
      messages.cancelAll("server stopped");
    }
    for (ServerSession s : new ArrayList<>(sessions)) {
      s.close();
    }
    timer.shutdownNow();
    executor.close();
    terminated.countDown();
  }

  /** The same as {@link #shutdownNow()}; for a graceful stop call {@link #shutdown()} first. */
  @Override
  public void close() {
    shutdownNow();
  }

  /** Configures and starts an {@link RpcServer}. Not thread-safe. */
  public static final class Builder {
    private SocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private String target;
    private MessageTransport messageTransport;
    private final Map<String, ServiceEntry> services = new LinkedHashMap<>();
    private Transport transport;
    private Map<String, Framing> framings;
    private Map<String, Codec> codecs;
    private Map<String, Compressor> compressors;
    private Limits limits = Limits.defaults();
    private int compressionThreshold = RpcClient.Builder.DEFAULT_COMPRESSION_THRESHOLD;
    private TransportOptions transportOptions = TransportOptions.defaults();
    private Executor executor;
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private Liveness liveness = Liveness.defaults().withIdleTimeout(DEFAULT_IDLE_TIMEOUT);
    private int maxConnections = defaultMaxConnections();
    private long memoryBudget; // 0: derived from the heap
    private SSLContext sslContext;
    private boolean requireClientAuth;
    private Health health;
    private boolean reflection;

    private Builder() {}

    /**
     * Also serves the health service, {@link Health#SERVICE_NAME}: every service added (before or
     * after this call) and the server as a whole start {@code SERVING}; the application flips
     * them through {@link RpcServer#health()}, and {@link RpcServer#shutdown()} turns them all
     * {@code NOT_SERVING} before draining. Off by default. Idempotent.
     */
    public Builder health() {
      if (health == null) {
        Health h = new Health();
        BlockingService service = h.service();
        add(new ServiceEntry(service.getDescriptorForType(), null, service));
        health = h;
      }
      return this;
    }

    /**
     * Accept only TLS connections, with this context's key and certificate; with {@code
     * requireClientAuth}, only clients presenting a certificate the context trusts (mutual TLS).
     * The client's identity is then available as {@link ServerController#peerPrincipal()}.
     */
    public Builder tls(SSLContext context, boolean requireClientAuth) {
      this.sslContext = Objects.requireNonNull(context, "context");
      this.requireClientAuth = requireClientAuth;
      return this;
    }

    /**
     * Most open connections; more are refused with a reason and closed. Default 10,000, or a
     * quarter of the maximum heap at 8 KiB a connection if that is fewer (about 8,000 with {@code
     * -Xmx256m}), so that idle connections alone cannot exhaust the heap.
     */
    public Builder maxConnections(int connections) {
      if (connections < 1) {
        throw new IllegalArgumentException("maxConnections must be >= 1");
      }
      this.maxConnections = connections;
      return this;
    }

    /**
     * Closes a connection whose preface has not fully arrived this long after it was accepted
     * (slow or silent clients). Default 10 s.
     */
    public Builder handshakeTimeout(Duration timeout) {
      this.liveness = liveness.withHandshakeTimeout(Objects.requireNonNull(timeout));
      return this;
    }

    /**
     * Closes a connection whose writes made no progress for this long: a client that stopped
     * reading cannot hold a handler thread or memory forever. Default 60 s.
     */
    public Builder writeTimeout(Duration timeout) {
      this.liveness = liveness.withWriteTimeout(Objects.requireNonNull(timeout));
      return this;
    }

    /** Adds an interceptor to the end of the chain (see {@link ServerInterceptor}). */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Pings a client after {@code time} without reading anything from it, and closes the
     * connection if nothing arrives {@code timeout} after that (its calls are cancelled). Off by
     * default.
     */
    public Builder keepAlive(Duration time, Duration timeout) {
      this.liveness = liveness.withKeepAlive(time, timeout);
      return this;
    }

    /**
     * Closes a connection (with a go-away, then at once if the client is still there one more
     * period later) after this long without calls; counted from the accept, so it also bounds a
     * connection that never makes a call. Default 5 minutes; {@code Duration.ZERO} turns it off.
     */
    public Builder idleTimeout(Duration idle) {
      this.liveness = liveness.withIdleTimeout(idle);
      return this;
    }

    /**
     * Where to listen; default: the loopback address, port 0 (any free port). An {@link
     * InProcessAddress} serves clients in this JVM through the in-process transport.
     */
    public Builder address(SocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Serves the requests sent to a message target instead of listening on an address, e.g.
     * {@code amqp://user:password@broker:5672/?topic=calculator} (docs/broker.md): the message
     * transport installed for the target's scheme consumes the topic's requests and carries the
     * replies; services, interceptors, codecs, compressors, limits and deadlines work as on a
     * connection. {@link Builder#maxCallsInFlight} bounds how many of the topic's messages this
     * server holds at once. The server's {@code tls(...)} context, if given, is used to reach the
     * broker.
     *
     * @throws IllegalArgumentException if {@code target} is not a URI
     */
    public Builder target(String target) {
      this.target = MessageTargets.checked(target);
      return this;
    }

    /**
     * The message transport for {@link #target}, e.g. one built with settings of its own; default:
     * the installed one whose schemes include the target's.
     */
    public Builder transport(MessageTransport transport) {
      this.messageTransport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Listens on the loopback address at this port (0 for any free port). */
    public Builder port(int port) {
      return address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    /** Adds a service whose methods complete through their {@code done} callback. */
    public Builder addService(Service service) {
      return add(new ServiceEntry(service.getDescriptorForType(), service, null));
    }

    /** Adds a service whose methods return their response (or throw {@link RpcException}). */
    public Builder addService(BlockingService service) {
      return add(new ServiceEntry(service.getDescriptorForType(), null, service));
    }

    private Builder add(ServiceEntry e) {
      String name = e.descriptor().getFullName();
      if (services.putIfAbsent(name, e) != null) {
        throw new IllegalArgumentException("service " + name + " is already registered");
      }
      return this;
    }

    /**
     * Also serves server reflection ({@link ServerReflection}): the names of this server's
     * services and the .proto file descriptors that define them, for clients without generated
     * code such as the {@code protorpc} command line. Off by default, since it tells any caller
     * the server's whole API.
     */
    public Builder reflection() {
      this.reflection = true;
      return this;
    }

    private Map<String, ServiceEntry> servicesToServe() {
      if (!reflection) {
        return Map.copyOf(services);
      }
      Map<String, ServiceEntry> all = new LinkedHashMap<>(services);
      List<ServiceDescriptor> served = new ArrayList<>();
      services.values().forEach(e -> served.add(e.descriptor()));
      BlockingService r = ServerReflection.newService(served);
      if (all.putIfAbsent(ServerReflection.SERVICE_NAME,
          new ServiceEntry(r.getDescriptorForType(), null, r)) != null) {
        throw new IllegalArgumentException("reflection() and a service named "
            + ServerReflection.SERVICE_NAME + " were both added");
      }
      return Map.copyOf(all);
    }

    /** The transport by name; default: the highest-priority installed. */
    public Builder transport(String name) {
      return transport(PluginRegistry.find(Transport.class, name));
    }

    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Accept only these framings (by name); default: every installed framing. */
    public Builder framings(String... names) {
      return framings(found(Framing.class, names, new Framing[0]));
    }

    public Builder framings(Framing... framings) {
      this.framings = byName(framings);
      return this;
    }

    /** Accept only these codecs (by name); default: every installed codec. */
    public Builder codecs(String... names) {
      return codecs(found(Codec.class, names, new Codec[0]));
    }

    public Builder codecs(Codec... codecs) {
      this.codecs = byName(codecs);
      return this;
    }

    /**
     * Offer only these compressors (by name); default: every installed, available one.
     * {@code identity} (no compression) is always offered.
     */
    public Builder compressors(String... names) {
      return compressors(found(Compressor.class, names, new Compressor[0]));
    }

    /**
     * Offer these compressor instances rather than the registry's, for instance a {@code
     * ZstdCompressor} with a level or a dictionary of your own; {@code identity} is always
     * offered too. The server shares each instance among its connections.
     *
     * @throws IllegalArgumentException if one cannot work here (its native library is missing,
     *     say)
     */
    public Builder compressors(Compressor... compressors) {
      for (Compressor c : compressors) {
        PluginRegistry.requireAvailable(c);
      }
      Map<String, Compressor> m = new LinkedHashMap<>(byName(compressors));
      m.putIfAbsent(IdentityCompressor.NAME, new IdentityCompressor());
      this.compressors = Collections.unmodifiableMap(m);
      return this;
    }

    private static <T extends io.protorpc.spi.Plugin> T[] found(Class<T> kind, String[] names,
        T[] none) {
      List<T> list = new ArrayList<>();
      for (String n : names) {
        list.add(PluginRegistry.find(kind, n));
      }
      return list.toArray(none);
    }

    private static <T extends io.protorpc.spi.Plugin> Map<String, T> byName(T[] plugins) {
      if (plugins.length == 0) {
        throw new IllegalArgumentException("name at least one");
      }
      Map<String, T> m = new LinkedHashMap<>();
      for (T p : plugins) {
        m.put(p.name(), p);
      }
      return Collections.unmodifiableMap(m);
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
     * Most bytes the server holds for messages passing through it, all connections together:
     * unfinished frames, requests (decompressed, too) until answered, and responses until
     * written. Default: a quarter of the maximum heap ({@code -Xmx}), at least 16 MiB.
     *
     * <p>When they reach it the server refuses new calls with {@code RESOURCE_EXHAUSTED}, stops
     * reading from every connection that holds any of it (one connection also stops by itself at
     * a quarter of the budget), and reads again once the count falls below seven eighths of it.
     * If it stays above seven eighths with the budget spent for half a second, the server closes
     * the connection holding the most, one every 100 ms, until memory frees. A compressed request takes room for a whole max-size message
     * while it is decompressed, and is refused with {@code RESOURCE_EXHAUSTED} if there is none.
     *
     * @throws IllegalArgumentException if {@code bytes} is less than 1; {@link #start()} throws
     *     it if the budget cannot hold one frame of the max message size plus header
     */
    public Builder memoryBudget(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("memoryBudget must be >= 1 byte: " + bytes);
      }
      this.memoryBudget = bytes;
      return this;
    }

    /** Most calls one connection may have running; the excess gets RESOURCE_EXHAUSTED. Default 1024. */
    public Builder maxCallsInFlight(int calls) {
      this.limits = limits.withMaxCallsInFlight(calls);
      return this;
    }

    /** Responses below this many bytes are sent uncompressed (default 1024). */
    public Builder compressionThreshold(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("compressionThreshold must be >= 0");
      }
      this.compressionThreshold = bytes;
      return this;
    }

    public Builder transportOptions(TransportOptions options) {
      this.transportOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Where handlers run; default: a virtual thread per call on JDK 21+, else a pool of 64
     * threads with a queue of 10,000 (calls beyond it get RESOURCE_EXHAUSTED). The server does
     * not shut down an executor given here.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Runs each handler on the transport thread that read its request, with no hand-off to an
     * executor: the lowest latency (docs/benchmarks.md measures it), for handlers that never block
     * and return quickly, such as async services that pass slow work on themselves. The price:
     * while a handler runs, the thread it borrowed reads nothing else, which on the socket
     * transport is its connection's reader and on Netty an event loop shared by many connections.
     * Other calls, cancellations and keepalive pings on those wait for it, so a blocking handler
     * here stalls them (clients still fail their own calls at their deadlines). Replaces an
     * executor set before; {@link #executor(Executor)} replaces this.
     */
    public Builder directExecutor() {
      this.executor = Runnable::run;
      return this;
    }

    /**
     * Binds and starts accepting.
     *
     * @throws java.net.BindException if the address is in use or cannot be assigned; the
     *     message names the address
     * @throws IOException if listening fails otherwise (the message names the address)
     * @throws IllegalArgumentException if the memory budget cannot hold one max-size frame
     * @throws PluginNotFoundException if no transport or codec is installed
     */
    public RpcServer start() throws IOException {
      return new RpcServer(this);
    }
  }
}
