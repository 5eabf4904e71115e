package io.protorpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.Threads;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The default pool on JDK 17: every task once, its bounds, and which thread gets a task. */
class WarmPoolTest {
  private final List<WarmPool> pools = new CopyOnWriteArrayList<>();

  private WarmPool pool(int threads, int queue, long keepAliveMillis, boolean inline) {
    WarmPool p = new WarmPool(Threads.daemon("warm-pool-test"), threads, queue, keepAliveMillis,
        TimeUnit.MILLISECONDS, inline);
    pools.add(p);
    return p;
  }

  @AfterEach
  void shutDown() {
    pools.forEach(WarmPool::shutdown);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
      Thread.sleep(1);
    }
  }

  private static boolean parked(Thread t) {
    return t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
  }

  @Test
  void everyTaskRunsExactlyOnceOnAtMostTheThreadBound() throws Exception {
    WarmPool p = pool(4, 100_000, 30_000, false);
    int producers = 4;
    int each = 5_000;
    AtomicInteger ran = new AtomicInteger();
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch done = new CountDownLatch(producers * each);
    Thread[] feeders = new Thread[producers];
    for (int i = 0; i < producers; i++) {
      feeders[i] = new Thread(() -> {
        for (int j = 0; j < each; j++) {
          p.execute(() -> {
            threads.add(Thread.currentThread());
            ran.incrementAndGet();
            done.countDown();
          });
        }
      });
      feeders[i].start();
    }
    assertTrue(done.await(20, TimeUnit.SECONDS), () -> "only " + ran.get() + " tasks ran");
    for (Thread f : feeders) {
      f.join(10_000);
    }
    Thread.sleep(50);
    assertEquals(producers * each, ran.get());
    assertTrue(threads.size() <= 4, () -> threads.size() + " threads");
  }

  @Test
  void theThreadThatWentIdleLastGetsTheNextTask() throws Exception {
    WarmPool p = pool(4, 100, 30_000, false);
    CountDownLatch first = new CountDownLatch(1);
    CountDownLatch second = new CountDownLatch(1);
    AtomicReference<Thread> a = new AtomicReference<>();
    AtomicReference<Thread> b = new AtomicReference<>();
    CountDownLatch aDone = new CountDownLatch(1);
    CountDownLatch bDone = new CountDownLatch(1);
    p.execute(() -> {
      a.set(Thread.currentThread());
      awaitQuietly(first);
      aDone.countDown();
    });
    p.execute(() -> {
      b.set(Thread.currentThread());
      awaitQuietly(second);
      bDone.countDown();
    });
    await(() -> a.get() != null && b.get() != null, "two tasks on two threads");
    first.countDown();
    // finished its task and parked: the only park after a task is the pool's idle wait
    await(() -> aDone.getCount() == 0 && parked(a.get()), "the first thread idle");
    second.countDown();
    await(() -> bDone.getCount() == 0 && parked(b.get()), "the second thread idle");
    AtomicReference<Thread> next = new AtomicReference<>();
    p.execute(() -> next.set(Thread.currentThread()));
    await(() -> next.get() != null, "the next task");
    assertSame(b.get(), next.get(), "not the thread idle last");
  }

  @Test
  void aFullQueueRefusesOrRunsTheTaskOnTheCallerAsAsked() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    for (boolean inline : new boolean[] {false, true}) {
      WarmPool p = pool(1, 2, 30_000, inline);
      AtomicInteger ran = new AtomicInteger();
      CountDownLatch busy = new CountDownLatch(1);
      p.execute(() -> {
        busy.countDown();
        awaitQuietly(release);
      });
      assertTrue(busy.await(10, TimeUnit.SECONDS), "the one thread is busy");
      p.execute(ran::incrementAndGet);
      p.execute(ran::incrementAndGet); // the queue is full now
      Runnable third = () -> ran.addAndGet(100);
      if (inline) {
        p.execute(third);
        assertEquals(100, ran.get(), "the refused task ran on the caller");
      } else {
        assertThrows(RejectedExecutionException.class, () -> p.execute(third));
        assertEquals(0, ran.get());
      }
    }
    release.countDown();
  }

  @Test
  void idleThreadsEndAfterTheKeepAliveAndComeBackForNewWork() throws Exception {
    WarmPool p = pool(2, 100, 100, false);
    AtomicReference<Thread> t = new AtomicReference<>();
    p.execute(() -> t.set(Thread.currentThread()));
    await(() -> t.get() != null, "the task");
    t.get().join(10_000);
    assertFalse(t.get().isAlive(), "an idle thread outlived its keep-alive");
    CountDownLatch again = new CountDownLatch(1);
    p.execute(again::countDown);
    assertTrue(again.await(10, TimeUnit.SECONDS), "no thread for work after the idle ones ended");
  }

  @Test
  void shutdownRunsWhatIsQueuedRefusesNewWorkAndEndsItsThreads() throws Exception {
    WarmPool p = pool(1, 100, 30_000, false);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> t = new AtomicReference<>();
    AtomicInteger ran = new AtomicInteger();
    p.execute(() -> {
      t.set(Thread.currentThread());
      awaitQuietly(release);
    });
    p.execute(ran::incrementAndGet);
    await(() -> t.get() != null, "the first task");
    p.shutdown();
    assertThrows(RejectedExecutionException.class, () -> p.execute(ran::incrementAndGet));
    release.countDown();
    t.get().join(10_000);
    assertFalse(t.get().isAlive(), "a thread outlived the shutdown");
    assertEquals(1, ran.get(), "the task queued before the shutdown did not run");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
