package io.protorpc.benchmarks.rpc;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded window of outstanding async calls: at most {@code size} in flight. The benchmarks keep
 * it full across iterations and drain it only when the trial ends: an iteration that starts and
 * ends with the window full counts exactly as many starts as completions, whereas one that starts
 * empty would count {@code size} calls it did not complete (about 6% of 1 MiB calls in 1 s). So
 * the first iteration of a trial, which fills the window, must be a warm-up iteration.
 */
public final class Window {
  private final int size;
  private final Semaphore slots;
  private final AtomicLong failures = new AtomicLong();

  public Window(int size) {
    this.size = size;
    this.slots = new Semaphore(size);
  }

  /** Waits for a free slot. */
  public void acquire() throws InterruptedException {
    slots.acquire();
  }

  /** Frees a slot when a call completes; {@code ok} false counts a failed call. */
  public void release(boolean ok) {
    if (!ok) {
      failures.incrementAndGet();
    }
    slots.release();
  }

  /** Fails if any call failed since the last check (or drain). */
  public void checkNoFailures() {
    long failed = failures.getAndSet(0);
    if (failed > 0) {
      throw new IllegalStateException(failed + " calls failed");
    }
  }

  /** Waits until every call in flight has completed; fails if any call failed. */
  public void drain() throws InterruptedException {
    if (!slots.tryAcquire(size, 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("calls still in flight after 60 s");
    }
    slots.release(size);
    checkNoFailures();
  }
}
