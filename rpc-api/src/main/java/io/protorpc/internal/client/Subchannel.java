package io.protorpc.internal.client;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntToLongFunction;

/**
 * The connection holder for one server address: IDLE, CONNECTING, READY, TRANSIENT_FAILURE,
 * SHUTDOWN (see {@link ConnectivityState}). It connects on the connector executor, never on a
 * caller's or a timer's thread; backs off after a failed attempt; and keeps the calls that wait
 * for a connection in a queue that deadlines, cancellation and {@link #shutdown} all reach.
 *
 * <p>A call given to {@link #start} is, by the time it returns, on a connection, in the queue,
 * or completed: a fail-fast call ({@code waitForReady} false) fails with {@code UNAVAILABLE} when
 * the attempt it waited for fails, or at once during the backoff after one; a wait-for-ready call
 * stays queued through attempts until its deadline. A call that fails here never reached a
 * server ({@link ClientCall.Delivery#NOT_SENT}), so a balancer may try it on another subchannel.
 *
 * <p>Thread-safe. State changes happen under one lock; calls are started, failed and connections
 * closed outside it.
 */
public final class Subchannel implements ClientCall.Place, ClientCall.Router {
  private final SocketAddress address;
  private final Connector connector;
  private final Executor connectExecutor;
  private final Clock clock;
  private final IntToLongFunction backoffNanos;
  private final long connectTimeoutNanos;
  private final ClientConnection.Listener connectionListener = new ConnectionEvents();
  private final Set<ClientConnection> open = ConcurrentHashMap.newKeySet();
  private final Runnable onStateChange;

  private final Object lock = new Object();
  // written under lock; read without it by state() and startIfReady, which a balancer runs per call
  private volatile ConnectivityState state = ConnectivityState.IDLE;
  private final ArrayDeque<ClientCall> waiting = new ArrayDeque<>(); // guarded by lock
  private volatile ClientConnection ready; // written under lock; non-null in READY only
  private Connector.Attempt attempt; // guarded by lock; the one under way, if CONNECTING
  private long attemptStartedNanos; // guarded by lock
  private int failures; // guarded by lock: failed attempts in a row
  private String lastFailure = ""; // guarded by lock
  private long nextAttemptNanos; // guarded by lock: when the backoff ends, in TRANSIENT_FAILURE
  private Clock.Timer backoffTimer; // guarded by lock
  private final List<CompletableFuture<Void>> readyWaiters = new ArrayList<>(); // guarded by lock

  /**
   * @param backoffNanos the delay after this many failed attempts in a row (1 or more)
   * @param connectTimeoutNanos the bound of one whole attempt: TCP, TLS and the preface
   */
  public Subchannel(SocketAddress address, Connector connector, Executor connectExecutor,
      Clock clock, IntToLongFunction backoffNanos, long connectTimeoutNanos) {
    this(address, connector, connectExecutor, clock, backoffNanos, connectTimeoutNanos, () -> { });
  }

  /**
   * @param onStateChange told, outside the lock, after every move to READY, TRANSIENT_FAILURE,
   *     IDLE or SHUTDOWN (not to CONNECTING, which a caller's pick may cause): what a balancing
   *     router needs to re-pick its waiting calls. Must not block.
   */
  public Subchannel(SocketAddress address, Connector connector, Executor connectExecutor,
      Clock clock, IntToLongFunction backoffNanos, long connectTimeoutNanos,
      Runnable onStateChange) {
    this.onStateChange = onStateChange;
    this.address = address;
    this.connector = connector;
    this.connectExecutor = connectExecutor;
    this.clock = clock;
    this.backoffNanos = backoffNanos;
    this.connectTimeoutNanos = connectTimeoutNanos;
  }

  public SocketAddress address() {
    return address;
  }

  public ConnectivityState state() {
    return state;
  }

  /** Why the last connection attempt failed; empty if none has since the last success. */
  public String lastFailure() {
    synchronized (lock) {
      return lastFailure;
    }
  }

  /** Calls queued here plus calls on its connections (the current one and any draining). */
  public int callsInFlight() {
    int n;
    synchronized (lock) {
      n = waiting.size();
    }
    for (ClientConnection c : open) {
      n += c.callsInFlight();
    }
    return n;
  }

  /** Calls on its connections (the current one and any draining), not counting queued ones. */
  public int callsOnConnections() {
    int n = 0;
    for (ClientConnection c : open) {
      n += c.callsInFlight();
    }
    return n;
  }

  /**
   * Starts a connection attempt if IDLE (not during a backoff); returns at once. What a balancer
   * asks of a backend it wants connected.
   */
  public void requestConnection() {
    if (state != ConnectivityState.IDLE) {
      return; // the common case, without the lock: a picker asks on every pick
    }
    Runnable after = null;
    synchronized (lock) {
      if (state == ConnectivityState.IDLE) {
        after = beginAttempt();
      }
    }
    run(after);
  }

  /**
   * Puts the call on the ready connection, for a router that keeps waiting calls itself.
   *
   * @return false, with the call untouched, if this subchannel is not READY or its connection
   *     refused the call (draining or closed, which retires it)
   */
  public boolean startIfReady(ClientCall call) {
    ClientConnection c = ready;
    if (c == null) {
      return false;
    }
    if (c.start(call)) {
      return true;
    }
    connectionListener.onNotUsable(c);
    return false;
  }

  /**
   * Starts a connection attempt now if there is neither a connection nor an attempt; the future
   * completes when this subchannel is READY, or fails with the attempt's error (or at shutdown).
   */
  public CompletableFuture<Void> connect() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    Runnable after;
    synchronized (lock) {
      switch (state) {
        case READY -> {
          return CompletableFuture.completedFuture(null);
        }
        case SHUTDOWN -> {
          return CompletableFuture.failedFuture(new IOException("client closed"));
        }
        case IDLE, TRANSIENT_FAILURE -> after = beginAttempt();
        default -> after = null;
      }
      readyWaiters.add(f);
    }
    run(after);
    return f;
  }

  /** The call's next home: the ready connection, the queue, or (fail-fast, no server) its end. */
  @Override
  public void route(ClientCall call) {
    for (int tries = 0; tries < 3; tries++) { // each refusal retires a connection: few tries
      ClientConnection c;
      Runnable after = null;
      Status failure = null;
      synchronized (lock) {
        switch (state) {
          case READY -> c = ready;
          case SHUTDOWN -> {
            c = null;
            failure = Status.of(StatusCode.UNAVAILABLE, "client closed");
          }
          case TRANSIENT_FAILURE -> {
            c = null;
            if (call.waitForReady()) {
              queue(call);
            } else {
              failure = Status.of(StatusCode.UNAVAILABLE, "not connected to " + address + " ("
                  + lastFailure + "); next attempt in "
                  + Math.max(0, nextAttemptNanos - clock.nanoTime()) / 1_000_000 + " ms");
            }
          }
          case IDLE -> {
            c = null;
            queue(call);
            after = beginAttempt();
          }
          default -> { // CONNECTING
            c = null;
            queue(call);
          }
        }
      }
      run(after);
      if (failure != null) {
        call.closedBy(failure, null, ClientCall.Delivery.NOT_SENT);
        return;
      }
      if (c == null) {
        if (call.isDone()) {
          remove(call, false); // ended while it was being queued
        }
        return;
      }
      if (c.start(call)) {
        return;
      }
      connectionListener.onNotUsable(c); // draining or closed under us: find another
    }
    synchronized (lock) {
      if (state != ConnectivityState.SHUTDOWN) {
        queue(call);
        return;
      }
    }
    call.closedBy(Status.of(StatusCode.UNAVAILABLE, "client closed"), null,
        ClientCall.Delivery.NOT_SENT);
  }

  private void queue(ClientCall call) { // under lock
    waiting.add(call);
    call.moveTo(this, 0);
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
      long now = clock.nanoTime();
      return switch (state) {
        case CONNECTING -> " while connecting to " + address + " (" + attempt.phase() + " for "
            + (now - attemptStartedNanos) / 1_000_000 + " ms"
            + (failures == 0 ? "" : "; " + failures + " earlier attempts failed, the last: "
                + lastFailure) + ")";
        case TRANSIENT_FAILURE -> " while waiting to reconnect to " + address + " (last attempt: "
            + lastFailure + "; next attempt in "
            + Math.max(0, nextAttemptNanos - now) / 1_000_000 + " ms)";
        case SHUTDOWN -> " while the client was closing";
        default -> " before a connection to " + address + " was ready";
      };
    }
  }

  /** Moves to CONNECTING; returns the task that starts the attempt, to run outside the lock. */
  private Runnable beginAttempt() { // under lock
    state = ConnectivityState.CONNECTING;
    if (backoffTimer != null) {
      backoffTimer.cancel();
      backoffTimer = null;
    }
    attemptStartedNanos = clock.nanoTime();
    Connector.Attempt a = new Connector.Attempt(attemptStartedNanos + connectTimeoutNanos);
    attempt = a;
    return () -> {
      try {
        connectExecutor.execute(() -> connectNow(a));
      } catch (RejectedExecutionException closing) {
        attemptFailed(a, new IOException("client closed"));
      }
    };
  }

  private static void run(Runnable r) {
    if (r != null) {
      r.run();
    }
  }

  /** On the connector executor: one attempt, whose every failure is reported. */
  private void connectNow(Connector.Attempt a) {
    ClientConnection c;
    try {
      c = connector.connect(address, a, connectionListener);
    } catch (IOException | RuntimeException e) {
      attemptFailed(a, e);
      return;
    } catch (Error e) {
      attemptFailed(a, e);
      throw e;
    }
    attemptSucceeded(a, c);
  }

  private void attemptSucceeded(Connector.Attempt a, ClientConnection c) {
    List<ClientCall> toStart;
    List<CompletableFuture<Void>> notify;
    synchronized (lock) {
      if (attempt != a || state != ConnectivityState.CONNECTING) {
        toStart = null;
        notify = null;
      } else {
        state = ConnectivityState.READY;
        ready = c;
        attempt = null;
        failures = 0;
        lastFailure = "";
        open.add(c);
        toStart = new ArrayList<>(waiting);
        waiting.clear();
        notify = new ArrayList<>(readyWaiters);
        readyWaiters.clear();
      }
    }
    if (toStart == null) {
      c.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed")); // shut down meanwhile
      return;
    }
    if (!c.isUsable()) {
      connectionListener.onClosed(c); // it went before it was ours: forget it
    }
    notify.forEach(f -> f.complete(null));
    onStateChange.run();
    for (ClientCall call : toStart) {
      if (!call.isDone()) {
        route(call);
      }
    }
  }

  private void attemptFailed(Connector.Attempt a, Throwable error) {
    List<ClientCall> failFast = new ArrayList<>();
    List<CompletableFuture<Void>> notify;
    String reason;
    synchronized (lock) {
      if (attempt != a || state != ConnectivityState.CONNECTING) {
        return;
      }
      attempt = null;
      failures++;
      reason = error.getMessage() != null ? error.getMessage() : error.toString();
      lastFailure = reason;
      state = ConnectivityState.TRANSIENT_FAILURE;
      long delay = backoffNanos.applyAsLong(failures);
      nextAttemptNanos = clock.nanoTime() + delay;
      backoffTimer = clock.schedule(this::backoffOver, delay);
      for (Iterator<ClientCall> it = waiting.iterator(); it.hasNext(); ) {
        ClientCall call = it.next();
        if (!call.waitForReady()) {
          it.remove();
          failFast.add(call);
        }
      }
      notify = new ArrayList<>(readyWaiters);
      readyWaiters.clear();
    }
    IOException asIo = error instanceof IOException io ? io : new IOException(reason, error);
    notify.forEach(f -> f.completeExceptionally(asIo));
    Status unavailable = Status.of(StatusCode.UNAVAILABLE, reason);
    for (ClientCall call : failFast) {
      call.closedBy(unavailable, null, ClientCall.Delivery.NOT_SENT);
    }
    onStateChange.run();
  }

  /** On the timer: only a state change, and at most the hand-off of a new attempt. */
  private void backoffOver() {
    Runnable after = null;
    synchronized (lock) {
      if (state != ConnectivityState.TRANSIENT_FAILURE) {
        return;
      }
      backoffTimer = null;
      if (waiting.isEmpty()) {
        state = ConnectivityState.IDLE; // nobody waits: the next call connects
      } else {
        after = beginAttempt();
      }
    }
    if (after == null) {
      onStateChange.run();
    }
    run(after);
  }

  /**
   * Fails every queued call and every call on its connections with {@code status}, and closes
   * the connections (on I/O threads). Returns at once; idempotent.
   */
  public void shutdown(Status status) {
    shutdown(status, false);
  }

  /**
   * Takes no new calls, fails queued ones with {@code status} (they never left the client), and
   * lets the calls on its connections finish: each connection closes once its last call is
   * answered. For a server a balancer no longer uses. Returns at once; idempotent.
   */
  public void shutdownGracefully(Status status) {
    shutdown(status, true);
  }

  private void shutdown(Status status, boolean graceful) {
    List<ClientCall> queued;
    List<CompletableFuture<Void>> notify;
    synchronized (lock) {
      if (state == ConnectivityState.SHUTDOWN) {
        return;
      }
      state = ConnectivityState.SHUTDOWN;
      ready = null;
      if (attempt != null) {
        attempt.cancel();
        attempt = null;
      }
      if (backoffTimer != null) {
        backoffTimer.cancel();
        backoffTimer = null;
      }
      queued = new ArrayList<>(waiting);
      waiting.clear();
      notify = new ArrayList<>(readyWaiters);
      readyWaiters.clear();
    }
    IOException closed = new IOException(status.message());
    notify.forEach(f -> f.completeExceptionally(closed));
    for (ClientCall call : queued) {
      call.closedBy(status, null, ClientCall.Delivery.NOT_SENT);
    }
    for (ClientConnection c : open) {
      if (graceful) {
        c.drain();
      } else {
        c.shutdown(status);
      }
    }
    onStateChange.run();
  }

  /** The connection's events: a READY subchannel whose connection goes goes back to IDLE. */
  private final class ConnectionEvents implements ClientConnection.Listener {
    @Override
    public void onNotUsable(ClientConnection connection) {
      Runnable after = null;
      synchronized (lock) {
        if (ready != connection) {
          return;
        }
        ready = null;
        state = ConnectivityState.IDLE;
        if (!waiting.isEmpty()) {
          after = beginAttempt();
        }
      }
      if (after == null) {
        onStateChange.run();
      }
      run(after);
    }

    @Override
    public void onClosed(ClientConnection connection) {
      open.remove(connection);
      open.removeIf(c -> !c.isUsable() && c.callsInFlight() == 0); // drained ones, closing
      onNotUsable(connection);
    }
  }

  @Override
  public String toString() {
    return "Subchannel[" + address + ", " + state() + "]";
  }
}
