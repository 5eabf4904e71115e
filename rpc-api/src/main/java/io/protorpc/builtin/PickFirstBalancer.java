package io.protorpc.builtin;

import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code pick_first}: every call to one backend, the first READY in the resolver's order, kept
 * while it stays READY (so calls do not move back and forth as earlier ones come and go). Only
 * one backend is asked to connect at a time: the first IDLE one, in order, when none is READY or
 * connecting.
 */
public final class PickFirstBalancer implements LoadBalancer {
  /** The name this policy is looked up by. */
  public static final String NAME = "pick_first";

  /** ServiceLoader needs a public no-argument constructor. */
  public PickFirstBalancer() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker newPicker() {
    AtomicReference<Backend> current = new AtomicReference<>();
    return backends -> {
      Backend c = current.get();
      if (c != null && c.state() == Backend.State.READY && backends.contains(c)) {
        return c;
      }
      Backend first = ReadyBackends.nth(backends, 0);
      if (first != null) {
        current.set(first);
        return first;
      }
      connectNext(backends);
      return null;
    };
  }

  private static void connectNext(List<? extends Backend> backends) {
    for (Backend b : backends) {
      Backend.State s = b.state();
      if (s == Backend.State.CONNECTING) {
        return; // one attempt at a time
      }
      if (s == Backend.State.IDLE) {
        b.requestConnection();
        return;
      }
    }
  }
}
