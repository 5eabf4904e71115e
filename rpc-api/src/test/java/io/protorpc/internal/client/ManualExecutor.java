package io.protorpc.internal.client;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** An executor whose tasks run only when the test runs them, on the test thread. */
final class ManualExecutor implements Executor {
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean shutDown;

  @Override
  public void execute(Runnable task) {
    if (shutDown) {
      throw new RejectedExecutionException("shut down");
    }
    tasks.add(task);
  }

  /** Runs queued tasks, and those they queue, until none is left (at most 10,000). */
  int runAll() {
    int n = 0;
    while (!tasks.isEmpty() && n < 10_000) {
      tasks.poll().run();
      n++;
    }
    return n;
  }

  int queued() {
    return tasks.size();
  }

  void shutDown() {
    shutDown = true;
  }
}
