package io.protorpc.balancer;

import java.net.SocketAddress;

/**
 * What a balancer sees of one server of its client: the connection the client keeps to one
 * resolved address. Read-only but for {@link #requestConnection()}; the client updates it from
 * its own threads, so two reads may disagree. Thread-safe.
 */
public interface Backend {

  /** Where a backend is in its life. Only {@link #READY} backends take calls. */
  enum State {
    /** Not connected nor trying: connects when a balancer {@linkplain #requestConnection asks}. */
    IDLE,
    /** Connecting (or reconnecting after its backoff). */
    CONNECTING,
    /** Connected, and serving as far as the client knows: may take calls. */
    READY,
    /**
     * Connected, but its health service says it is not serving (or it is going away): takes no
     * new calls.
     */
    NOT_SERVING,
    /** The last attempt to connect failed; waiting out its backoff before the next. */
    TRANSIENT_FAILURE
  }

  /** The resolved address this backend connects to. */
  SocketAddress address();

  /** Its state now. */
  State state();

  /** Calls sent to it whose outcome has not arrived yet. */
  int callsInFlight();

  /**
   * Asks the client to connect this backend if it is {@link State#IDLE}; does nothing otherwise.
   * Returns at once: connecting happens off the caller's thread.
   */
  void requestConnection();
}
