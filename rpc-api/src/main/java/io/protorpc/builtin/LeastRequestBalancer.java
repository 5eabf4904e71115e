package io.protorpc.builtin;

import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code least_request}: of two READY backends chosen at random, the one with fewer calls in
 * flight (the "power of two choices"): a slow backend, whose calls pile up, gets fewer new ones,
 * without the herd that always choosing the global minimum would cause. Every backend is asked to
 * connect.
 */
public final class LeastRequestBalancer implements LoadBalancer {
  /** The name this policy is looked up by. */
  public static final String NAME = "least_request";

  /** ServiceLoader needs a public no-argument constructor. */
  public LeastRequestBalancer() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker newPicker() {
    return backends -> {
      int ready = ReadyBackends.count(backends);
      if (ready < backends.size()) {
        ReadyBackends.connectIdle(backends);
      }
      if (ready == 0) {
        return null;
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int i = random.nextInt(ready);
      Backend a = ReadyBackends.nth(backends, i);
      if (ready == 1) {
        return a;
      }
      int j = random.nextInt(ready - 1); // a second choice, distinct from the first
      Backend b = ReadyBackends.nth(backends, j >= i ? j + 1 : j);
      if (a == null || b == null) { // states moved between the passes
        return a != null ? a : b != null ? b : ReadyBackends.nth(backends, 0);
      }
      return b.callsInFlight() < a.callsInFlight() ? b : a;
    };
  }
}
