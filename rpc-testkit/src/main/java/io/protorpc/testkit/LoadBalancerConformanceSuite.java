package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.InProcessAddress;
import io.protorpc.PluginRegistry;
import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link LoadBalancer} must do, with {@link FakeBackend}s and no client: be found by
 * its name; pick only READY backends of the list it is given, and one whenever any is READY; ask
 * for a connection when none is; follow the list as it changes; and stay correct under
 * concurrent picks while states change.
 *
 * <p>Extend it and implement {@link #loadBalancer()}. Spreading calls is each policy's own
 * business and not checked here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class LoadBalancerConformanceSuite {

  /** The balancer under test. */
  protected abstract LoadBalancer loadBalancer();

  private static List<FakeBackend> backends(Backend.State... states) {
    List<FakeBackend> list = new ArrayList<>();
    for (int i = 0; i < states.length; i++) {
      list.add(new FakeBackend(new InProcessAddress("backend-" + i), states[i]));
    }
    return list;
  }

  @Test
  void isFoundByItsName() {
    LoadBalancer lb = loadBalancer();
    assertEquals(lb.getClass(), PluginRegistry.find(LoadBalancer.class, lb.name()).getClass(),
        "declare the provider in module-info.java and META-INF/services");
    assertTrue(lb.name().equals(lb.name().toLowerCase(java.util.Locale.ROOT)), lb.name());
  }

  @Test
  void picksOnlyReadyBackendsAndOneWheneverAnyIsReady() {
    Random random = new Random(42);
    Backend.State[] all = Backend.State.values();
    LoadBalancer.Picker picker = loadBalancer().newPicker();
    for (int round = 0; round < 2_000; round++) {
      Backend.State[] states = new Backend.State[1 + random.nextInt(8)];
      for (int i = 0; i < states.length; i++) {
        states[i] = all[random.nextInt(all.length)];
      }
      List<FakeBackend> list = backends(states);
      boolean anyReady = list.stream().anyMatch(b -> b.state() == Backend.State.READY);
      for (int call = 0; call < 5; call++) {
        Backend picked = picker.pick(list);
        if (anyReady) {
          assertNotNull(picked, () -> "nothing picked from " + list);
          assertTrue(list.contains(picked), () -> picked + " is not in " + list);
          assertEquals(Backend.State.READY, picked.state(), () -> "picked " + picked);
        } else {
          assertNull(picked, () -> "picked " + picked + " though none is READY");
        }
      }
    }
  }

  @Test
  void asksForAConnectionWhenNoneIsReady() {
    List<FakeBackend> list = backends(Backend.State.IDLE, Backend.State.IDLE,
        Backend.State.IDLE);
    assertNull(loadBalancer().newPicker().pick(list));
    assertTrue(list.stream().anyMatch(b -> b.connectionRequests() > 0),
        "no backend was asked to connect: the client would wait for nothing");
  }

  @Test
  void followsTheListAsItChanges() {
    LoadBalancer.Picker picker = loadBalancer().newPicker();
    List<FakeBackend> first = backends(Backend.State.READY, Backend.State.READY);
    for (int i = 0; i < 10; i++) {
      assertNotNull(picker.pick(first));
    }
    FakeBackend replacement = new FakeBackend(new InProcessAddress("replacement"),
        Backend.State.READY);
    for (int i = 0; i < 10; i++) {
      assertSame(replacement, picker.pick(List.of(replacement)),
          "a backend no longer resolved was picked");
    }
    first.get(0).state(Backend.State.TRANSIENT_FAILURE);
    for (int i = 0; i < 10; i++) {
      assertSame(first.get(1), picker.pick(first), "picked a backend that failed");
    }
  }

  @Test
  void concurrentPicksStayCorrectWhileStatesChange() throws Exception {
    LoadBalancer.Picker picker = loadBalancer().newPicker();
    List<FakeBackend> list = backends(Backend.State.READY, Backend.State.READY,
        Backend.State.READY, Backend.State.READY);
    FakeBackend steady = list.get(0); // always READY, so a pick is always possible
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    Thread flipper = new Thread(() -> {
      Random random = new Random(7);
      Backend.State[] all = Backend.State.values();
      for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
        FakeBackend b = list.get(1 + random.nextInt(list.size() - 1));
        b.state(all[random.nextInt(all.length)]);
        b.callsInFlight(random.nextInt(100));
      }
    }, "testkit-state-flipper");
    int threads = 8;
    CountDownLatch done = new CountDownLatch(threads);
    List<Thread> pickers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread p = new Thread(() -> {
        try {
          for (int i = 0; i < 20_000; i++) {
            Backend b = picker.pick(list);
            if (b == null || !list.contains(b)) {
              wrong.add("picked " + b + " with " + steady + " READY");
            }
          }
        } catch (RuntimeException e) {
          wrong.add("pick threw " + e);
        } finally {
          done.countDown();
        }
      }, "testkit-picker-" + t);
      pickers.add(p);
    }
    flipper.start();
    pickers.forEach(Thread::start);
    boolean finished = done.await(30, TimeUnit.SECONDS);
    stop.set(true);
    flipper.join(5_000);
    assertTrue(finished, "picks did not finish");
    assertTrue(wrong.isEmpty(), () -> wrong.size() + " wrong picks, e.g. " + wrong.peek());
  }
}
