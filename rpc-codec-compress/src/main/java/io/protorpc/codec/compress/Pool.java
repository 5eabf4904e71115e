package io.protorpc.codec.compress;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A small, bounded, lock-free pool of expensive reusable objects (native compression contexts,
 * {@link java.util.zip.Deflater}s). {@link #take} hands out an idle object or makes a new one; {@link
 * #give} keeps it for the next caller unless {@code capacity} objects are already idle, in which
 * case it is released at once. So memory stays bounded by the peak concurrency plus {@code
 * capacity}, whatever kind of thread calls (a ThreadLocal would keep one per virtual thread).
 *
 * <p>An object whose last use failed part way may be in an unknown state: pass it to {@link
 * #discard}, never back to {@link #give}.
 */
final class Pool<T> {
  /** Idle objects kept per pool: enough for every core to have one in use and one spare. */
  static final int DEFAULT_CAPACITY = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

  private final ConcurrentLinkedQueue<T> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();
  private final int capacity;
  private final Supplier<? extends T> factory;
  private final Consumer<? super T> release;

  Pool(int capacity, Supplier<? extends T> factory, Consumer<? super T> release) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0");
    }
    this.capacity = capacity;
    this.factory = Objects.requireNonNull(factory, "factory");
    this.release = Objects.requireNonNull(release, "release");
  }

  /** An idle object, or a new one when none is idle. */
  T take() {
    T t = idle.poll();
    if (t != null) {
      idleCount.decrementAndGet();
      return t;
    }
    return factory.get();
  }

  /** Returns an object in a reusable state; released instead when the pool is full. */
  void give(T t) {
    if (idleCount.incrementAndGet() <= capacity) {
      idle.offer(t);
    } else {
      idleCount.decrementAndGet();
      release.accept(t);
    }
  }

  /** Releases an object that must not be reused. */
  void discard(T t) {
    release.accept(t);
  }

  /** Work done with a pooled object. */
  @FunctionalInterface
  interface Work<T, R> {
    R apply(T t) throws IOException;
  }

  /**
   * Runs {@code work} with a pooled object: given back when the work completes, discarded when it
   * throws (its state is then unknown).
   */
  <R> R use(Work<? super T, ? extends R> work) throws IOException {
    T t = take();
    boolean completed = false;
    try {
      R r = work.apply(t);
      completed = true;
      return r;
    } finally {
      if (completed) {
        give(t);
      } else {
        discard(t);
      }
    }
  }

  /** Releases every idle object (used when the owner becomes unreachable). */
  void drain() {
    for (T t; (t = idle.poll()) != null; ) {
      idleCount.decrementAndGet();
      release.accept(t);
    }
  }

  /** How many objects are idle now (for tests). */
  int idleCount() {
    return idleCount.get();
  }
}
