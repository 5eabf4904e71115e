package io.protorpc.transport.inproc;

import io.protorpc.InProcessAddress;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code "inproc"} transport: a server and its clients in one JVM, connected by in-memory
 * pipes, for tests and for services that call each other within a process. The core on top is
 * the same as over sockets — preface, framing, codec, compression, deadlines, cancellation,
 * metadata, statuses and every limit — only the bytes never leave the JVM.
 *
 * <pre>{@code
 * RpcServer server = RpcServer.builder().address(new InProcessAddress("calc"))
 *     .addService(new CalculatorService()).start();
 * RpcClient client = RpcClient.builder().address(new InProcessAddress("calc")).connect();
 * }</pre>
 *
 * <p><b>Addresses.</b> {@link InProcessAddress}es only ({@link #supports}); a name is taken by
 * one listener at a time in the JVM (a second {@code listen} fails with {@link BindException})
 * and freed when that listener closes. Connecting to a name nobody listens on fails with {@link
 * ConnectException}. Given such an address and no transport, clients and servers pick this one.
 *
 * <p><b>Buffers and backpressure.</b> Each direction of a connection is a ring of {@link
 * TransportOptions#writeBufferBytes()} bytes (64 KiB by default; the writing side's options). A
 * writer blocks while the ring is full, exactly as a socket writer blocks on a full send buffer,
 * so a peer that stops reading holds at most two rings, and the server's write timeout cuts it
 * off as it would over TCP. {@link io.protorpc.spi.Connection#pauseReading} makes an end's reader
 * wait before its next read (the memory budgets' backpressure); the peer's writes then fill the
 * ring and wait.
 *
 * <p><b>Threads.</b> Each end of a connection has one reader thread (a virtual thread on JDK 21+,
 * a daemon platform thread before; named {@code protorpc-inproc-client-N} and {@code
 * protorpc-inproc-server-N}) that moves bytes from its ring to its handler, so a handler is
 * called from one thread at a time, in order; the server end's reader also runs the acceptor.
 * Nothing else: no accept thread, no event loop.
 *
 * <p><b>Lifecycle.</b> Closing an end is orderly: what its writes already put into the peer's
 * ring is delivered, then the peer's handler gets {@code onClosed(null)}. A writer blocked on a
 * full ring fails when either end closes. A handler that throws ends its own connection only.
 * Closing a listener frees its name and closes the connections it accepted.
 *
 * <p><b>No TLS.</b> The bytes never leave the process, so there is nothing to encrypt: options
 * carrying an {@link javax.net.ssl.SSLContext} are refused with {@link IllegalArgumentException}
 * rather than silently ignored.
 *
 * <p>Thread-safe and stateless apart from the JVM-wide directory of names.
 */
public final class InProcessTransport implements Transport {
  /** The name this transport is looked up by. */
  public static final String NAME = "inproc";

  /** Listening names in this JVM. */
  private static final ConcurrentMap<InProcessAddress, InProcessListener> DIRECTORY =
      new ConcurrentHashMap<>();
  private static final ThreadFactory CLIENT_READERS =
      Threads.virtualOrDaemon("protorpc-inproc-client");
  private static final ThreadFactory SERVER_READERS =
      Threads.virtualOrDaemon("protorpc-inproc-server");
  private static final AtomicLong CLIENTS = new AtomicLong();
  /** The most bytes one {@code onRead} gets, as with the socket transport's read buffer. */
  private static final int READ_BUFFER_BYTES = 64 * 1024;

  /** Creates the transport; ServiceLoader calls this. */
  public InProcessTransport() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Below the network transports: never the default for an address they carry (and it carries
   * none of theirs).
   */
  @Override
  public int priority() {
    return -100;
  }

  /** In-process addresses only. */
  @Override
  public boolean supports(SocketAddress address) {
    return address instanceof InProcessAddress;
  }

  @Override
  public Connection connect(SocketAddress remote, TransportOptions options,
      ConnectionHandler handler) throws IOException {
    InProcessAddress address = inProcess(remote, options);
    Objects.requireNonNull(handler, "handler");
    InProcessListener listener = DIRECTORY.get(address);
    if (listener == null) {
      throw new ConnectException("no in-process server listens on " + address);
    }
    Pipe toServer = new Pipe(options.writeBufferBytes());
    Pipe toClient = new Pipe(listener.options().writeBufferBytes());
    InProcessAddress clientAddress =
        new InProcessAddress(address.name() + "#client-" + CLIENTS.incrementAndGet());
    InProcessConnection client = new InProcessConnection(toClient, toServer, clientAddress,
        address, READ_BUFFER_BYTES);
    InProcessConnection server = new InProcessConnection(toServer, toClient, address,
        clientAddress, READ_BUFFER_BYTES);
    if (!listener.accept(server)) {
      throw new ConnectException("the in-process server on " + address + " has closed");
    }
    try {
      client.start(c -> handler, CLIENT_READERS, c -> { });
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return client;
  }

  @Override
  public Listener listen(SocketAddress local, TransportOptions options, Acceptor acceptor)
      throws IOException {
    InProcessAddress address = inProcess(local, options);
    Objects.requireNonNull(acceptor, "acceptor");
    InProcessListener listener =
        new InProcessListener(address, options, acceptor, SERVER_READERS, DIRECTORY);
    if (DIRECTORY.putIfAbsent(address, listener) != null) {
      throw new BindException("an in-process server already listens on " + address);
    }
    return listener;
  }

  private static InProcessAddress inProcess(SocketAddress address, TransportOptions options) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(options, "options");
    if (!(address instanceof InProcessAddress a)) {
      throw new IllegalArgumentException("the inproc transport carries in-process addresses "
          + "only (io.protorpc.InProcessAddress), not " + address);
    }
    if (options.sslContext() != null) {
      throw new IllegalArgumentException("the inproc transport has no TLS: its bytes never "
          + "leave the JVM; leave tls(...) unset for in-process servers and clients");
    }
    return a;
  }

  @Override
  public String toString() {
    return "InProcessTransport";
  }
}
