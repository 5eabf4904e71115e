/**
 * Load balancing: which of a client's servers takes each call. A {@link
 * io.protorpc.balancer.LoadBalancer} plugin, found by policy name through {@link
 * io.protorpc.PluginRegistry}, gives each client a {@link io.protorpc.balancer.LoadBalancer.Picker}
 * that sees the client's servers as {@link io.protorpc.balancer.Backend}s — an address, a state
 * and a count of calls in flight — and picks one per call. Built in: {@code pick_first}, {@code
 * round_robin} and {@code least_request}.
 *
 * <p>Balancers see nothing of connections or calls beyond that small view, so a balancer is
 * tested with fake backends alone (the testkit's {@code LoadBalancerConformanceSuite} does).
 * docs/load-balancing.md has the whole picture.
 */
package io.protorpc.balancer;
