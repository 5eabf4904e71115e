package io.protorpc.internal.client;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops retries while most attempts fail, so that retries cannot multiply the load on servers
 * that are already failing (gRPC's retry throttling): a bucket of {@code maxTokens} tokens, one
 * taken by each attempt that fails with a retryable code, {@code tokenRatio} given back by each
 * success; retries are made only while more than half the tokens are left. Thread-safe.
 */
public final class RetryThrottle {
  private static final int MILLI = 1000;

  private final int maxMilliTokens;
  private final int thresholdMilliTokens;
  private final int ratioMilliTokens;
  private final AtomicInteger milliTokens;

  /**
   * @param maxTokens 1 to 1000
   * @param tokenRatio what a success gives back: more than 0, at most 1 (thousandths count)
   */
  public RetryThrottle(int maxTokens, double tokenRatio) {
    if (maxTokens < 1 || maxTokens > 1000) {
      throw new IllegalArgumentException("maxTokens must be 1 to 1000: " + maxTokens);
    }
    if (!(tokenRatio >= 0.001 && tokenRatio <= 1)) {
      throw new IllegalArgumentException("tokenRatio must be 0.001 to 1: " + tokenRatio);
    }
    this.maxMilliTokens = maxTokens * MILLI;
    this.thresholdMilliTokens = maxMilliTokens / 2;
    this.ratioMilliTokens = (int) Math.round(tokenRatio * MILLI);
    this.milliTokens = new AtomicInteger(maxMilliTokens);
  }

  /** An attempt failed with a retryable code: takes a token; whether a retry may be made. */
  public boolean failedMayRetry() {
    int after = milliTokens.updateAndGet(t -> Math.max(0, t - MILLI));
    return after > thresholdMilliTokens;
  }

  /** An attempt succeeded: gives back part of a token. */
  public void succeeded() {
    milliTokens.updateAndGet(t -> Math.min(maxMilliTokens, t + ratioMilliTokens));
  }

  /** Tokens left, for tests and diagnostics. */
  double tokens() {
    return milliTokens.get() / (double) MILLI;
  }
}
