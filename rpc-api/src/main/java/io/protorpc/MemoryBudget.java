package io.protorpc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes one endpoint holds for the messages passing through it, counted together against one
 * limit: unfinished frames, requests waiting for or held by their handler, decompressed payloads,
 * and responses waiting to be written. Those are what a peer can make an endpoint allocate; what
 * a connection costs by itself is bounded by the connection limit instead.
 *
 * <p>The limit is soft: bytes already in memory are always counted ({@link #add}), and new work
 * is admitted only while there is room ({@link #tryAcquire}). Above it the owner stops reading
 * from the connections that hold the most and refuses new calls; when the count falls back below
 * seven eighths of the limit, {@code onRelief} runs so the owner can read again.
 *
 * <p>Thread-safe: counts are atomic; {@code onRelief} runs on the thread whose release crossed
 * the low-water mark and must be quick.
 */
final class MemoryBudget {
  /** The default limit's share of the maximum heap. */
  static final int DEFAULT_HEAP_DIVISOR = 4;
  /** The least default limit, for tiny heaps. */
  static final long MIN_DEFAULT_BYTES = 16L << 20;

  private final long limit;
  private final long lowWater;
  private final AtomicLong used = new AtomicLong();
  private final Runnable onRelief;

  MemoryBudget(long limit, Runnable onRelief) {
    if (limit < 1) {
      throw new IllegalArgumentException("memory budget must be >= 1 byte: " + limit);
    }
    this.limit = limit;
    this.lowWater = limit - limit / 8;
    this.onRelief = onRelief;
  }

  /** A quarter of the maximum heap ({@code -Xmx}), at least 16 MiB. */
  static long defaultLimit() {
    return Math.max(MIN_DEFAULT_BYTES, Runtime.getRuntime().maxMemory() / DEFAULT_HEAP_DIVISOR);
  }

  long limit() {
    return limit;
  }

  long used() {
    return used.get();
  }

  /** Whether the count has reached the limit: the owner stops admitting and reading. */
  boolean exhausted() {
    return used.get() >= limit;
  }

  /** Whether the count is below the low-water mark (seven eighths of the limit). */
  boolean relieved() {
    return used.get() < lowWater;
  }

  /** Counts bytes that are in memory already (or, negative, that are no longer). */
  void add(long bytes) {
    if (bytes < 0) {
      release(-bytes);
    } else if (bytes > 0) {
      used.addAndGet(bytes);
    }
  }

  /** Counts {@code bytes} if they fit under the limit; false (nothing counted) if not. */
  boolean tryAcquire(long bytes) {
    while (true) {
      long u = used.get();
      if (u + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  /** Uncounts bytes; runs {@code onRelief} if this brings the count below the low-water mark. */
  void release(long bytes) {
    if (bytes <= 0) {
      return;
    }
    long after = used.addAndGet(-bytes);
    if (after < lowWater && after + bytes >= lowWater) {
      onRelief.run();
    }
  }
}
