package io.protorpc;

import io.protorpc.spi.Envelope;
import java.util.concurrent.Future;

/** A client call waiting for its response; completed exactly once by whoever removes it from its session's table. */
final class PendingCall {
  /** Receives the outcome; {@code response} is null unless the server answered. */
  interface Listener {
    void onComplete(Status status, Envelope response);
  }

  final long id;
  private final Listener listener;
  private Future<?> timer; // guarded by this
  private boolean done; // guarded by this

  PendingCall(long id, Listener listener) {
    this.id = id;
    this.listener = listener;
  }

  synchronized void setTimer(Future<?> timer) {
    if (done) {
      timer.cancel(false);
    } else {
      this.timer = timer;
    }
  }

  void complete(Status status, Envelope response) {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      if (timer != null) {
        timer.cancel(false);
      }
    }
    listener.onComplete(status, response);
  }
}
