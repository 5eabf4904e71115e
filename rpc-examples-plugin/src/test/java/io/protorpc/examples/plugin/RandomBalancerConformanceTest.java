package io.protorpc.examples.plugin;

import io.protorpc.balancer.LoadBalancer;
import io.protorpc.testkit.LoadBalancerConformanceSuite;

/** The example third-party balancer passes the same suite as the built-in ones. */
class RandomBalancerConformanceTest extends LoadBalancerConformanceSuite {
  @Override
  protected LoadBalancer loadBalancer() {
    return new RandomBalancer();
  }
}
