package io.protorpc.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.TlsMismatch;
import io.protorpc.spi.Transport;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code "netty"} transport: Netty event loops, epoll on Linux where its native library loads,
 * NIO otherwise. Its priority (10) makes it the default transport when it is installed.
 *
 * <p><b>Threads.</b> Each instance runs its connections and listeners on a shared group of
 * event-loop threads, daemon threads named {@code protorpc-netty-epoll-G-N} (or {@code
 * protorpc-netty-nio-G-N}). The number of threads is {@link TransportOptions#ioThreads()}, or, when
 * that is 0, the number of available processors but at most 4: the loops only move bytes and split
 * frames (the core runs handlers on its own executor), so a few are plenty. Connections opened
 * with different thread counts get different groups. A group starts with its first connection or
 * listener and is shut down when the last one closes, so closing every client and server leaves no
 * thread behind. A connection's handler is called on its event loop, one call at a time, in order.
 *
 * <p><b>epoll or NIO.</b> epoll is used where {@link Epoll#isAvailable()}: on Linux x86-64 with
 * {@code netty-transport-native-epoll} (classifier {@code linux-x86_64}) present. On the class path
 * that is automatic; on the module path the native jar is a module nothing requires, so add
 * {@code --add-modules io.netty.transport.epoll.linux.x86_64} or you get NIO. NIO can be forced
 * with the system property {@value #IO_PROPERTY}{@code =nio} (values {@code auto}, {@code epoll},
 * {@code nio}; it applies to instances made with the no-argument constructor, which is the one
 * ServiceLoader uses) or with {@link #NettyTransport(Io)}. Asking for epoll where it is missing
 * makes the transport unavailable, with the reason (and its {@code connect} and {@code listen}
 * throw {@link IllegalStateException}).
 *
 * <p><b>Reads.</b> Bytes are read into pooled direct buffers and handed to {@link
 * ConnectionHandler#onRead} as views of them, without copying; the buffer is released when {@code
 * onRead} returns. A {@link RuntimeException} from the handler closes the connection with that
 * cause.
 *
 * <p><b>Writes.</b> {@link Connection#write} may be called from any thread. Each call copies its
 * buffers into one pooled direct buffer, which goes to the channel as one message, so calls never
 * interleave. (Netty would copy heap buffers into direct memory anyway before the socket write;
 * doing it in the caller keeps that work off the event loop and lets the caller reuse its buffers
 * once the call returns, as the SPI promises.) A write returns once its bytes are queued on the
 * channel, and from then on they count as written: a write that returns normally was queued before
 * any {@link Connection#close()}, which sends it before closing (see below); a write that finds the
 * connection closed, or closing, throws instead. Flushes are coalesced: a write's flush is skipped
 * while another write is queued behind it on the event loop, and writes made while a read batch
 * runs (replies from {@code onRead}) are flushed together at the batch's end, so a burst of small
 * writes costs few system calls; but no more than half of {@link
 * TransportOptions#writeBufferBytes()} is held back for coalescing, so that it never alone makes
 * writers wait. Backpressure: a write from a thread that is not an event loop blocks while more
 * than {@link TransportOptions#writeBufferBytes()} are pending on the channel (until it drains to
 * half of that, or the connection closes); so at most about that much plus one message per
 * concurrent writer is ever queued. A write on the event loop never blocks: if it leaves the
 * channel over the limit, the connection stops reading until the peer has caught up, as a blocking
 * transport's reader would. {@link Connection#pauseReading} turns the channel's auto-read off (on
 * its event loop) until resumed, independently of that. Writing to a closed connection throws {@code IOException("connection
 * closed")}; a write that fails later (the peer reset the connection) closes the connection, and
 * its handler learns why from {@code onClosed}.
 *
 * <p><b>Lifecycle.</b> A connection ends when either side closes it ({@code onClosed(null)}), when
 * a read or write fails (that exception is the cause), or when the handler throws from {@code
 * onRead} (that exception). The handler's {@code onClosed} runs exactly once, on the event loop,
 * after its last {@code onRead}. {@link Connection#close()} is idempotent: it refuses further
 * writes, lets the bytes of writes that have returned drain to the socket for at most one second,
 * then closes the channel; off the event loop it waits (about two seconds at most) for the channel
 * to close. {@link Listener#close()} closes the server channel and every connection it accepted the
 * same way, and waits at most five seconds for them and, if they were the last users of the event
 * loops, for the loops' threads to end. A failure on one connection never touches another; an
 * acceptor that throws loses only that connection.
 *
 * <p>Sockets are set to {@code TCP_NODELAY} and {@code SO_KEEPALIVE}; server sockets use {@code
 * SO_REUSEADDR} and a backlog of 1024. Connecting honours {@link
 * TransportOptions#connectTimeout()}.
 *
 * <p>Thread-safe: one instance may serve any number of connections and listeners.
 */
public final class NettyTransport implements Transport {
  /** The name this transport is looked up by. */
  public static final String NAME = "netty";
  /** The system property that picks epoll or NIO for the no-argument constructor. */
  public static final String IO_PROPERTY = "io.protorpc.transport.netty.io";

  /** Which Netty I/O implementation to use. */
  public enum Io {
    /** epoll where it is available, NIO otherwise. */
    AUTO,
    /** epoll only; the transport is unavailable where epoll is not. */
    EPOLL,
    /** Java NIO, which works everywhere. */
    NIO
  }

  private static final int PRIORITY = 10;
  private static final int MAX_DEFAULT_IO_THREADS = 4;
  /** How much longer than the connect timeout {@link #connect} waits before giving up itself. */
  private static final int CONNECT_GRACE_MILLIS = 1_000;

  private final Io io;
  /** Groups in use, by thread count; guarded by this. */
  private final Map<Integer, EventLoops> loops = new HashMap<>();

  /**
   * Creates the transport with the I/O named by the system property {@value #IO_PROPERTY}
   * ({@code auto} when unset); ServiceLoader calls this.
   *
   * @throws IllegalArgumentException if the property holds another value
   */
  public NettyTransport() {
    this(ioFromProperty());
  }

  /** Creates the transport with the given I/O implementation. */
  public NettyTransport(Io io) {
    this.io = Objects.requireNonNull(io, "io");
  }

  private static Io ioFromProperty() {
    String value = System.getProperty(IO_PROPERTY, "auto").trim();
    try {
      return Io.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(IO_PROPERTY + " must be auto, epoll or nio, not '"
          + value + "'", e);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return PRIORITY;
  }

  @Override
  public Optional<String> unavailableReason() {
    if (io == Io.EPOLL && !epollAvailable()) {
      return Optional.of("epoll was asked for but is unavailable: " + Epoll.unavailabilityCause());
    }
    return Optional.empty();
  }

  private static boolean epollAvailable() {
    try {
      return Epoll.isAvailable();
    } catch (LinkageError e) {
      return false; // the epoll classes themselves are missing or broken
    }
  }

  /** {@code "epoll"} or {@code "nio"}: what this instance's connections use. */
  String ioName() {
    return kind().label;
  }

  private EventLoops.Kind kind() {
    switch (io) {
      case NIO:
        return EventLoops.Kind.NIO;
      case EPOLL:
        return EventLoops.Kind.EPOLL;
      default:
        return epollAvailable() ? EventLoops.Kind.EPOLL : EventLoops.Kind.NIO;
    }
  }

  /** A group with {@code ioThreads} threads (0: the default), retained for the caller. */
  private synchronized EventLoops acquire(int ioThreads) {
    int threads = ioThreads > 0 ? ioThreads
        : Math.min(Runtime.getRuntime().availableProcessors(), MAX_DEFAULT_IO_THREADS);
    EventLoops l = loops.get(threads);
    if (l == null || !l.retain()) {
      l = new EventLoops(kind(), threads); // the old one, if any, is shutting down
      l.retain();
      loops.put(threads, l);
    }
    return l;
  }

  @Override
  public Connection connect(
      SocketAddress remote, TransportOptions options, ConnectionHandler handler)
      throws IOException {
    InetSocketAddress inet = Transport.inetSocketAddress(NAME, remote);
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    InetSocketAddress address = resolved(inet);
    unavailableReason().ifPresent(reason -> {
      throw new IllegalStateException(reason);
    });
    ChannelSetup setup = new ChannelSetup(options);
    EventLoops l = acquire(options.ioThreads()); // the connection's hold, released as it closes
    l.retain(); // this call's own: the loops must outlast a connection its peer closes at once
    try {
      return open(l, setup, address, handler);
    } finally {
      l.release();
    }
  }

  /** Registers and connects a channel on {@code l}, which holds it; it is released on failure. */
  private static NettyConnection open(EventLoops l, ChannelSetup setup,
      InetSocketAddress address, ConnectionHandler handler) throws IOException {
    Channel channel;
    NettyConnection conn;
    try {
      channel = l.newSocketChannel();
      setup.configure(channel);
      channel.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
          setup.connectTimeoutMillis());
      channel.config().setAutoRead(false); // reading starts once connect() returns
      conn = new NettyConnection(channel, l);
    } catch (RuntimeException | Error e) {
      l.release();
      throw e;
    }
    ChannelFuture registered = l.group().register(channel);
    try {
      await(registered, setup.connectTimeoutMillis(), "registering a channel");
    } catch (IOException | RuntimeException | Error e) {
      channel.unsafe().closeForcibly();
      conn.releaseLoops();
      throw e;
    }
    conn.releaseLoopsOnClose();
    try {
      await(channel.connect(address), setup.connectTimeoutMillis(), "connecting to " + address);
    } catch (IOException | RuntimeException | Error e) {
      channel.close();
      throw e;
    }
    if (setup.tls()) {
      // done before connect() returns, so that an untrusted server fails it with the reason
      SslHandler tls = setup.addTls(channel, address);
      try {
        awaitHandshake(tls, setup.connectTimeoutMillis(), address);
      } catch (IOException | RuntimeException | Error e) {
        channel.close();
        throw e;
      }
    }
    conn.captureAddresses();
    conn.start(handler);
    return conn;
  }

  /** Waits for the TLS handshake; its failure (e.g. an untrusted certificate) is rethrown. */
  private static void awaitHandshake(SslHandler tls, int timeoutMillis, InetSocketAddress address)
      throws IOException {
    io.netty.util.concurrent.Future<?> handshake = tls.handshakeFuture();
    boolean done;
    try {
      done = handshake.await((long) timeoutMillis + CONNECT_GRACE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during the TLS handshake with " + address);
    }
    if (!done) {
      throw new IOException("TLS handshake with " + address + " did not finish within "
          + timeoutMillis + " ms");
    }
    Throwable cause = handshake.cause();
    if (cause instanceof NotSslRecordException) {
      throw TlsMismatch.plaintextServer(address, cause);
    }
    if (cause instanceof IOException io) {
      throw io;
    }
    if (cause != null) {
      throw new IOException("TLS handshake with " + address + " failed: " + cause, cause);
    }
  }

  @Override
  public Listener listen(SocketAddress address, TransportOptions options, Acceptor acceptor)
      throws IOException {
    InetSocketAddress local = Transport.inetSocketAddress(NAME, address);
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(acceptor, "acceptor");
    unavailableReason().ifPresent(reason -> {
      throw new IllegalStateException(reason);
    });
    return NettyListener.open(resolved(local), acquire(options.ioThreads()),
        new ChannelSetup(options), acceptor);
  }

  /** {@code address}, resolved if it was created unresolved. */
  private static InetSocketAddress resolved(InetSocketAddress address) throws UnknownHostException {
    if (!address.isUnresolved()) {
      return address;
    }
    InetSocketAddress r = new InetSocketAddress(address.getHostString(), address.getPort());
    if (r.isUnresolved()) {
      throw new UnknownHostException(address.getHostString());
    }
    return r;
  }

  /**
   * Waits for {@code future} at most {@code timeoutMillis} plus a grace second (the channel's own
   * connect timeout normally fires first) and rethrows its failure as an IOException.
   */
  static void await(ChannelFuture future, int timeoutMillis, String what) throws IOException {
    boolean done;
    try {
      done = future.await((long) timeoutMillis + CONNECT_GRACE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while " + what);
    }
    if (!done) {
      throw new IOException(what + " did not finish within " + timeoutMillis + " ms");
    }
    Throwable cause = future.cause();
    if (cause instanceof IOException) {
      throw (IOException) cause;
    }
    if (cause != null) {
      throw new IOException(what + " failed: " + cause, cause);
    }
  }

  @Override
  public String toString() {
    return "NettyTransport[" + ioName() + "]";
  }
}
