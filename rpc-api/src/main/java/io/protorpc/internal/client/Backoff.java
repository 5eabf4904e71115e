package io.protorpc.internal.client;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Jittered exponential backoff between connection attempts. */
public record Backoff(long initialNanos, long maxNanos) {
  public static final Backoff DEFAULT =
      new Backoff(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(10));
  static final double MULTIPLIER = 1.6;
  static final double JITTER = 0.2;

  public Backoff {
    if (initialNanos <= 0 || maxNanos < initialNanos) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max");
    }
  }

  /** The delay before the next attempt after {@code failures} failed ones in a row (1 or more). */
  public long delayNanos(int failures) {
    double d = initialNanos * Math.pow(MULTIPLIER, Math.min(failures - 1, 64));
    d = Math.min(d, maxNanos);
    return (long) (d * (1 + JITTER * (2 * ThreadLocalRandom.current().nextDouble() - 1)));
  }
}
