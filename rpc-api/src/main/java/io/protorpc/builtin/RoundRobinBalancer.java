package io.protorpc.builtin;

import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code round_robin}: calls go to the READY backends in turn, so each of n takes 1/n of them.
 * Every backend is asked to connect.
 */
public final class RoundRobinBalancer implements LoadBalancer {
  /** The name this policy is looked up by. */
  public static final String NAME = "round_robin";

  /** ServiceLoader needs a public no-argument constructor. */
  public RoundRobinBalancer() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker newPicker() {
    AtomicInteger next = new AtomicInteger();
    return backends -> {
      int ready = ReadyBackends.count(backends);
      if (ready == 0) {
        ReadyBackends.connectIdle(backends);
        return null;
      }
      if (ready < backends.size()) {
        ReadyBackends.connectIdle(backends);
      }
      Backend b = ReadyBackends.nth(backends, Math.floorMod(next.getAndIncrement(), ready));
      return b != null ? b : ReadyBackends.nth(backends, 0); // states moved between the passes
    };
  }
}
