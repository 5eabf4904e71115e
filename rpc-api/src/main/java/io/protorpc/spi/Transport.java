package io.protorpc.spi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Moves bytes between two endpoints (built in with rpc-transport-socket: {@code "socket"}; with
 * rpc-transport-netty: {@code "netty"}; with rpc-transport-inproc: {@code "inproc"}, within one
 * JVM). A transport knows nothing of frames or calls: it delivers whatever bytes arrive to a
 * {@link ConnectionHandler} and writes what the core gives it. Thread-safe.
 *
 * <p>Addresses are {@link SocketAddress}es: network transports take {@link InetSocketAddress}es,
 * others their own kind (the in-process transport an {@link io.protorpc.InProcessAddress}). {@link
 * #supports} says which; the core picks, among installed transports, the highest-priority one
 * that supports the address it was given, unless the user names one.
 */
public interface Transport extends Plugin {

  /**
   * Whether this transport can connect to and listen on {@code address}. By default, IP socket
   * addresses only.
   */
  default boolean supports(SocketAddress address) {
    return address instanceof InetSocketAddress;
  }

  /**
   * Opens a client connection. Reading starts once this returns; {@code handler} receives the
   * bytes.
   *
   * @throws IOException if the connection cannot be made within {@link
   *     TransportOptions#connectTimeout()}
   * @throws IllegalArgumentException if this transport does not {@link #supports support} {@code
   *     remote}, or cannot honour {@code options} (TLS on a transport without it)
   */
  Connection connect(SocketAddress remote, TransportOptions options, ConnectionHandler handler)
      throws IOException;

  /**
   * Binds a server endpoint and accepts connections on it until the listener is closed. For each
   * accepted connection the transport asks {@code acceptor} for its handler, then starts reading.
   *
   * @throws IOException if {@code local} cannot be bound (in use, say)
   * @throws IllegalArgumentException as for {@link #connect}
   */
  Listener listen(SocketAddress local, TransportOptions options, Acceptor acceptor)
      throws IOException;

  /** Gives each accepted connection its handler. Called on a transport thread. */
  @FunctionalInterface
  interface Acceptor {
    ConnectionHandler accept(Connection connection);
  }

  /**
   * {@code address} as an IP socket address, for transports that carry nothing else.
   *
   * @param transport the transport's name, for the message
   * @throws IllegalArgumentException if it is another kind of address
   * @throws NullPointerException if it is null
   */
  static InetSocketAddress inetSocketAddress(String transport, SocketAddress address) {
    java.util.Objects.requireNonNull(address, "address");
    if (address instanceof InetSocketAddress inet) {
      return inet;
    }
    throw new IllegalArgumentException("the " + transport + " transport carries IP socket "
        + "addresses only, not " + address + (address instanceof io.protorpc.InProcessAddress
            ? "; use the inproc transport (io.protorpc:rpc-transport-inproc)" : ""));
  }
}
