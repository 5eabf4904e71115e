package io.protorpc.builtin;

import io.protorpc.balancer.Backend;
import java.util.List;

/**
 * Index arithmetic over the READY backends of a list, without building a list of them: a picker
 * runs for every call, so it allocates nothing.
 */
final class ReadyBackends {
  private ReadyBackends() {}

  static int count(List<? extends Backend> backends) {
    int n = 0;
    for (int i = 0; i < backends.size(); i++) {
      if (backends.get(i).state() == Backend.State.READY) {
        n++;
      }
    }
    return n;
  }

  /** The {@code k}-th READY backend (from 0), or null if the states changed under us. */
  static Backend nth(List<? extends Backend> backends, int k) {
    for (int i = 0; i < backends.size(); i++) {
      Backend b = backends.get(i);
      if (b.state() == Backend.State.READY && k-- == 0) {
        return b;
      }
    }
    return null;
  }

  /** Asks every IDLE backend to connect: for policies that spread calls over all of them. */
  static void connectIdle(List<? extends Backend> backends) {
    for (int i = 0; i < backends.size(); i++) {
      backends.get(i).requestConnection(); // a no-op on all but IDLE ones
    }
  }
}
