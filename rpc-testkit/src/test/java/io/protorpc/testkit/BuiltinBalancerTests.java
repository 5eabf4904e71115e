package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.InProcessAddress;
import io.protorpc.PluginNotFoundException;
import io.protorpc.PluginRegistry;
import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The built-in balancers: the conformance suite, then what each policy promises of its own. */
class BuiltinBalancerTests {

  @Nested
  class PickFirstConformance extends LoadBalancerConformanceSuite {
    @Override
    protected LoadBalancer loadBalancer() {
      return PluginRegistry.find(LoadBalancer.class, "pick_first");
    }
  }

  @Nested
  class RoundRobinConformance extends LoadBalancerConformanceSuite {
    @Override
    protected LoadBalancer loadBalancer() {
      return PluginRegistry.find(LoadBalancer.class, "round_robin");
    }
  }

  @Nested
  class LeastRequestConformance extends LoadBalancerConformanceSuite {
    @Override
    protected LoadBalancer loadBalancer() {
      return PluginRegistry.find(LoadBalancer.class, "least_request");
    }
  }

  private static LoadBalancer.Picker picker(String policy) {
    return PluginRegistry.find(LoadBalancer.class, policy).newPicker();
  }

  private static FakeBackend backend(String name, Backend.State state) {
    return new FakeBackend(new InProcessAddress(name), state);
  }

  private static Map<Backend, Integer> spread(LoadBalancer.Picker picker,
      List<FakeBackend> backends, int picks) {
    Map<Backend, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(picker.pick(backends), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinTakesTurnsAmongReadyBackendsOnly() {
    FakeBackend a = backend("a", Backend.State.READY);
    FakeBackend b = backend("b", Backend.State.READY);
    FakeBackend c = backend("c", Backend.State.READY);
    LoadBalancer.Picker picker = picker("round_robin");
    Map<Backend, Integer> even = spread(picker, List.of(a, b, c), 3_000);
    assertEquals(Map.of(a, 1_000, b, 1_000, c, 1_000), even);
    b.state(Backend.State.NOT_SERVING);
    Map<Backend, Integer> without = spread(picker, List.of(a, b, c), 3_000);
    assertEquals(Map.of(a, 1_500, c, 1_500), without, "a NOT_SERVING backend took calls");
  }

  @Test
  void leastRequestSendsNothingToTheOneBackendWithCallsPiledUp() {
    FakeBackend slow = backend("slow", Backend.State.READY).callsInFlight(50);
    FakeBackend fast1 = backend("fast1", Backend.State.READY).callsInFlight(1);
    FakeBackend fast2 = backend("fast2", Backend.State.READY).callsInFlight(2);
    Map<Backend, Integer> counts =
        spread(picker("least_request"), List.of(slow, fast1, fast2), 3_000);
    // two distinct choices always include a fast backend, which always wins against the slow one
    assertEquals(null, counts.get(slow), () -> "the slow backend took " + counts.get(slow));
    // fast1 beats fast2 whenever both are drawn (1/3 of draws), and wins its draws against slow
    assertTrue(counts.get(fast1) > counts.get(fast2), counts::toString);
  }

  @Test
  void leastRequestSpreadsEvenlyAmongEqualBackends() {
    List<FakeBackend> equal = List.of(backend("a", Backend.State.READY),
        backend("b", Backend.State.READY), backend("c", Backend.State.READY));
    Map<Backend, Integer> counts = spread(picker("least_request"), equal, 30_000);
    for (FakeBackend b : equal) {
      int n = counts.get(b);
      // ties go to the first choice, a uniform draw: each about 10,000 (binomial sd ~82)
      assertTrue(n > 9_000 && n < 11_000, () -> b + " took " + n);
    }
  }

  @Test
  void pickFirstKeepsItsBackendWhileItStaysReady() {
    FakeBackend a = backend("a", Backend.State.READY);
    FakeBackend b = backend("b", Backend.State.READY);
    LoadBalancer.Picker picker = picker("pick_first");
    assertSame(a, picker.pick(List.of(a, b)));
    a.state(Backend.State.TRANSIENT_FAILURE);
    assertSame(b, picker.pick(List.of(a, b)));
    a.state(Backend.State.READY);
    assertSame(b, picker.pick(List.of(a, b)), "moved back though b is fine");
  }

  @Test
  void pickFirstConnectsOneBackendAtATimeInOrder() {
    FakeBackend a = backend("a", Backend.State.TRANSIENT_FAILURE);
    FakeBackend b = backend("b", Backend.State.IDLE);
    FakeBackend c = backend("c", Backend.State.IDLE);
    LoadBalancer.Picker picker = picker("pick_first");
    assertEquals(null, picker.pick(List.of(a, b, c)));
    assertEquals(Backend.State.CONNECTING, b.state());
    assertEquals(null, picker.pick(List.of(a, b, c)));
    assertEquals(0, c.connectionRequests(), "asked c while b was still connecting");
  }

  @Test
  void anUnknownPolicyIsRefusedWithTheInstalledNames() {
    PluginNotFoundException e = assertThrows(PluginNotFoundException.class,
        () -> PluginRegistry.find(LoadBalancer.class, "weighted"));
    assertTrue(e.getMessage().contains("no LoadBalancer named 'weighted' found (found: "
        + "least_request, pick_first, round_robin)"), e.getMessage());
  }
}
