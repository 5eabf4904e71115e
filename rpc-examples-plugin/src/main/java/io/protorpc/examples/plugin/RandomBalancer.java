package io.protorpc.examples.plugin;

import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An example third-party load-balancing policy, {@code random}: each call to a READY backend
 * drawn uniformly at random. Found by name ({@code PluginRegistry.find(LoadBalancer.class,
 * "random")}) like the built-in ones, and tested by the testkit's {@code
 * LoadBalancerConformanceSuite}.
 */
public final class RandomBalancer implements LoadBalancer {
  /** The name this policy is looked up by. */
  public static final String NAME = "random";

  /** ServiceLoader needs a public no-argument constructor. */
  public RandomBalancer() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker newPicker() {
    return RandomBalancer::pick; // stateless: one picker would do for every client
  }

  private static Backend pick(List<? extends Backend> backends) {
    int ready = 0;
    for (Backend b : backends) {
      if (b.state() == Backend.State.READY) {
        ready++;
      } else {
        b.requestConnection(); // connects IDLE backends; a no-op for the others
      }
    }
    if (ready == 0) {
      return null;
    }
    int k = ThreadLocalRandom.current().nextInt(ready);
    Backend fallback = null;
    for (Backend b : backends) {
      if (b.state() == Backend.State.READY) {
        fallback = b;
        if (k-- == 0) {
          return b;
        }
      }
    }
    return fallback; // states moved since the count: the last READY one seen
  }
}
