package io.protorpc.spi;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Moves bytes between two processes (built in with rpc-transport-socket: {@code "socket"}; with
 * rpc-transport-netty: {@code "netty"}). A transport knows nothing of frames or calls: it delivers
 * whatever bytes arrive to a {@link ConnectionHandler} and writes what the core gives it.
 * Thread-safe.
 */
public interface Transport extends Plugin {

  /**
   * Opens a client connection. Reading starts once this returns; {@code handler} receives the
   * bytes.
   *
   * @throws IOException if the connection cannot be made within {@link
   *     TransportOptions#connectTimeout()}
   */
  Connection connect(InetSocketAddress remote, TransportOptions options, ConnectionHandler handler)
      throws IOException;

  /**
   * Binds a server socket and accepts connections on it until the listener is closed. For each
   * accepted connection the transport asks {@code acceptor} for its handler, then starts reading.
   */
  Listener listen(InetSocketAddress local, TransportOptions options, Acceptor acceptor)
      throws IOException;

  /** Gives each accepted connection its handler. Called on a transport thread. */
  @FunctionalInterface
  interface Acceptor {
    ConnectionHandler accept(Connection connection);
  }
}
