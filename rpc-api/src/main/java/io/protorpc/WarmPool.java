package io.protorpc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The default handler and callback pool on JDKs without virtual threads: at most {@code
 * maxThreads} threads and {@code maxQueued} tasks waiting, built for a cheap hand-off.
 *
 * <ul>
 *   <li>A task goes to the thread that went idle <em>last</em>: its CPU is likely still awake and
 *       its cache warm. (A {@code ThreadPoolExecutor} wakes the one idle longest, and below its
 *       core size starts a new thread per task even when others are idle; on a latency-bound call
 *       that was most of the default path's cost, docs/benchmarks.md.)
 *   <li>A thread that finishes a task takes the next queued one without sleeping, and a thread is
 *       woken or started only when none is idle-and-available: under load, tasks are batched onto
 *       the threads already running instead of waking one per task.
 *   <li>Threads idle for {@code keepAlive} end, each on its own timer.
 * </ul>
 *
 * <p>{@code ForkJoinPool} hands over the same way but starts a thread whenever none is idle, up to
 * its parallelism (which must be the thread bound here, for handlers that block), and retires
 * idle threads one keep-alive period at a time. Thread-safe.
 */
final class WarmPool implements Executor {
  private final ThreadFactory threads;
  private final int maxThreads;
  private final int maxQueued;
  private final long keepAliveNanos;
  private final boolean runRejectedInline;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Parked workers, the last to park first. */
  private final ConcurrentLinkedDeque<Waiter> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger live = new AtomicInteger();
  /**
   * Workers woken or started to look for queued tasks that have not looked yet. While one is on
   * its way, a new task wakes nobody: that worker takes a task and, if more wait, wakes the next.
   */
  private final AtomicInteger searching = new AtomicInteger();
  private volatile boolean shutdown;

  /**
   * @param runRejectedInline whether a task refused (queue full, or shut down) runs on the caller
   *     instead of throwing {@link RejectedExecutionException}
   */
  WarmPool(ThreadFactory threads, int maxThreads, int maxQueued, long keepAlive, TimeUnit unit,
      boolean runRejectedInline) {
    this.threads = threads;
    this.maxThreads = maxThreads;
    this.maxQueued = maxQueued;
    this.keepAliveNanos = unit.toNanos(keepAlive);
    this.runRejectedInline = runRejectedInline;
  }

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      reject(task, "shut down");
      return;
    }
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      reject(task, "more than " + maxQueued + " tasks wait");
      return;
    }
    tasks.add(task);
    // offer, then count searchers; a searcher stops counting, then looks for tasks before it
    // parks: one of the two sees the other, so no task is left with every worker parked
    if (searching.get() > 0) {
      return;
    }
    try {
      signalWork();
    } catch (RuntimeException | OutOfMemoryError e) {
      // no thread could be made: if none is left to take the task either, it is refused
      if (live.get() == 0 && tasks.remove(task)) {
        queued.decrementAndGet();
        if (!runRejectedInline) {
          throw e;
        }
        task.run();
      }
    }
  }

  /**
   * Wakes the worker idle last, or starts one below the bound, to look for queued tasks; at the
   * bound, the first busy worker to finish takes them.
   */
  private void signalWork() {
    searching.incrementAndGet();
    Waiter w = idle.pollFirst();
    if (w != null) {
      w.wake();
      return;
    }
    boolean started = false;
    try {
      started = tryStartWorker();
    } finally {
      if (!started) {
        searching.decrementAndGet();
      }
    }
  }

  private void reject(Runnable task, String why) {
    if (!runRejectedInline) {
      throw new RejectedExecutionException(why);
    }
    task.run();
  }

  /** Starts a worker unless there are already {@code maxThreads}; false if there are. */
  private boolean tryStartWorker() {
    if (!countInThread()) {
      return false;
    }
    Worker w = new Worker();
    try {
      Thread t = threads.newThread(w);
      if (t == null) {
        throw new RejectedExecutionException("the thread factory made no thread");
      }
      w.thread = t;
      t.start();
      return true;
    } catch (RuntimeException | OutOfMemoryError e) {
      live.decrementAndGet();
      throw e;
    }
  }

  /** Counts one more live thread unless there are already {@code maxThreads}. */
  private boolean countInThread() {
    int n;
    do {
      n = live.get();
      if (n >= maxThreads) {
        return false;
      }
    } while (!live.compareAndSet(n, n + 1));
    return true;
  }

  /** Takes no new tasks; queued ones still run; idle threads end. Returns at once. */
  void shutdown() {
    shutdown = true;
    Waiter w;
    while ((w = idle.pollFirst()) != null) {
      searching.incrementAndGet(); // as a producer would: the worker uncounts itself on waking
      w.wake();
    }
  }

  /** One parking of a worker: whoever takes it off the idle stack wakes it. */
  private static final class Waiter {
    final Thread thread = Thread.currentThread();
    volatile boolean woken;

    void wake() {
      woken = true;
      LockSupport.unpark(thread);
    }
  }

  private static final int END = 0;
  private static final int LOOK = 1;
  private static final int WOKEN = 2;

  private final class Worker implements Runnable {
    volatile Thread thread;

    @Override
    public void run() {
      boolean searcher = true; // started to look for work, counted in searching
      while (true) {
        Runnable t = tasks.poll();
        if (searcher) {
          searcher = false;
          if (searching.decrementAndGet() == 0 && t != null && !tasks.isEmpty()) {
            try {
              signalWork(); // more wait: the next worker looks while this one runs its task
            } catch (RuntimeException | OutOfMemoryError noThread) {
              // this worker takes them after its own task
            }
          }
        }
        if (t != null) {
          queued.decrementAndGet();
          runTask(t);
          continue;
        }
        int next = shutdown ? END : awaitTask();
        if (next == END) {
          live.decrementAndGet();
          // a task offered while this worker was leaving, with every other one busy or gone
          if (tasks.isEmpty() || shutdown && live.get() > 0 || !restart()) {
            return;
          }
        }
        searcher = next == WOKEN;
      }
    }

    /** Counts this worker in again after it decided to end; false if the pool is full. */
    private boolean restart() {
      return countInThread();
    }

    /**
     * Parks until given work or the keep-alive passes. {@link #WOKEN}: a producer took it off the
     * idle stack and counted it as searching; {@link #LOOK}: tasks came while it was going idle;
     * {@link #END}: idle too long, or shut down.
     */
    private int awaitTask() {
      Waiter me = new Waiter();
      idle.addFirst(me);
      if (!tasks.isEmpty() || shutdown) {
        // a task came (or the pool closed) before a producer could see this worker idle
        if (!idle.remove(me)) {
          return WOKEN; // a producer took it off the stack meanwhile and counts on it
        }
        return !shutdown || !tasks.isEmpty() ? LOOK : END;
      }
      long deadline = System.nanoTime() + keepAliveNanos;
      while (!me.woken) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          // idle too long: end, unless a producer took it off the stack just now
          return idle.remove(me) ? END : WOKEN;
        }
        LockSupport.parkNanos(WarmPool.this, left);
      }
      return WOKEN;
    }

    private void runTask(Runnable t) {
      try {
        t.run();
      } catch (RuntimeException | Error e) {
        Thread.UncaughtExceptionHandler h = Thread.currentThread().getUncaughtExceptionHandler();
        if (h != null) {
          h.uncaughtException(Thread.currentThread(), e);
        }
      } finally {
        Thread.interrupted(); // a task's interrupt must not reach the next one
      }
    }
  }
}
