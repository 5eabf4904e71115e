package io.protorpc.transport.socket;

import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Threads;
import io.protorpc.spi.TlsMismatch;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.time.Duration;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * The {@code "socket"} transport: blocking {@link java.net.Socket}s with a thread per connection.
 *
 * <p><b>Threads.</b> Every connection, client or accepted, has one reader thread that calls {@link
 * ConnectionHandler#onRead} with each chunk it reads, then {@link ConnectionHandler#onClosed} once
 * at the end; so a handler is only ever called from that one thread, in order. A reader waits for
 * bytes with a 512-byte array of its own, and reads larger bursts into a 64 KiB buffer borrowed
 * from a shared pool until a read finds the socket drained; the write buffer, too, is borrowed
 * (from the listener's pool) only while there are bytes to send. So an idle connection holds no
 * buffer. {@link Connection#pauseReading} makes the reader wait before its next read. Readers are virtual threads on JDK 21 and later, daemon platform threads on
 * JDK 17 to 20 (named {@code protorpc-socket-client-N} and {@code protorpc-socket-conn-N}). Each
 * listener has one daemon platform thread, {@code protorpc-socket-accept-N}, accepting connections.
 * A reader runs the handler itself, so a slow handler stalls that connection's reads, and one
 * that never returns also withholds its {@code onClosed}.
 *
 * <p><b>Writes.</b> {@link Connection#write} may be called from any number of threads: calls are
 * serialized by a lock (a {@link java.util.concurrent.locks.ReentrantLock}, so a virtual thread
 * blocked on a slow peer does not pin its carrier), and each call's buffers go out contiguously.
 * Bytes pass through a buffered stream of {@link TransportOptions#writeBufferBytes()}; a write
 * that sees another writer queued behind it leaves the flush to that writer, so a burst of small
 * concurrent writes costs few system calls, and the last writer in line always flushes. A write
 * blocks while the peer is slow to read (the socket's send buffer is full). It reads each buffer
 * from position to limit and leaves positions unchanged; heap buffers are written straight from
 * their arrays, direct and read-only ones copied through a small per-connection array.
 *
 * <p><b>Lifecycle.</b> A connection ends when either side closes it (an orderly close: {@code
 * onClosed(null)}), when a read or write fails (the {@link IOException} is the cause), or when the
 * handler throws from {@code onRead} (that exception is the cause). Closing is idempotent and
 * closes the socket, which wakes the reader; the reader then calls {@code onClosed} exactly once.
 * {@link Connection#close()} first flushes what writes that have returned left buffered (a write
 * leaves its flush to the writer queued behind it, and a close may come before that one's turn),
 * waiting at most one second for a slow peer; after that, or at once when nothing is left
 * buffered, it closes the socket, and a writer still blocked on the peer fails.
 * Writing to a closed connection throws {@code IOException("connection closed")}. A failure on
 * one connection never touches another, and the accept loop survives anything that goes wrong
 * with one accepted socket, a throwing acceptor included (that socket alone is closed). {@link
 * Listener#close()} stops accepting, closes every connection it accepted and waits, at most five
 * seconds, for its accept and reader threads to end.
 *
 * <p>Sockets are set to {@code TCP_NODELAY} (protorpc writes whole frames and flushes itself) and
 * {@code SO_KEEPALIVE} (so a silently vanished peer is found eventually); server sockets use
 * {@code SO_REUSEADDR} and a backlog of 1024.
 *
 * <p>Thread-safe and stateless: one instance may serve any number of connections and listeners.
 */
public final class SocketTransport implements Transport {
  /** The name this transport is looked up by. */
  public static final String NAME = "socket";

  private static final ThreadFactory CLIENT_READERS =
      Threads.virtualOrDaemon("protorpc-socket-client");
  private static final ThreadFactory CONN_READERS = Threads.virtualOrDaemon("protorpc-socket-conn");
  private static final ThreadFactory ACCEPTORS = Threads.daemon("protorpc-socket-accept");
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

  /** Creates the transport; ServiceLoader calls this. */
  public SocketTransport() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Connection connect(
      SocketAddress address, TransportOptions options, ConnectionHandler handler)
      throws IOException {
    InetSocketAddress remote = Transport.inetSocketAddress(NAME, address);
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    Duration timeout = options.connectTimeout();
    int timeoutMillis = timeout.compareTo(MAX_CONNECT_TIMEOUT) >= 0
        ? Integer.MAX_VALUE : (int) Math.max(1, timeout.toMillis()); // 0 would mean "forever"
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Socket socket = new Socket();
    SocketConnection conn;
    try {
      SocketConnection.configure(socket);
      socket.connect(remote, timeoutMillis);
      if (options.sslContext() != null) {
        socket = startTls(socket, remote, options, timeoutMillis, deadlineNanos);
      }
      conn = new SocketConnection(socket, options.writeBufferBytes(), c -> { });
    } catch (IOException | RuntimeException | Error e) {
      socket.close();
      throw e;
    }
    conn.start(handler, CLIENT_READERS);
    return conn;
  }

  /**
   * Layers TLS over a connected socket and completes the handshake by {@code deadlineNanos}, the
   * end of the whole connect timeout, so that an untrusted server fails {@code connect} with the
   * handshake's own reason. The socket's read timeout bounds each read only; a peer trickling
   * the handshake a byte at a time would pass it forever, so a watchdog closes the socket at the
   * deadline.
   */
  private static Socket startTls(Socket plain, InetSocketAddress remote, TransportOptions options,
      int timeoutMillis, long deadlineNanos) throws IOException {
    SSLSocket ssl = (SSLSocket) options.sslContext().getSocketFactory()
        .createSocket(plain, remote.getHostString(), remote.getPort(), true);
    AtomicBoolean finished = new AtomicBoolean();
    AtomicBoolean timedOut = new AtomicBoolean();
    try {
      if (options.verifyHostname()) {
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(params);
      }
      long leftNanos = Math.max(1, deadlineNanos - System.nanoTime());
      CompletableFuture.delayedExecutor(leftNanos, TimeUnit.NANOSECONDS, Runnable::run).execute(
          () -> {
            if (finished.compareAndSet(false, true)) {
              timedOut.set(true);
              closeQuietly(plain); // the handshake's blocked read fails at once
            }
          });
      ssl.setSoTimeout(timeoutMillis);
      ssl.startHandshake();
      if (!finished.compareAndSet(false, true)) {
        throw new SocketTimeoutException("closed at the connect timeout");
      }
      ssl.setSoTimeout(0);
      return ssl;
    } catch (IOException | RuntimeException e) {
      finished.set(true);
      ssl.close();
      if (timedOut.get()) {
        SocketTimeoutException t = new SocketTimeoutException("TLS handshake with " + remote
            + " did not complete within the connect timeout of " + timeoutMillis + " ms");
        t.initCause(e);
        throw t;
      }
      if (isNotTls(e)) {
        throw TlsMismatch.plaintextServer(remote, e);
      }
      throw e;
    }
  }

  /**
   * Whether the JDK's TLS layer failed because the peer's bytes are not TLS records at all. The
   * JDK has no type for this, only its message (the same from JDK 11 to 25, checked by the
   * testkit's TLS mismatch test on 17 and 25).
   */
  static boolean isNotTls(Throwable e) {
    return e instanceof SSLException && e.getMessage() != null
        && e.getMessage().contains("Unsupported or unrecognized SSL message");
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing to interrupt: nothing more to do
    }
  }

  @Override
  public Listener listen(SocketAddress local, TransportOptions options, Acceptor acceptor)
      throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(acceptor, "acceptor");
    return SocketListener.open(Transport.inetSocketAddress(NAME, local), options, acceptor, ACCEPTORS, CONN_READERS);
  }

  @Override
  public String toString() {
    return "SocketTransport";
  }
}
