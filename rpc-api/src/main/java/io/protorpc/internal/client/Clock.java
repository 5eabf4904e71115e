package io.protorpc.internal.client;

/**
 * Time as the client core sees it: a monotonic clock and one-shot timers. The core never sleeps
 * and never reads {@code System.nanoTime()} itself, so its unit tests drive it with a fake clock.
 *
 * <p>Timer tasks must only change state (complete a call, move a connection holder to its next
 * state, hand work to an executor): a task that blocks delays every other timer of the client.
 */
public interface Clock {

  /** Monotonic nanoseconds, comparable only with other readings of this clock. */
  long nanoTime();

  /**
   * Runs {@code task} once, {@code delayNanos} from now (at once if not positive), on the clock's
   * timer thread. After the clock is shut down, the task is dropped and the returned timer is
   * already cancelled.
   */
  Timer schedule(Runnable task, long delayNanos);

  /** A scheduled task. */
  @FunctionalInterface
  interface Timer {
    /** Cancels the task if it has not run yet; idempotent. */
    void cancel();
  }
}
