package io.protorpc.testkit;

import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Accepts {@link RawConnection}s, for tests that play a server by hand: on an IP address with a
 * plain server socket, on any other kind of address through the transport under test (its
 * listener used as a byte pipe only).
 *
 * <p>Not thread-safe: one thread accepts.
 */
public final class RawListener implements Closeable {
  private static final int BACKLOG = 50;

  private final ServerSocket server; // for IP addresses
  private final Listener listener; // otherwise
  private final BlockingQueue<TransportStream> accepted;

  private RawListener(ServerSocket server, Listener listener,
      BlockingQueue<TransportStream> accepted) {
    this.server = server;
    this.listener = listener;
    this.accepted = accepted;
  }

  /** Listens on {@code address} (an IP address with port 0 for any free port). */
  public static RawListener open(Transport transport, SocketAddress address) throws IOException {
    if (address instanceof InetSocketAddress inet) {
      ServerSocket s = new ServerSocket();
      try {
        s.bind(inet, BACKLOG);
      } catch (IOException | RuntimeException e) {
        s.close();
        throw e;
      }
      return new RawListener(s, null, null);
    }
    BlockingQueue<TransportStream> accepted = new ArrayBlockingQueue<>(BACKLOG);
    Listener l = transport.listen(address, TransportOptions.defaults(), connection -> {
      TransportStream stream = new TransportStream();
      stream.attach(connection);
      if (!accepted.offer(stream)) {
        throw new IllegalStateException("more than " + BACKLOG + " connections not accepted yet");
      }
      return stream;
    });
    return new RawListener(null, l, accepted);
  }

  /** The address clients connect to. */
  public SocketAddress address() {
    return server != null ? server.getLocalSocketAddress() : listener.localAddress();
  }

  /**
   * The next connection, waiting at most {@code timeoutMillis} for it; its reads then wait at
   * most as long.
   *
   * @throws SocketTimeoutException if none came in time
   */
  public RawConnection accept(int timeoutMillis) throws IOException {
    if (server != null) {
      server.setSoTimeout(timeoutMillis);
      return new RawConnection(server.accept(), timeoutMillis);
    }
    TransportStream s;
    try {
      s = accepted.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while accepting");
    }
    if (s == null) {
      throw new SocketTimeoutException("no connection within " + timeoutMillis + " ms");
    }
    return new RawConnection(s, timeoutMillis);
  }

  /** Stops listening; a transport's listener also closes the connections it accepted. */
  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    } else {
      listener.close();
    }
  }
}
