package io.protorpc;

import io.protorpc.spi.Threads;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The executor a client or server creates for itself when the user gives none: a virtual thread
 * per task on JDK 21+, else a bounded pool of daemon threads with a bounded queue. A user-supplied
 * executor is wrapped without being owned, so closing leaves it alone.
 */
final class OwnedExecutor implements Executor, AutoCloseable {
  /** Platform pool size and queue bound on JDKs without virtual threads. */
  static final int POOL_THREADS = 64;
  static final int POOL_QUEUE = 10_000;
  static final int POOL_KEEP_ALIVE_SECONDS = 5;

  private final Executor delegate;
  private final Runnable shutdown; // null unless we own a platform pool

  private OwnedExecutor(Executor delegate, Runnable shutdown) {
    this.delegate = delegate;
    this.shutdown = shutdown;
  }

  static OwnedExecutor wrap(Executor userExecutor) {
    return new OwnedExecutor(userExecutor, null);
  }

  /**
   * A default executor.
   *
   * @param runRejectedInline whether a task the full pool refuses runs on the caller (for
   *     completion callbacks, which must run exactly once) instead of throwing
   */
  static OwnedExecutor create(String threadPrefix, boolean runRejectedInline) {
    if (Threads.hasVirtualThreads()) {
      ThreadFactory f = Threads.virtualOrDaemon(threadPrefix);
      return new OwnedExecutor(r -> f.newThread(r).start(), null);
    }
    // Work goes to the thread idle last, so the ones idle longest are surplus to the load of the
    // moment: they may end soon, leaving the threads of a burst gone seconds after it.
    WarmPool p = new WarmPool(Threads.daemon(threadPrefix), POOL_THREADS, POOL_QUEUE,
        POOL_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS, runRejectedInline);
    return new OwnedExecutor(p, p::shutdown);
  }

  /**
   * An executor for tasks that may block on the network and whose number its owner bounds (one
   * writer per connection, one connect attempt, closes): a virtual thread per task on JDK 21+,
   * else daemon threads that are reused while idle and end 30 s after their last task.
   */
  static OwnedExecutor forBlockingIo(String threadPrefix) {
    if (Threads.hasVirtualThreads()) {
      return create(threadPrefix, false);
    }
    ThreadPoolExecutor p = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), Threads.daemon(threadPrefix));
    return new OwnedExecutor(p, p::shutdown);
  }

  @Override
  public void execute(Runnable task) {
    delegate.execute(task);
  }

  /** Lets queued tasks finish but takes no new ones; returns at once. */
  @Override
  public void close() {
    if (shutdown != null) {
      shutdown.run();
    }
  }
}
