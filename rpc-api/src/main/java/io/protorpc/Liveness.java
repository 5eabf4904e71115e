package io.protorpc;

import java.time.Duration;

/**
 * The timeouts that keep one endpoint's connections alive and bounded, checked by a periodic task
 * per connection. Zero disables each.
 *
 * @param keepAliveTimeNanos after this long without reading anything, send a ping
 * @param keepAliveTimeoutNanos after a ping, this long without reading anything means the peer is
 *     dead
 * @param idleTimeoutNanos close a connection that had no call for this long
 * @param handshakeTimeoutNanos close a connection whose preface has not arrived after this long
 *     (server side; slow or silent peers)
 * @param writeTimeoutNanos close a connection whose writes made no progress for this long (a peer
 *     that stopped reading)
 */
record Liveness(long keepAliveTimeNanos, long keepAliveTimeoutNanos, long idleTimeoutNanos,
    long handshakeTimeoutNanos, long writeTimeoutNanos) {
  /** Ping timeout used when keepalive is on and no timeout was set. */
  static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(20);
  static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(60);

  /** Keepalive and idle off; handshake and write timeouts at their defaults. */
  static Liveness defaults() {
    return new Liveness(0, 0, 0, DEFAULT_HANDSHAKE_TIMEOUT.toNanos(),
        DEFAULT_WRITE_TIMEOUT.toNanos());
  }

  Liveness {
    if (keepAliveTimeNanos < 0 || keepAliveTimeoutNanos < 0 || idleTimeoutNanos < 0
        || handshakeTimeoutNanos < 0 || writeTimeoutNanos < 0) {
      throw new IllegalArgumentException("timeouts must not be negative");
    }
  }

  /** How often a connection is checked: a quarter of the shortest setting, at least 5 ms. */
  long checkPeriodNanos() {
    long shortest = Long.MAX_VALUE;
    for (long v : new long[] {keepAliveTimeNanos, keepAliveTimeoutNanos, idleTimeoutNanos,
        handshakeTimeoutNanos, writeTimeoutNanos}) {
      if (v > 0) {
        shortest = Math.min(shortest, v);
      }
    }
    return shortest == Long.MAX_VALUE ? 0 : Math.max(Duration.ofMillis(5).toNanos(), shortest / 4);
  }

  Liveness withKeepAlive(Duration time, Duration timeout) {
    long t = nanos(time);
    long to = timeout != null ? nanos(timeout)
        : t > 0 ? DEFAULT_KEEPALIVE_TIMEOUT.toNanos() : 0;
    return new Liveness(t, to, idleTimeoutNanos, handshakeTimeoutNanos, writeTimeoutNanos);
  }

  Liveness withIdleTimeout(Duration idle) {
    return new Liveness(keepAliveTimeNanos, keepAliveTimeoutNanos, nanos(idle),
        handshakeTimeoutNanos, writeTimeoutNanos);
  }

  Liveness withHandshakeTimeout(Duration d) {
    return new Liveness(keepAliveTimeNanos, keepAliveTimeoutNanos, idleTimeoutNanos, nanos(d),
        writeTimeoutNanos);
  }

  Liveness withWriteTimeout(Duration d) {
    return new Liveness(keepAliveTimeNanos, keepAliveTimeoutNanos, idleTimeoutNanos,
        handshakeTimeoutNanos, nanos(d));
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
