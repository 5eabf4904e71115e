package io.protorpc.internal.client;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntToLongFunction;

/**
 * Routes each call to one of many servers: the addresses a {@link NameResolver} gives for a
 * target, one {@link Subchannel} each, shown to a {@link LoadBalancer.Picker} as {@link Backend}s
 * and picked per call on the caller's thread.
 *
 * <p>Calls wait here, not in a subchannel: a call is handed only to a subchannel that is READY
 * ({@link Subchannel#startIfReady}); while the picker has none to give, the call waits in this
 * router's queue (a wait-for-ready call until its deadline; a fail-fast one until no server is
 * connecting or could connect), and every change of a server's state picks for the waiting calls
 * again. So a call never waits behind one server while another serves, and a call that never
 * left the client ({@link ClientCall#unsent}, a go-away's "unprocessed") is picked again, on
 * whichever server is READY.
 *
 * <p>Resolution runs on the I/O executor, never on a caller's thread: first when the first call
 * (or {@link #connect()}) needs it, again after the resolver's refresh interval, after a failure
 * (with backoff), and when a server's connection attempt fails (at most once a second). A changed
 * address set makes subchannels for new addresses and retires removed ones gracefully: they take
 * no new calls, and their connections close once the calls on them are answered.
 *
 * <p>Thread-safe. Server-state changes and the waiting queue meet under one lock, with a
 * generation count so that a call that found no server is never queued after the change that
 * would have picked it again.
 */
public final class BalancedRouter implements ClientCall.Router, ClientCall.Place {

  /** Makes the subchannel of one resolved address. */
  @FunctionalInterface
  public interface SubchannelFactory {
    /**
     * @param onStateChange what the subchannel must run after each change of its state
     * @throws RuntimeException if the address cannot be used (no transport supports it, say)
     */
    Subchannel create(SocketAddress address, Runnable onStateChange);
  }

  /** Least time between two resolutions asked for by failing connections. */
  static final long MIN_RERESOLVE_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Picks tried for one routing before the call waits: each refusal retires a connection. */
  static final int MAX_PICKS = 4;
  /** Servers named in a status message before "...". */
  private static final int DESCRIBED_SERVERS = 4;

  private final Target target;
  private final NameResolver resolver;
  private final LoadBalancer.Picker picker;
  private final SubchannelFactory subchannels;
  private final Executor io;
  private final Clock clock;
  private final IntToLongFunction backoffNanos;
  private final long refreshNanos;
  private final HealthCheck health; // null: no health checking

  /** The servers now, in the resolver's order: what the picker sees. Replaced, never changed. */
  private volatile List<Server> servers = List.of();
  private volatile boolean started;
  private volatile boolean closed;
  /** Bumped, under lock, at every change a waiting call should be picked again for. */
  private volatile long generation;

  private final Object lock = new Object();
  private final ArrayDeque<ClientCall> waiting = new ArrayDeque<>(); // guarded by lock
  private final List<CompletableFuture<Void>> readyWaiters = new ArrayList<>(); // guarded
  private final Set<Server> retiring = new HashSet<>(); // guarded: removed, calls still on them
  private Status closeStatus; // guarded
  private boolean resolving; // guarded
  private boolean resolvedOnce; // guarded
  private int resolveFailures; // guarded: in a row
  private String resolveFailure = ""; // guarded
  private long lastResolveNanos; // guarded
  private Clock.Timer resolveTimer; // guarded
  private long resolveDueNanos; // guarded: when resolveTimer fires

  /**
   * @param backoffNanos the delay before resolving again after this many failures in a row
   * @param health the check each READY server is polled with, or null for none
   */
  public BalancedRouter(Target target, NameResolver resolver, LoadBalancer.Picker picker,
      SubchannelFactory subchannels, Executor io, Clock clock, IntToLongFunction backoffNanos,
      HealthCheck health) {
    this.health = health;
    this.target = target;
    this.resolver = resolver;
    this.picker = picker;
    this.subchannels = subchannels;
    this.io = io;
    this.clock = clock;
    this.backoffNanos = backoffNanos;
    this.refreshNanos = resolver.refreshInterval().toNanos();
  }

  /** What health checking says of a connected server. */
  private enum Serving {
    /** Not checked on this connection yet: shown as CONNECTING, so it takes no call yet. */
    UNKNOWN,
    SERVING,
    NOT_SERVING
  }

  /** One server as the picker sees it: a view of its subchannel and of its health. */
  final class Server implements Backend {
    private final SocketAddress address;
    private Subchannel subchannel; // set once, right after construction
    private volatile Serving serving = health == null ? Serving.SERVING : Serving.UNKNOWN;
    /** Which connection's check loop may run: a new one starts at each READY, ending the last. */
    private final AtomicInteger healthEpoch = new AtomicInteger();
    private volatile boolean retired; // no longer among the target's addresses

    Server(SocketAddress address) {
      this.address = address;
    }

    @Override
    public SocketAddress address() {
      return address;
    }

    @Override
    public State state() {
      return switch (subchannel.state()) {
        case IDLE -> State.IDLE;
        case CONNECTING -> State.CONNECTING;
        case READY -> switch (serving) {
          case SERVING -> State.READY;
          case NOT_SERVING -> State.NOT_SERVING;
          case UNKNOWN -> State.CONNECTING;
        };
        case TRANSIENT_FAILURE, SHUTDOWN -> State.TRANSIENT_FAILURE;
      };
    }

    @Override
    public int callsInFlight() {
      return subchannel.callsOnConnections();
    }

    @Override
    public void requestConnection() {
      subchannel.requestConnection();
    }

    Subchannel subchannel() {
      return subchannel;
    }

    @Override
    public String toString() {
      return address + " " + state();
    }
  }

  // ------------------------------------------------------------------ calls

  /** Picks a READY server for the call, or keeps it waiting, or (fail-fast, none can) fails it. */
  @Override
  public void route(ClientCall call) {
    if (!started) {
      start();
    }
    for (int picks = 1; ; picks++) {
      long seen = generation;
      List<Server> list = servers;
      if (closed) {
        call.closedBy(closeStatus(), null, ClientCall.Delivery.NOT_SENT);
        return;
      }
      Backend picked;
      try {
        picked = list.isEmpty() ? null : picker.pick(list);
      } catch (RuntimeException e) {
        call.complete(Status.of(StatusCode.INTERNAL, "load balancer failed: " + e), null);
        return;
      }
      if (picked instanceof Server s && s.subchannel().startIfReady(call)) {
        return;
      }
      if (picked != null && picks < MAX_PICKS) {
        continue; // its connection went (draining) under us: that retired it, pick again
      }
      Status failure;
      synchronized (lock) {
        if (generation != seen && picks < MAX_PICKS) {
          continue; // a server changed since the pick: pick again rather than wait for nothing
        }
        failure = closed ? closeStatus : call.waitForReady() ? null : failFast(list);
        if (failure == null) {
          waiting.add(call);
          call.moveTo(this, 0);
        }
      }
      if (failure != null) {
        call.closedBy(failure, null, ClientCall.Delivery.NOT_SENT);
      } else if (call.isDone()) {
        remove(call, false); // ended while it was being queued
      }
      return;
    }
  }

  /**
   * The status a fail-fast call fails with now, or null if it should wait: while resolution has
   * not answered yet, and while some server is connecting, could connect, or is READY (a pick
   * raced its change). Under lock.
   */
  private Status failFast(List<Server> list) {
    if (list.isEmpty()) {
      return resolvedOnce || resolveFailures > 0 ? Status.of(StatusCode.UNAVAILABLE,
          "cannot resolve target '" + target + "': " + resolveFailure) : null;
    }
    for (Server s : list) {
      Backend.State st = s.state();
      if (st != Backend.State.TRANSIENT_FAILURE && st != Backend.State.NOT_SERVING) {
        return null;
      }
    }
    return Status.of(StatusCode.UNAVAILABLE, "no server of target '" + target + "' is ready: "
        + describe(list));
  }

  @Override
  public void remove(ClientCall call, boolean tellServer) {
    synchronized (lock) {
      waiting.remove(call);
    }
  }

  @Override
  public String describeWait() {
    synchronized (lock) {
      List<Server> list = servers;
      if (list.isEmpty()) {
        return " while resolving target '" + target + "'"
            + (resolveFailures == 0 ? "" : " (last attempt: " + resolveFailure + ")");
      }
      return " while waiting for a ready server of target '" + target + "' (" + describe(list)
          + ")";
    }
  }

  private static String describe(List<Server> list) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < list.size() && i < DESCRIBED_SERVERS; i++) {
      Server s = list.get(i);
      b.append(i == 0 ? "" : "; ").append(s.address()).append(' ').append(s.state());
      String why = s.subchannel().lastFailure();
      if (!why.isEmpty()) {
        b.append(" (").append(why).append(')');
      }
    }
    return list.size() > DESCRIBED_SERVERS
        ? b + "; and " + (list.size() - DESCRIBED_SERVERS) + " more" : b.toString();
  }

  /** Calls waiting here plus calls on every server's connections, retiring ones included. */
  public int callsInFlight() {
    int n;
    List<Server> others;
    synchronized (lock) {
      n = waiting.size();
      others = new ArrayList<>(retiring);
    }
    for (Server s : servers) {
      n += s.callsInFlight();
    }
    for (Server s : others) {
      n += s.callsInFlight();
    }
    return n;
  }

  /** Whether some server takes calls now. */
  public boolean isReady() {
    for (Server s : servers) {
      if (s.state() == Backend.State.READY) {
        return true;
      }
    }
    return false;
  }

  /** The servers now, in the resolver's order (for tests and diagnostics). */
  public List<? extends Backend> backends() {
    return servers;
  }

  /**
   * Resolves if not yet done and lets the picker connect; the future completes when some server
   * is READY, or fails (an {@link IOException} saying why) when a fail-fast call would fail now.
   */
  public CompletableFuture<Void> connect() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (lock) {
      readyWaiters.add(f);
    }
    start();
    serversChanged();
    return f;
  }

  // ------------------------------------------------------------------ server changes

  /**
   * Something a waiting call depends on changed (a server's state, the server list): pick again
   * for every waiting call, settle {@link #connect()}'s futures, and let the picker connect.
   */
  private void serversChanged() {
    List<ClientCall> again;
    List<CompletableFuture<Void>> ready = List.of();
    List<CompletableFuture<Void>> failed = List.of();
    Status failure = null;
    List<Server> list;
    synchronized (lock) {
      generation++;
      list = servers;
      if (waiting.isEmpty() && readyWaiters.isEmpty()) {
        return;
      }
      again = new ArrayList<>(waiting);
      waiting.clear();
      if (!readyWaiters.isEmpty()) {
        failure = closed ? closeStatus : failFast(list);
        if (isReady()) {
          ready = new ArrayList<>(readyWaiters);
          readyWaiters.clear();
        } else if (failure != null) {
          failed = new ArrayList<>(readyWaiters);
          readyWaiters.clear();
        }
      }
    }
    ready.forEach(f -> f.complete(null));
    if (!failed.isEmpty()) {
      IOException e = new IOException(failure.message());
      failed.forEach(f -> f.completeExceptionally(e));
    }
    if (again.isEmpty() && !list.isEmpty() && !closed) {
      try {
        picker.pick(list); // no call waits, but connect() does: the picker asks servers to connect
      } catch (RuntimeException ignored) {
        // a failing picker fails the calls it is asked to pick for; nothing to fail here
      }
    }
    for (ClientCall call : again) {
      if (!call.isDone()) {
        route(call);
      }
    }
  }

  private void serverChanged(Server server) {
    ConnectivityState state = server.subchannel().state();
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      resolveSoon(); // it may have moved: ask the resolver again
    }
    if (health != null) {
      int epoch = server.healthEpoch.incrementAndGet();
      if (state == ConnectivityState.READY) {
        checkHealth(server, epoch); // a new connection: check it now, then every interval
      } else {
        server.serving = Serving.UNKNOWN; // the next connection is checked before it takes calls
      }
    }
    serversChanged();
  }

  // ------------------------------------------------------------------ health checking

  private boolean worthChecking(Server server, int epoch) {
    return server.healthEpoch.get() == epoch && !closed && !server.retired
        && server.subchannel().state() == ConnectivityState.READY;
  }

  /**
   * One round of a connection's check loop: a check whose verdict schedules the next round an
   * interval later. Runs on a timer or connection thread: starting a check only queues a request.
   */
  private void checkHealth(Server server, int epoch) {
    if (worthChecking(server, epoch)) {
      health.check(server.subchannel(), serving -> healthChecked(server, epoch, serving));
    }
  }

  private void healthChecked(Server server, int epoch, boolean serving) {
    if (!worthChecking(server, epoch)) {
      return; // a verdict on a connection that has gone since
    }
    Serving now = serving ? Serving.SERVING : Serving.NOT_SERVING;
    if (server.serving != now) {
      server.serving = now;
      serversChanged();
    }
    clock.schedule(() -> checkHealth(server, epoch), health.intervalNanos());
  }

  // ------------------------------------------------------------------ resolution

  private void start() {
    synchronized (lock) {
      if (started || closed) {
        return;
      }
      started = true;
    }
    dispatchResolution();
  }

  /** After a failed connection attempt: resolve again, but not more than once a second. */
  private void resolveSoon() {
    synchronized (lock) {
      if (closed || resolving || resolveFailures > 0) {
        return; // under way, or a retry after the failure is already due
      }
      long due = lastResolveNanos + MIN_RERESOLVE_NANOS;
      if (resolveTimer != null && resolveDueNanos - due <= 0) {
        return;
      }
      long delay = due - clock.nanoTime();
      if (delay > 0) {
        scheduleResolution(delay);
        return;
      }
    }
    dispatchResolution();
  }

  private void scheduleResolution(long delayNanos) { // under lock
    if (resolveTimer != null) {
      resolveTimer.cancel();
    }
    resolveDueNanos = clock.nanoTime() + delayNanos;
    resolveTimer = clock.schedule(this::dispatchResolution, delayNanos);
  }

  /**
   * Hands one resolution to the I/O executor (a lookup may block on DNS) unless one is under way:
   * from a timer, or from a thread that holds no lock.
   */
  private void dispatchResolution() {
    synchronized (lock) {
      if (closed || resolving) {
        return;
      }
      resolving = true;
      if (resolveTimer != null) {
        resolveTimer.cancel();
        resolveTimer = null;
      }
    }
    try {
      io.execute(this::resolve);
    } catch (RejectedExecutionException clientClosing) {
      synchronized (lock) {
        resolving = false;
      }
    }
  }

  /** On the I/O executor: one resolution, whose outcome is applied or retried with backoff. */
  private void resolve() {
    synchronized (lock) {
      if (closed) {
        resolving = false;
        return;
      }
      lastResolveNanos = clock.nanoTime();
    }
    List<SocketAddress> found;
    try {
      found = resolver.resolve(target);
      if (found == null || found.isEmpty()) {
        throw new IOException("resolver '" + resolver.name() + "' found no address");
      }
    } catch (IOException | RuntimeException e) {
      resolutionFailed(e.getMessage() != null ? e.getMessage() : e.toString());
      return;
    }
    resolved(found);
  }

  private void resolved(List<SocketAddress> found) {
    List<Server> removed;
    String unusable = null;
    synchronized (lock) {
      resolving = false;
      if (closed) {
        return;
      }
      Map<SocketAddress, Server> old = new LinkedHashMap<>();
      for (Server s : servers) {
        old.put(s.address(), s);
      }
      List<Server> next = new ArrayList<>(found.size());
      for (SocketAddress a : found) {
        Server s = old.remove(a);
        if (s == null) {
          try {
            s = newServer(a);
          } catch (RuntimeException e) {
            unusable = "cannot use " + a + ": " + e.getMessage();
            continue;
          }
        }
        if (!next.contains(s)) {
          next.add(s);
        }
      }
      if (next.isEmpty()) {
        removed = null; // nothing usable: keep what we had, as after a failed lookup
      } else {
        removed = new ArrayList<>(old.values());
        removed.forEach(s -> s.retired = true);
        retiring.removeIf(s -> s.callsInFlight() == 0);
        retiring.addAll(removed);
        servers = List.copyOf(next);
        resolvedOnce = true;
        resolveFailures = 0;
        resolveFailure = "";
        if (refreshNanos > 0) {
          scheduleResolution(refreshNanos);
        }
      }
    }
    if (removed == null) {
      resolutionFailed(unusable);
      return;
    }
    Status retired = Status.of(StatusCode.UNAVAILABLE, "no longer an address of target '"
        + target + "'");
    for (Server s : removed) {
      s.subchannel().shutdownGracefully(retired);
    }
    serversChanged();
  }

  private Server newServer(SocketAddress address) {
    Server s = new Server(address);
    s.subchannel = subchannels.create(address, () -> serverChanged(s));
    return s;
  }

  private void resolutionFailed(String why) {
    synchronized (lock) {
      resolving = false;
      if (closed) {
        return;
      }
      resolveFailures++;
      resolveFailure = why;
      scheduleResolution(backoffNanos.applyAsLong(resolveFailures));
    }
    serversChanged(); // fail-fast calls waiting for a first resolution fail now
  }

  // ------------------------------------------------------------------ close

  private Status closeStatus() {
    synchronized (lock) {
      return closeStatus;
    }
  }

  /**
   * Fails every waiting call and every call on every server with {@code status}, and closes all
   * connections (on I/O threads). Returns at once; idempotent.
   */
  public void shutdown(Status status) {
    List<ClientCall> queued;
    List<CompletableFuture<Void>> notify;
    List<Server> all;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closeStatus = status;
      closed = true;
      generation++;
      if (resolveTimer != null) {
        resolveTimer.cancel();
        resolveTimer = null;
      }
      queued = new ArrayList<>(waiting);
      waiting.clear();
      notify = new ArrayList<>(readyWaiters);
      readyWaiters.clear();
      all = new ArrayList<>(servers);
      all.addAll(retiring);
      retiring.clear();
    }
    IOException e = new IOException(status.message());
    notify.forEach(f -> f.completeExceptionally(e));
    for (ClientCall call : queued) {
      call.closedBy(status, null, ClientCall.Delivery.NOT_SENT);
    }
    for (Server s : all) {
      s.subchannel().shutdown(status);
    }
  }

  @Override
  public String toString() {
    return "BalancedRouter[" + target + ", " + servers + "]";
  }
}
