package io.protorpc;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * When a call that reached a server and failed is made again: set per service or method with
 * {@link RpcClient.Builder#retryPolicy}. Off by default (no policy: a call is made once).
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(3)                            // the first attempt and up to two retries
 *     .initialBackoff(Duration.ofMillis(50))
 *     .maxBackoff(Duration.ofSeconds(1))
 *     .backoffMultiplier(2)
 *     .retryOn(StatusCode.UNAVAILABLE)
 *     .build();
 * }</pre>
 *
 * <p>A failed attempt whose status code is one of {@link #retryableCodes()} is made again after a
 * random delay between 0 and {@code min(initialBackoff * backoffMultiplier^(n-1), maxBackoff)}
 * before the n-th retry ("full jitter", as gRPC), with the same request and metadata, until
 * {@link #maxAttempts()} attempts were made. A retry is made only if its delay ends before the
 * call's deadline; otherwise the call fails with the last attempt's status. One-way calls are
 * never retried. The server may have run every failed attempt: give a policy only to methods
 * that are safe to run more than once (docs/call-semantics.md).
 *
 * <p>Immutable and thread-safe; {@code equals} compares every setting.
 */
public final class RetryPolicy {
  /** The most attempts a policy may allow (gRPC's bound too): retries must not multiply load. */
  public static final int MAX_ATTEMPTS_LIMIT = 5;

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double backoffMultiplier;
  private final Set<StatusCode> retryableCodes;

  private RetryPolicy(Builder b) {
    if (b.maxAttempts < 2 || b.maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException("maxAttempts must be 2 to " + MAX_ATTEMPTS_LIMIT
          + " (the first attempt included): " + b.maxAttempts);
    }
    if (b.initialBackoff.isNegative() || b.initialBackoff.isZero()) {
      throw new IllegalArgumentException("initialBackoff must be positive: " + b.initialBackoff);
    }
    if (b.maxBackoff.compareTo(b.initialBackoff) < 0) {
      throw new IllegalArgumentException("maxBackoff (" + b.maxBackoff
          + ") must be at least initialBackoff (" + b.initialBackoff + ")");
    }
    if (!(b.backoffMultiplier >= 1 && b.backoffMultiplier <= 100)) {
      throw new IllegalArgumentException("backoffMultiplier must be 1 to 100: "
          + b.backoffMultiplier);
    }
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.backoffMultiplier = b.backoffMultiplier;
    this.retryableCodes = Collections.unmodifiableSet(EnumSet.copyOf(b.retryableCodes));
  }

  /**
   * A builder with the defaults: 3 attempts, backoff 100 ms growing 2 times up to 1 s, retried on
   * {@code UNAVAILABLE}.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Attempts in all, the first included: 2 to {@link #MAX_ATTEMPTS_LIMIT}. */
  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  public double backoffMultiplier() {
    return backoffMultiplier;
  }

  /** The codes of a failed attempt that make another attempt (never {@code OK}). Unmodifiable. */
  public Set<StatusCode> retryableCodes() {
    return retryableCodes;
  }

  /**
   * The longest delay before the {@code retry}-th retry (1 for the first), before jitter picks a
   * delay between 0 and it.
   */
  public Duration backoffBefore(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry counts from 1: " + retry);
    }
    double nanos = initialBackoff.toNanos() * Math.pow(backoffMultiplier, retry - 1);
    return Duration.ofNanos((long) Math.min(nanos, maxBackoff.toNanos()));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy p && maxAttempts == p.maxAttempts
        && initialBackoff.equals(p.initialBackoff) && maxBackoff.equals(p.maxBackoff)
        && backoffMultiplier == p.backoffMultiplier && retryableCodes.equals(p.retryableCodes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
        retryableCodes);
  }

  @Override
  public String toString() {
    return "RetryPolicy[maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff.toMillis()
        + " ms x" + backoffMultiplier + " up to " + maxBackoff.toMillis() + " ms, on "
        + retryableCodes + "]";
  }

  /** Builds a {@link RetryPolicy}; {@link #build()} checks the settings. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private double backoffMultiplier = 2;
    private Set<StatusCode> retryableCodes = EnumSet.of(StatusCode.UNAVAILABLE);

    private Builder() {}

    /** Attempts in all, the first included: 2 to {@link #MAX_ATTEMPTS_LIMIT}. Default 3. */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = attempts;
      return this;
    }

    /** The longest delay before the first retry. Default 100 ms. */
    public Builder initialBackoff(Duration backoff) {
      this.initialBackoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** The longest delay before any retry. Default 1 s. */
    public Builder maxBackoff(Duration backoff) {
      this.maxBackoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** How much longer the longest delay gets with each retry: 1 to 100. Default 2. */
    public Builder backoffMultiplier(double multiplier) {
      this.backoffMultiplier = multiplier;
      return this;
    }

    /**
     * The status codes that make another attempt (replacing the default, {@code UNAVAILABLE}).
     *
     * @throws IllegalArgumentException if none is given, or {@code OK} is one
     */
    public Builder retryOn(StatusCode... codes) {
      if (codes.length == 0) {
        throw new IllegalArgumentException("retryOn needs at least one status code");
      }
      EnumSet<StatusCode> set = EnumSet.noneOf(StatusCode.class);
      for (StatusCode c : codes) {
        if (Objects.requireNonNull(c, "code") == StatusCode.OK) {
          throw new IllegalArgumentException("OK is a success; it cannot be retried");
        }
        set.add(c);
      }
      this.retryableCodes = set;
      return this;
    }

    /**
     * @throws IllegalArgumentException if maxAttempts is not 2 to {@link #MAX_ATTEMPTS_LIMIT},
     *     a backoff is not positive, maxBackoff is below initialBackoff, or the multiplier is not
     *     1 to 100
     */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
