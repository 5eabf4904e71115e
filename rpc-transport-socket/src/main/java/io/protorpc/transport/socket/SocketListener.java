package io.protorpc.transport.socket;

import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A bound server socket with one accept thread. Each accepted connection gets its handler from
 * the acceptor and a reader thread of its own; the listener tracks it until that reader ends.
 */
final class SocketListener implements Listener {
  private static final System.Logger LOG = System.getLogger(SocketTransport.class.getName());
  private static final int BACKLOG = 1024;
  /** The longest {@link #close()} waits for the accept and reader threads to end. */
  private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin. */
  private static final long ACCEPT_RETRY_MILLIS = 50;

  private final ServerSocket server;
  private final InetSocketAddress localAddress;
  /** Write buffers, lent to this listener's connections while they have bytes to send. */
  private final ByteArrayPool writeBuffers;
  private final SSLContext tls; // null: plaintext
  private final boolean requireClientAuth;
  private final Transport.Acceptor acceptor;
  private final ThreadFactory readers;
  /** Accepted connections whose reader has not ended yet. */
  private final Set<SocketConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Released by close(), to cut an accept-retry pause short. */
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile Thread acceptThread;

  private SocketListener(ServerSocket server, TransportOptions options, Transport.Acceptor acceptor,
      ThreadFactory readers) {
    this.server = server;
    this.localAddress = new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    this.writeBuffers = new ByteArrayPool(options.writeBufferBytes(),
        4 * Runtime.getRuntime().availableProcessors());
    this.tls = options.sslContext();
    this.requireClientAuth = options.requireClientAuth();
    this.acceptor = acceptor;
    this.readers = readers;
  }

  /** Binds to {@code local} and starts accepting on a thread from {@code acceptThreads}. */
  static SocketListener open(InetSocketAddress local, TransportOptions options,
      Transport.Acceptor acceptor, ThreadFactory acceptThreads, ThreadFactory readers)
      throws IOException {
    ServerSocket server = new ServerSocket();
    SocketListener listener;
    try {
      server.setReuseAddress(true);
      server.bind(local, BACKLOG);
      listener = new SocketListener(server, options, acceptor, readers);
      Thread t = acceptThreads.newThread(listener::acceptLoop);
      listener.acceptThread = t;
      t.start();
    } catch (IOException | RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return listener;
  }

  /**
   * Accepts until closed. Nothing ends it but close(): a failed accept (out of file descriptors,
   * out of memory, any Throwable) is logged and retried after a pause.
   */
  private void acceptLoop() {
    while (!closed.get()) {
      try {
        serve(server.accept());
      } catch (Throwable e) {
        if (closed.get() || server.isClosed()) {
          break;
        }
        logQuietly("accept failed on " + localAddress + "; retrying", e);
        try {
          closing.await(ACCEPT_RETRY_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
  }

  /** Logs, unless logging itself fails (it allocates, and the heap may be what ran out). */
  private static void logQuietly(String message, Throwable e) {
    try {
      LOG.log(Level.WARNING, message, e);
    } catch (Throwable ignored) {
      // nothing more can be said; the loop goes on
    }
  }

  /** Sets one accepted socket up; whatever fails here drops that socket alone. */
  private void serve(Socket socket) {
    SocketConnection conn = null;
    try {
      SocketConnection.configure(socket);
      if (tls != null) {
        // The handshake itself runs on the connection's reader at its first read, so a slow
        // client never holds up the accept loop.
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, null,
            socket.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setNeedClientAuth(requireClientAuth);
        socket = ssl;
      }
      conn = new SocketConnection(socket, writeBuffers, connections::remove);
      connections.add(conn);
      // Checked after add: either close() sees this connection in the set or we see closed.
      if (closed.get()) {
        connections.remove(conn);
        conn.close();
        return;
      }
      ConnectionHandler handler = acceptor.accept(conn);
      if (handler == null) {
        throw new IllegalStateException("acceptor returned no handler");
      }
      conn.start(handler, readers);
    } catch (IOException | RuntimeException | Error e) {
      logQuietly("dropping connection from " + socket.getRemoteSocketAddress(), e);
      if (conn == null) {
        closeQuietly(socket);
      } else {
        connections.remove(conn); // no reader runs for it, so nobody else will untrack it
        conn.closeWith(e);
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Dropped anyway.
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  /**
   * Stops accepting, closes every accepted connection (flushing what its returned writes left
   * buffered) and waits, at most five seconds in all, for those flushes and for the accept
   * thread and the connections' readers to end (never for the calling thread itself, which may be
   * one of those readers).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing.countDown();
    try {
      server.close(); // unblocks accept()
    } catch (IOException ignored) {
      // The socket is released either way.
    }
    long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
    closeAll(deadline);
    join(acceptThread, deadline);
    // Once the accept thread is gone nothing adds to the set: this pass sees every connection.
    for (SocketConnection c : closeAll(deadline)) {
      join(c.reader(), deadline);
    }
  }

  /** Closes every tracked connection; their flushes share what is left until the deadline. */
  private List<SocketConnection> closeAll(long deadlineNanos) {
    List<SocketConnection> open = List.copyOf(connections);
    for (SocketConnection c : open) {
      c.closeWithin(deadlineNanos - System.nanoTime());
    }
    return open;
  }

  private static void join(Thread t, long deadlineNanos) {
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return;
    }
    try {
      t.join(TimeUnit.NANOSECONDS.toMillis(left) + 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "SocketListener[" + localAddress + (closed.get() ? ", closed" : "") + "]";
  }
}
