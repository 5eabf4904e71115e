package io.protorpc.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What a test opened, closed after it in reverse order. Thread-safe. */
final class Resources {
  private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());

  <T extends AutoCloseable> T add(T resource) {
    open.add(resource);
    return resource;
  }

  /** Closes everything added since the last call, the latest first. */
  void closeAll() throws Exception {
    List<AutoCloseable> copy;
    synchronized (open) {
      copy = new ArrayList<>(open);
      open.clear();
    }
    Collections.reverse(copy);
    for (AutoCloseable c : copy) {
      c.close();
    }
  }
}
