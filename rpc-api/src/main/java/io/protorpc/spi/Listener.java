package io.protorpc.spi;

import java.net.SocketAddress;

/** A server endpoint accepting connections for the core. Thread-safe. */
public interface Listener extends AutoCloseable {

  /**
   * The bound address (with the actual port when 0 was asked for); of the kind the transport was
   * given, e.g. an {@link java.net.InetSocketAddress}.
   */
  SocketAddress localAddress();

  /**
   * Stops accepting and closes every connection this listener accepted, and releases the
   * transport's threads for it. Idempotent.
   */
  @Override
  void close();
}
