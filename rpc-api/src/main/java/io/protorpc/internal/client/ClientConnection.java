package io.protorpc.internal.client;

import io.protorpc.Status;

/** A live, handshaken connection to one server, as a {@link Subchannel} uses it. Thread-safe. */
public interface ClientConnection {

  /**
   * Puts the call on this connection and queues its request; returns at once. A call this
   * connection cannot carry (too large for the server, say) is completed here.
   *
   * @return false, with the call untouched, if the connection takes no new calls (it is
   *     draining or closed): the caller places the call elsewhere
   */
  boolean start(ClientCall call);

  /**
   * Takes no new calls from now on and closes once the calls on it are answered (or end
   * otherwise): a graceful retirement, as when the server is no longer among the client's.
   * Returns at once; idempotent.
   */
  void drain();

  /** False once the connection is draining (go-away, idle) or closed: it takes no new calls. */
  boolean isUsable();

  /** Calls on this connection waiting for their response. */
  int callsInFlight();

  /**
   * Fails every call on it with {@code status} and closes it, without blocking: the transport's
   * close runs on an I/O thread.
   */
  void shutdown(Status status);

  /** What a connection tells its holder. Called on transport or timer threads; must not block. */
  interface Listener {
    /** The connection takes no new calls any more (go-away, idle, or closed). */
    void onNotUsable(ClientConnection connection);

    /** The connection has closed and its calls have ended. */
    void onClosed(ClientConnection connection);
  }
}
