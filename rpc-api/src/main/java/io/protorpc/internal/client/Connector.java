package io.protorpc.internal.client;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * Makes connections for a {@link Subchannel}: transport connect, TLS, and the protorpc preface
 * exchange. Runs on the connector executor, where blocking is harmless, and never past {@code
 * attempt.deadlineNanos()}.
 */
@FunctionalInterface
public interface Connector {

  /**
   * Connects and completes the handshake.
   *
   * @throws IOException naming the address and the reason (refused, timed out, preface refused)
   */
  ClientConnection connect(SocketAddress address, Attempt attempt,
      ClientConnection.Listener listener) throws IOException;

  /** One connection attempt: its deadline, and what it is doing now (for error messages). */
  final class Attempt {
    private final long deadlineNanos;
    private volatile String phase = "starting";
    private final java.util.concurrent.CompletableFuture<Void> cancelled =
        new java.util.concurrent.CompletableFuture<>();

    public Attempt(long deadlineNanos) {
      this.deadlineNanos = deadlineNanos;
    }

    /** When the whole attempt (TCP, TLS, preface) must be over, on the client's clock. */
    public long deadlineNanos() {
      return deadlineNanos;
    }

    /** Records the step under way, e.g. "TCP/TLS connect pending", "waiting for the preface". */
    public void phase(String phase) {
      this.phase = phase;
    }

    public String phase() {
      return phase;
    }

    /** Completes when the attempt is no longer wanted (the client is closing). */
    public java.util.concurrent.CompletableFuture<Void> cancelled() {
      return cancelled;
    }

    void cancel() {
      cancelled.complete(null);
    }
  }
}
