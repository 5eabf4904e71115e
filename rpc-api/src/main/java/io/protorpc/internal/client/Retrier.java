package io.protorpc.internal.client;

import io.protorpc.RetryPolicy;
import io.protorpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * A client's retry policies at work: decides whether a call's attempt that reached a server and
 * failed is made again, and holds the call during the backoff before that attempt. The call stays
 * one {@link ClientCall} with its one completion: while it waits here its place is this retrier,
 * so a deadline, a cancel or {@link #shutdown} reach it like anywhere else.
 *
 * <p>A retry is made only when the call has a policy ({@link ClientCall#retryUnder}), the failed
 * attempt's code is retryable, fewer than {@code maxAttempts} attempts were made, the {@link
 * RetryThrottle} allows it, the client is open, and the backoff ends before the call's deadline.
 *
 * <p>Thread-safe: the calls waiting and their timers are kept under one lock; calls are routed
 * and completed outside it.
 */
public final class Retrier implements ClientCall.Place {
  private final Map<String, RetryPolicy> policies;
  private final RetryThrottle throttle;
  private final Clock clock;
  private final DoubleSupplier jitter;

  private final Object lock = new Object();
  private final Map<ClientCall, Clock.Timer> backingOff = new HashMap<>(); // guarded by lock
  private boolean closed; // guarded by lock

  /**
   * @param policies by the full name of a service ({@code pkg.Service}) or of a method ({@code
   *     pkg.Service.Method}); a method's own policy wins over its service's
   * @param jitter a number in [0, 1) per retry: the fraction of the longest delay to wait
   */
  public Retrier(Map<String, RetryPolicy> policies, RetryThrottle throttle, Clock clock,
      DoubleSupplier jitter) {
    this.policies = Map.copyOf(policies);
    this.throttle = throttle;
    this.clock = clock;
    this.jitter = jitter;
  }

  /** The policy of a method, by its full name and its service's; null for none. */
  public RetryPolicy policyFor(String methodFullName, String serviceFullName) {
    RetryPolicy p = policies.get(methodFullName);
    return p != null ? p : policies.get(serviceFullName);
  }

  /** Calls waiting for their next attempt. */
  public int callsWaiting() {
    synchronized (lock) {
      return backingOff.size();
    }
  }

  /**
   * An attempt of {@code call} that reached a server ended with {@code status}. Returns true if
   * the call now waits here for its next attempt; false if it is to complete with {@code status}.
   */
  boolean retryLater(ClientCall call, Status status) {
    RetryPolicy policy = call.retryPolicy();
    if (status.isOk()) {
      throttle.succeeded();
      return false;
    }
    if (!policy.retryableCodes().contains(status.code())) {
      return false;
    }
    boolean allowed = throttle.failedMayRetry(); // every retryable failure counts
    int attempts = call.attempts();
    if (!allowed || attempts >= policy.maxAttempts() || call.isOneWay()) {
      return false;
    }
    long delay = (long) (jitter.getAsDouble() * policy.backoffBefore(attempts).toNanos());
    if (delay >= call.nanosUntilDeadline()) {
      return false; // the next attempt could not start in time: report this one's failure
    }
    synchronized (lock) {
      if (closed) {
        return false;
      }
      call.failedAttempt(status);
      call.moveTo(this, 0);
      backingOff.put(call, clock.schedule(() -> backoffOver(call), delay));
    }
    if (call.isDone()) {
      remove(call, false); // ended (cancel, deadline) while it moved here
    }
    return true;
  }

  /** On the timer: the backoff is over; the call's next attempt is routed. */
  private void backoffOver(ClientCall call) {
    synchronized (lock) {
      if (backingOff.remove(call) == null) {
        return; // it ended meanwhile
      }
    }
    call.attemptAgain();
  }

  @Override
  public void remove(ClientCall call, boolean tellServer) {
    Clock.Timer t;
    synchronized (lock) {
      t = backingOff.remove(call);
    }
    if (t != null) {
      t.cancel();
    }
  }

  @Override
  public String describeWait() {
    return " while waiting to retry";
  }

  /**
   * Fails every call waiting for its next attempt with {@code status} and makes no more retries
   * (a call that fails later completes with its own status). Returns at once; idempotent.
   */
  public void shutdown(Status status) {
    List<ClientCall> waiting;
    synchronized (lock) {
      closed = true;
      waiting = new ArrayList<>(backingOff.keySet());
      backingOff.values().forEach(Clock.Timer::cancel);
      backingOff.clear();
    }
    for (ClientCall call : waiting) {
      call.complete(status, null);
    }
  }
}
