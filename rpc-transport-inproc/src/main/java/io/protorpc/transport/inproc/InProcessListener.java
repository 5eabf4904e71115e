package io.protorpc.transport.inproc;

import io.protorpc.InProcessAddress;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;

/** A server's name in the JVM-wide directory, and the connections accepted under it. */
final class InProcessListener implements Listener {
  private final InProcessAddress address;
  private final TransportOptions options;
  private final Transport.Acceptor acceptor;
  private final ThreadFactory readers;
  /** The JVM-wide directory of names, which this listener leaves as it closes. */
  private final Map<InProcessAddress, InProcessListener> directory;
  private final Set<InProcessConnection> connections = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private boolean closed; // guarded by lock

  InProcessListener(InProcessAddress address, TransportOptions options,
      Transport.Acceptor acceptor, ThreadFactory readers,
      Map<InProcessAddress, InProcessListener> directory) {
    this.address = address;
    this.options = options;
    this.acceptor = acceptor;
    this.readers = readers;
    this.directory = directory;
  }

  TransportOptions options() {
    return options;
  }

  /**
   * Takes the server end of a new connection: tracks it and starts its reader, which asks the
   * acceptor for its handler first.
   *
   * @return false if this listener has closed (the caller refuses the connection)
   */
  boolean accept(InProcessConnection serverEnd) {
    synchronized (lock) {
      if (closed) {
        return false;
      }
      connections.add(serverEnd);
    }
    serverEnd.start(acceptor::accept, readers, connections::remove);
    return true;
  }

  @Override
  public SocketAddress localAddress() {
    return address;
  }

  /** Takes the name out of the directory and closes every accepted connection. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    directory.remove(address, this);
    for (InProcessConnection c : connections) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "InProcessListener[" + address + "]";
  }
}
