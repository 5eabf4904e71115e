package io.protorpc.balancer;

import io.protorpc.spi.Plugin;
import java.util.List;

/**
 * A load-balancing policy, found by its {@link #name()} ({@code "round_robin"}, say) through
 * {@link io.protorpc.PluginRegistry}. The plugin itself is a stateless factory shared by every
 * client: each client gets its own {@link Picker} from {@link #newPicker()}.
 *
 * <p>Declare it like any plugin: {@code provides io.protorpc.balancer.LoadBalancer with ...} in
 * {@code module-info.java} and a line in {@code
 * META-INF/services/io.protorpc.balancer.LoadBalancer}.
 */
public interface LoadBalancer extends Plugin {

  /** A picker for one client, used by that client only (but from many threads). */
  Picker newPicker();

  /** Chooses the backend of each call for one client. Thread-safe; never blocks. */
  @FunctionalInterface
  interface Picker {
    /**
     * The backend that takes the next call, among {@code backends}: one of them in state {@link
     * Backend.State#READY}, or null when none should take it now (the call then waits for a
     * backend or fails, as its wait-for-ready setting says). Returns a backend whenever at least
     * one is READY. When none is, it should {@linkplain Backend#requestConnection() ask} an
     * {@link Backend.State#IDLE} one to connect, or the client may wait for nothing.
     *
     * <p>Called on the caller's thread for every call, concurrently: keep it cheap.
     *
     * @param backends the client's backends now, in the resolver's order; never empty, and may
     *     differ from one call to the next as resolution changes them
     */
    Backend pick(List<? extends Backend> backends);
  }
}
