package io.protorpc;

import java.time.Duration;

/**
 * Liveness settings of one endpoint. A connection that has read nothing for {@code time} is sent a
 * ping; one that has still read nothing {@code timeout} later is considered dead and closed, its
 * calls failing with {@code UNAVAILABLE}. A connection with no call in flight for {@code
 * idleTimeout} is closed gracefully. Zero disables each.
 */
record KeepAlive(long timeNanos, long timeoutNanos, long idleTimeoutNanos) {
  static final KeepAlive DISABLED = new KeepAlive(0, 0, 0);
  /** Ping timeout used when keepalive is on and no timeout was set. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  KeepAlive {
    if (timeNanos < 0 || timeoutNanos < 0 || idleTimeoutNanos < 0) {
      throw new IllegalArgumentException("keepalive durations must not be negative");
    }
  }

  boolean enabled() {
    return timeNanos > 0 || idleTimeoutNanos > 0;
  }

  /** How often a session checks; fine enough to act within a quarter of the shortest setting. */
  long checkPeriodNanos() {
    long shortest = Long.MAX_VALUE;
    for (long v : new long[] {timeNanos, timeoutNanos, idleTimeoutNanos}) {
      if (v > 0) {
        shortest = Math.min(shortest, v);
      }
    }
    return Math.max(Duration.ofMillis(5).toNanos(), shortest / 4);
  }

  KeepAlive withTime(Duration time) {
    long t = nanos(time);
    long timeout = timeoutNanos == 0 && t > 0 ? DEFAULT_TIMEOUT.toNanos() : timeoutNanos;
    return new KeepAlive(t, timeout, idleTimeoutNanos);
  }

  KeepAlive withTimeout(Duration timeout) {
    return new KeepAlive(timeNanos, nanos(timeout), idleTimeoutNanos);
  }

  KeepAlive withIdleTimeout(Duration idle) {
    return new KeepAlive(timeNanos, timeoutNanos, nanos(idle));
  }

  private static long nanos(Duration d) {
    if (d == null) {
      return 0;
    }
    if (d.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative: " + d);
    }
    return d.toNanos();
  }
}
