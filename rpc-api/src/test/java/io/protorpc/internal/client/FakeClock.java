package io.protorpc.internal.client;

import java.util.PriorityQueue;

/** A clock that moves only when the test says, running due timers in order on the test thread. */
final class FakeClock implements Clock {
  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private long now = 1_000_000_000L;
  private long seq;

  private final class Task implements Timer {
    final long at;
    final long seq;
    final Runnable run;
    boolean cancelled;

    Task(long at, long seq, Runnable run) {
      this.at = at;
      this.seq = seq;
      this.run = run;
    }

    @Override
    public void cancel() {
      cancelled = true;
      tasks.remove(this);
    }
  }

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public Timer schedule(Runnable task, long delayNanos) {
    Task t = new Task(now + Math.max(0, delayNanos), seq++, task);
    tasks.add(t);
    return t;
  }

  /** Moves time forward, running every timer that falls due, in order. */
  void advanceMillis(long millis) {
    long until = now + millis * 1_000_000L;
    while (!tasks.isEmpty() && tasks.peek().at <= until) {
      Task t = tasks.poll();
      now = Math.max(now, t.at);
      t.run.run();
    }
    now = until;
  }

  int pendingTimers() {
    return tasks.size();
  }
}
