package io.protorpc.transport.socket;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader threads of a listener's connections, kept for reuse. A connection's reader that
 * leaves to run a request's handler ({@link io.protorpc.spi.Connection#handOffReading}) first
 * reserves a thread here to take over the reading, so waking it overlaps the handler; when the
 * handler is done, the former reader waits here for the next such hand-off.
 *
 * <p>Warm: a reservation takes the thread that went idle <em>last</em>, and makes a new one only
 * when none is idle. Bounded: at most {@code maxIdle} threads wait, each at most {@code
 * keepAlive}, and the rest end at once. Busy threads are bounded by their work: one reader per
 * open connection plus the handlers the server lets run on former readers (counted in its
 * handler-thread bound). {@link #close()} ends the idle threads, and busy ones when their work is
 * done. Thread-safe.
 */
final class ReaderRelay {
  private static final Runnable NOTHING = () -> { };

  private final ThreadFactory threads;
  private final int maxIdle;
  private final long keepAliveNanos;
  /** Idle runners, the last to go idle first. */
  private final ConcurrentLinkedDeque<Runner> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger idleCount = new AtomicInteger();
  private volatile boolean closed;

  ReaderRelay(ThreadFactory threads, int maxIdle, long keepAlive, TimeUnit unit) {
    this.threads = threads;
    this.maxIdle = maxIdle;
    this.keepAliveNanos = unit.toNanos(keepAlive);
  }

  /**
   * A thread reserved for one job, given with {@link Runner#start} (or {@link Runner#release}):
   * the one idle last, else a new one. Null once closed.
   *
   * @throws RuntimeException or {@link OutOfMemoryError} if no thread can be made
   */
  Runner reserve() {
    if (closed) {
      return null;
    }
    Runner r = idle.pollFirst();
    if (r != null) {
      idleCount.decrementAndGet();
      return r;
    }
    r = new Runner();
    Thread t = threads.newThread(r);
    if (t == null) {
      throw new IllegalStateException("thread factory refused to create a reader thread");
    }
    r.thread = t;
    t.start();
    return r;
  }

  /** Takes no more reservations; idle threads end now, busy ones after their job. */
  void close() {
    closed = true;
    Runner r;
    while ((r = idle.pollFirst()) != null) {
      idleCount.decrementAndGet();
      r.release(); // it finds the relay closed and ends
    }
  }

  /** Idle threads now; for tests. */
  int idleThreads() {
    return idleCount.get();
  }

  /** One thread of the relay. Runs one job at a time; whoever reserved it gives the next. */
  final class Runner implements Runnable {
    private volatile Thread thread;
    private volatile Runnable job;

    /** Runs {@code job} on this reserved thread; never fails (it is already running). */
    void start(Runnable job) {
      this.job = job;
      LockSupport.unpark(thread);
    }

    /** Gives a reserved thread back unused. */
    void release() {
      start(NOTHING);
    }

    @Override
    public void run() {
      while (true) {
        Runnable j = job;
        while (j == null) {
          LockSupport.park(this);
          Thread.interrupted(); // nothing here is interruptible: do not let an interrupt spin us
          j = job;
        }
        job = null;
        runQuietly(j);
        if (!awaitReservation()) {
          return;
        }
      }
    }

    /**
     * Waits idle until reserved (true: a job follows) or until the keep-alive passes, the relay
     * closes or enough threads already wait (false: this thread ends).
     */
    private boolean awaitReservation() {
      if (closed || idleCount.incrementAndGet() > maxIdle) {
        idleCount.decrementAndGet();
        return false;
      }
      idle.addFirst(this);
      long deadline = System.nanoTime() + keepAliveNanos;
      while (job == null) {
        long left = deadline - System.nanoTime();
        // closed: close() may have drained the stack before this thread was on it
        if (left <= 0 || closed) {
          if (idle.remove(this)) {
            idleCount.decrementAndGet();
            return false;
          }
          // reserved just now: its job is coming
          while (job == null) {
            LockSupport.park(this);
            Thread.interrupted();
          }
          return true;
        }
        LockSupport.parkNanos(this, left);
        Thread.interrupted();
      }
      return true;
    }
  }

  /**
   * Runs a job; nothing it throws ends the thread (a reader's job reports its own failures to its
   * connection; a handler's are the core's to answer), and its interrupt does not reach what the
   * thread does next (a read, on a virtual thread, would close its socket).
   */
  static void runQuietly(Runnable job) {
    try {
      job.run();
    } catch (Throwable t) {
      try {
        Thread.UncaughtExceptionHandler h = Thread.currentThread().getUncaughtExceptionHandler();
        if (h != null) {
          h.uncaughtException(Thread.currentThread(), t);
        }
      } catch (Throwable ignored) {
        // the report failed too (out of memory, say): the thread goes on regardless
      }
    } finally {
      Thread.interrupted();
    }
  }
}
