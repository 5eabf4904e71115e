package io.protorpc.internal.client;

import io.protorpc.spi.Threads;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The real {@link Clock}: {@code System.nanoTime()} and one daemon timer thread per client. */
public final class SystemClock implements Clock, AutoCloseable {
  private static final Timer CANCELLED = () -> { };

  private final ScheduledThreadPoolExecutor timer;

  public SystemClock(String threadName) {
    timer = new ScheduledThreadPoolExecutor(1, Threads.daemon(threadName));
    timer.setRemoveOnCancelPolicy(true); // cancelled deadlines must not pile up in the queue
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Timer schedule(Runnable task, long delayNanos) {
    try {
      Future<?> f = timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException shutDown) {
      return CANCELLED;
    }
  }

  /** The timer thread as an executor service, for connection liveness checks. */
  public ScheduledExecutorService scheduler() {
    return timer;
  }

  /** Stops the timer thread; pending tasks are dropped. */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
