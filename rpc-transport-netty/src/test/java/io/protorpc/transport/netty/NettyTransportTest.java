package io.protorpc.transport.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.protorpc.PluginRegistry;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link NettyTransport} over real loopback sockets: I/O choice, bytes, lifecycle, wiring. */
class NettyTransportTest extends LoopbackTest {
  // ---- epoll or NIO ----

  @Test
  void usesEpollOnLinux() throws Exception {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    assumeTrue(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")),
        "the native library shipped is for Linux x86-64");
    assertTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
    assertEquals("epoll", transport.ioName());

    BlockingQueue<NettyConnection> accepted = new ArrayBlockingQueue<>(1);
    Listener listener = listen(transport, OPTIONS, conn -> {
      accepted.add((NettyConnection) conn);
      return new Inbox(conn::write);
    });
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);
    conn.write(bytes("ping"));
    assertArrayEquals(bytes("ping").array(), client.awaitBytes(4, WAIT));

    assertInstanceOf(EpollSocketChannel.class, conn.channel());
    assertInstanceOf(EpollSocketChannel.class, accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS)
        .channel());
    String thread = client.reader().getName();
    assertTrue(thread.startsWith("protorpc-netty-epoll-"), thread);
  }

  @Test
  void nioRoundTripsWhenForced() throws Exception {
    NettyTransport nio = new NettyTransport(NettyTransport.Io.NIO);
    assertEquals("nio", nio.ioName());
    assertTrue(nio.isAvailable());
    Listener listener = listen(nio, OPTIONS, conn -> new Inbox(conn::write));
    Inbox client = new Inbox();
    NettyConnection conn = connect(nio, listener.localAddress(), OPTIONS, client);
    byte[] data = new byte[300_000];
    new Random(7).nextBytes(data);
    conn.write(ByteBuffer.wrap(data));
    assertArrayEquals(data, client.awaitBytes(data.length, WAIT));
    assertInstanceOf(NioSocketChannel.class, conn.channel());
    assertTrue(client.reader().getName().startsWith("protorpc-netty-nio-"));
  }

  @Test
  void systemPropertyChoosesTheIo() {
    String before = System.getProperty(NettyTransport.IO_PROPERTY);
    try {
      System.setProperty(NettyTransport.IO_PROPERTY, "NIO");
      assertEquals("nio", new NettyTransport().ioName());
      System.setProperty(NettyTransport.IO_PROPERTY, "epoll");
      NettyTransport epoll = new NettyTransport();
      assertEquals(Epoll.isAvailable(), epoll.isAvailable(), () -> "" + epoll.unavailableReason());
      System.setProperty(NettyTransport.IO_PROPERTY, "io_uring");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          NettyTransport::new);
      assertTrue(e.getMessage().contains("io_uring"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(NettyTransport.IO_PROPERTY);
      } else {
        System.setProperty(NettyTransport.IO_PROPERTY, before);
      }
    }
  }

  // ---- bytes ----

  @Test
  void echoesOneMebibyteFromHeapDirectAndReadOnlyBuffers() throws Exception {
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    Listener listener = listen(transport, OPTIONS, conn -> {
      accepted.add(conn);
      return new Inbox(conn::write); // echoes on the event loop
    });
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);

    byte[] data = new byte[1 << 20];
    new Random(42).nextBytes(data);
    int chunk = 10_000;
    for (int off = 0, i = 0; off < data.length; off += chunk, i++) {
      int len = Math.min(chunk, data.length - off);
      ByteBuffer head = buffer(i % 3, data, off, len / 3);
      ByteBuffer tail = buffer((i + 1) % 3, data, off + len / 3, len - len / 3);
      int headAt = head.position();
      conn.write(head, tail);
      assertEquals(headAt, head.position(), "write leaves the buffers' positions alone");
      scribble(head);
      scribble(tail);
    }
    // The buffers were overwritten once each write returned, yet the peer got the bytes written.
    assertArrayEquals(data, client.awaitBytes(data.length, WAIT));

    Connection server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(server);
    assertEquals(((InetSocketAddress) listener.localAddress()).getPort(),
        ((InetSocketAddress) conn.remoteAddress()).getPort());
    assertEquals(conn.localAddress(), server.remoteAddress());
    assertEquals(conn.remoteAddress(), server.localAddress());
  }

  /** {@code data[off, off+len)} in a heap slice at an offset, a direct or a read-only buffer. */
  private static ByteBuffer buffer(int kind, byte[] data, int off, int len) {
    ByteBuffer b = kind == 1 ? ByteBuffer.allocateDirect(len + 5) : ByteBuffer.allocate(len + 5);
    b.position(5);
    b.put(data, off, len).flip().position(5);
    ByteBuffer slice = b.slice();
    return kind == 2 ? slice.asReadOnlyBuffer() : slice;
  }

  /** Overwrites a writable buffer's remaining bytes: callers may reuse buffers once written. */
  private static void scribble(ByteBuffer b) {
    if (!b.isReadOnly()) {
      for (int i = b.position(); i < b.limit(); i++) {
        b.put(i, (byte) 0x5A);
      }
    }
  }

  @Test
  void concurrentWritersNeverInterleave() throws Exception {
    int writers = 8;
    int perWriter = 400;
    Inbox server = new Inbox();
    NettyConnection conn = connectTo(server, OPTIONS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    int total = 0;
    for (int w = 0; w < writers; w++) {
      int writer = w;
      for (int seq = 0; seq < perWriter; seq++) {
        total += Record.size(writer, seq);
      }
      done.add(pool.submit(() -> {
        go.await();
        for (int seq = 0; seq < perWriter; seq++) {
          conn.write(Record.parts(writer, seq)); // header and body: two buffers, one write
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    ByteBuffer in = ByteBuffer.wrap(server.awaitBytes(total, WAIT));
    int[] next = new int[writers];
    while (in.hasRemaining()) {
      Record r = Record.read(in);
      assertEquals(next[r.writer], r.seq, "writer " + r.writer + "'s records in order, whole");
      next[r.writer]++;
    }
    for (int w = 0; w < writers; w++) {
      assertEquals(perWriter, next[w]);
    }
  }

  /**
   * {@code [writer][seq][length][body]}, the body's bytes and length derived from writer and
   * seq, so that a record cut by another writer's bytes cannot pass {@link #read}.
   */
  private record Record(int writer, int seq) {
    static int bodyLength(int writer, int seq) {
      return (writer * 131 + seq * 17) % 500;
    }

    static int size(int writer, int seq) {
      return 12 + bodyLength(writer, seq);
    }

    static ByteBuffer[] parts(int writer, int seq) {
      int n = bodyLength(writer, seq);
      ByteBuffer head = ByteBuffer.allocate(12).putInt(writer).putInt(seq).putInt(n).flip();
      ByteBuffer body = ByteBuffer.allocateDirect(n);
      for (int i = 0; i < n; i++) {
        body.put((byte) (writer + seq + i));
      }
      return new ByteBuffer[] {head, body.flip()};
    }

    static Record read(ByteBuffer in) {
      Record r = new Record(in.getInt(), in.getInt());
      int n = in.getInt();
      assertEquals(bodyLength(r.writer, r.seq), n, () -> "length of " + r);
      for (int i = 0; i < n; i++) {
        assertEquals((byte) (r.writer + r.seq + i), in.get(), () -> "body of " + r);
      }
      return r;
    }
  }

  // ---- onClosed, exactly once ----

  @Test
  void peerCloseGivesOrderlyOnClosedOnce() throws Exception {
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    Inbox serverSide = new Inbox();
    Listener listener = listen(transport, OPTIONS, conn -> {
      accepted.add(conn);
      return serverSide;
    });
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);
    Connection server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(server);

    server.close();
    assertNull(client.awaitClosed(WAIT), "EOF is an orderly close");
    assertNull(serverSide.awaitClosed(WAIT), "so is a local close");
    assertFalse(conn.isOpen());
    conn.close();
    server.close();
    assertTrue(conn.channel().closeFuture().await(WAIT.toMillis()));
    assertEquals(1, client.closes());
    assertEquals(1, serverSide.closes());
    IOException e = assertThrows(IOException.class, () -> conn.write(bytes("late")));
    assertEquals("connection closed", e.getMessage());
  }

  @Test
  void localCloseRefusesWritesAndGivesOrderlyOnClosedOnce() throws Exception {
    Inbox serverSide = new Inbox();
    Listener listener = listen(transport, OPTIONS, conn -> serverSide);
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);
    conn.write(bytes("bye"));
    conn.close(); // the write before it is still delivered
    conn.close();
    assertFalse(conn.isOpen());
    assertFalse(conn.channel().isOpen(), "close() off the event loop returns once closed");
    assertThrows(IOException.class, () -> conn.write(bytes("late")));
    assertArrayEquals(bytes("bye").array(), serverSide.awaitBytes(3, WAIT));
    assertNull(client.awaitClosed(WAIT));
    assertNull(serverSide.awaitClosed(WAIT), "the server reads EOF");
    assertEquals(1, client.closes());
  }

  @Test
  void handlerExceptionClosesTheConnectionWithThatCause() throws Exception {
    RuntimeException boom = new IllegalStateException("boom (expected)");
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    Inbox serverSide = new Inbox(chunk -> {
      throw boom;
    });
    Listener listener = listen(transport, OPTIONS, conn -> {
      accepted.add(conn);
      return serverSide;
    });
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);
    conn.write(bytes("x"));
    try {
      conn.write(bytes("y"));
    } catch (IOException closedAlready) {
      // the server may have failed on "x" and closed before this write: the race is the peer's
      // to win, and "y" then never reaches it, which the count of reads below checks either way
      assertFalse(conn.isOpen(), "a write fails only on a closed connection");
    }

    assertSame(boom, serverSide.awaitClosed(WAIT));
    Connection server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertFalse(server.isOpen());
    assertThrows(IOException.class, () -> server.write(bytes("late")));
    client.awaitClosed(WAIT);
    assertEquals(1, serverSide.reads(), "nothing is delivered after the handler failed");
    assertEquals(1, serverSide.closes());
  }

  @Test
  void connectionResetClosesWithAnIOException() throws Exception {
    try (ServerSocket raw = new ServerSocket(0, 1, LOOPBACK)) {
      Inbox client = new Inbox();
      NettyConnection conn = connect(transport,
          new InetSocketAddress(LOOPBACK, raw.getLocalPort()), OPTIONS, client);
      Socket peer = raw.accept();
      conn.write(bytes("ping"));
      peer.setSoTimeout((int) WAIT.toMillis());
      assertEquals('p', peer.getInputStream().read());
      peer.setSoLinger(true, 0); // closes with RST: the connection is lost, not ended in order
      peer.close();
      assertInstanceOf(IOException.class, client.awaitClosed(WAIT));
      assertFalse(conn.isOpen());
      assertThrows(IOException.class, () -> conn.write(bytes("late")));
      assertEquals(1, client.closes());
    }
  }

  /** A peer may close before connect() has returned; the handler still hears of it, once. */
  @Test
  void peerClosingAtOnceStillGivesOnClosedOnce() throws Exception {
    int connections = 20;
    try (ServerSocket raw = new ServerSocket(0, connections, LOOPBACK)) {
      Future<?> closer = pool.submit(() -> {
        for (int i = 0; i < connections; i++) {
          raw.accept().close();
        }
        return null;
      });
      List<Inbox> clients = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        Inbox client = new Inbox();
        connect(transport, new InetSocketAddress(LOOPBACK, raw.getLocalPort()), OPTIONS, client);
        clients.add(client);
      }
      closer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      for (Inbox client : clients) {
        assertNull(client.awaitClosed(WAIT));
      }
      closeAll();
      for (Inbox client : clients) {
        assertEquals(1, client.closes());
      }
    }
  }

  @Test
  void connectToAClosedPortFailsWithoutOnClosed() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      port = s.getLocalPort();
    }
    Inbox client = new Inbox();
    assertThrows(IOException.class,
        () -> transport.connect(new InetSocketAddress(LOOPBACK, port), OPTIONS, client));
    assertEquals(0, client.closes(), "no connection, so no onClosed");
    assertTrue(waitUntil(() -> liveLoopThreads().isEmpty()),
        () -> "the failed connection holds threads: " + liveLoopThreads());
  }

  /** A server whose accept queue is full lets connects hang: the connect timeout ends them. */
  @Test
  void connectGivesUpAfterTheConnectTimeout() throws Exception {
    try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK)) { // never accepts
      boolean filled = false;
      for (int i = 0; i < 10 && !filled; i++) {
        Socket s = closeLater(new Socket());
        try {
          s.connect(full.getLocalSocketAddress(), 200);
        } catch (SocketTimeoutException e) {
          filled = true; // the kernel now drops further connection requests
        }
      }
      assumeTrue(filled, "this kernel does not let a full accept queue stall connects");
      TransportOptions quick = TransportOptions.builder()
          .connectTimeout(Duration.ofMillis(300)).build();
      Inbox client = new Inbox();
      IOException e = assertTimeoutPreemptively(WAIT, () -> assertThrows(IOException.class,
          () -> transport.connect((InetSocketAddress) full.getLocalSocketAddress(), quick,
              client)));
      assertTrue(e.getMessage().contains("timed out"), e.toString());
      assertEquals(0, client.closes());
    }
  }

  // ---- close ----

  /**
   * Every write that returned before a close() reaches the peer, though close() came from
   * another writer while the rest were still writing.
   */
  @Test
  void closeDeliversEveryWriteThatReturnedBeforeIt() throws Exception {
    int writers = 4;
    for (int round = 0; round < 10; round++) {
      Inbox serverSide = new Inbox();
      Listener listener = listen(transport, OPTIONS, conn -> serverSide);
      NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS,
          new Inbox());
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> returned = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        returned.add(pool.submit(() -> {
          go.await();
          int n = 0;
          try {
            for (; n < 5_000; n++) {
              conn.write(ByteBuffer.allocate(8).putInt(writer).putInt(n).flip());
              if (writer == 0 && n == 300) {
                conn.close();
              }
            }
          } catch (IOException expected) {
            // closed under this writer
          }
          return n;
        }));
      }
      go.countDown();
      int[] wrote = new int[writers];
      for (int w = 0; w < writers; w++) {
        wrote[w] = returned.get(w).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      assertNull(serverSide.awaitClosed(WAIT));
      ByteBuffer in = ByteBuffer.wrap(serverSide.bytes());
      int[] got = new int[writers];
      while (in.remaining() >= 8) {
        int writer = in.getInt();
        assertEquals(got[writer], in.getInt(), "writer " + writer + " in order");
        got[writer]++;
      }
      assertEquals(0, in.remaining());
      for (int w = 0; w < writers; w++) {
        assertTrue(got[w] >= wrote[w],
            "round " + round + ", writer " + w + ": " + wrote[w] + " returned, " + got[w]
                + " came");
      }
      listener.close();
    }
  }

  @Test
  void listenerCloseClosesAcceptedConnectionsAndReleasesThreads() throws Exception {
    List<Inbox> serverSides = Collections.synchronizedList(new ArrayList<>());
    Listener listener = listen(transport, OPTIONS, conn -> {
      Inbox h = new Inbox(conn::write);
      serverSides.add(h);
      return h;
    });
    assertTrue(((InetSocketAddress) listener.localAddress()).getPort() > 0);
    List<Inbox> clients = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Inbox h = new Inbox();
      connect(transport, listener.localAddress(), OPTIONS, h).write(bytes("hi" + i));
      h.awaitBytes(3, WAIT);
      clients.add(h);
    }
    int defaultThreads = Math.min(Runtime.getRuntime().availableProcessors(), 4);
    assertEquals(defaultThreads, liveLoopThreads().size(),
        "a listener and its clients on one transport share one group: " + liveLoopThreads());

    listener.close();
    listener.close(); // idempotent
    for (Inbox h : serverSides) {
      assertNull(h.awaitClosed(WAIT), "each accepted connection is closed in order");
      assertEquals(1, h.closes());
    }
    for (Inbox h : clients) {
      assertNull(h.awaitClosed(WAIT), "and each client reads EOF");
    }
    closeAll(); // the clients' connections: the last users of the loops
    assertTrue(waitUntil(() -> liveLoopThreads().isEmpty()),
        () -> "threads still alive: " + liveLoopThreads());
  }

  @Test
  void loopsStartAgainAfterEverythingClosed() throws Exception {
    for (int i = 0; i < 3; i++) {
      Listener listener = transport.listen(new InetSocketAddress(LOOPBACK, 0), OPTIONS,
          conn -> new Inbox(conn::write));
      Inbox client = new Inbox();
      Connection conn = transport.connect(listener.localAddress(), OPTIONS, client);
      conn.write(bytes("again"));
      client.awaitBytes(5, WAIT);
      conn.close();
      listener.close(); // waits for the loops' threads to end, as it was their last user
      assertEquals(List.of(), liveLoopThreads());
    }
  }

  @Test
  void throwingAcceptorDropsOnlyThatConnection() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Listener listener = listen(transport, OPTIONS, conn -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("acceptor refuses the first connection (expected)");
      }
      return new Inbox(conn::write);
    });
    Inbox refused = new Inbox();
    connect(transport, listener.localAddress(), OPTIONS, refused);
    refused.awaitClosed(WAIT);

    Inbox served = new Inbox();
    connect(transport, listener.localAddress(), OPTIONS, served)
        .write(bytes("still serving"));
    assertArrayEquals(bytes("still serving").array(), served.awaitBytes(13, WAIT));
    assertEquals(2, calls.get());
  }

  @Test
  void acceptorMayWriteBeforeReturningItsHandler() throws Exception {
    Listener listener = listen(transport, OPTIONS, conn -> {
      try {
        conn.write(bytes("hello"));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return new Inbox();
    });
    Inbox client = new Inbox();
    connect(transport, listener.localAddress(), OPTIONS, client);
    assertArrayEquals(bytes("hello").array(), client.awaitBytes(5, WAIT));
  }

  // ---- wiring ----

  @Test
  void pluginRegistryFindsNettyAndMakesItTheDefault() throws Exception {
    Transport found = PluginRegistry.find(Transport.class, "netty");
    assertInstanceOf(NettyTransport.class, found);
    assertEquals(10, found.priority());
    assertInstanceOf(NettyTransport.class, PluginRegistry.defaultFor(Transport.class),
        "netty outranks socket (also installed here)");
    Module module = NettyTransport.class.getModule();
    assertEquals("io.protorpc.transport.netty", module.getName(), "runs on the module path");
    assertEquals(Set.of("io.protorpc.transport.netty"), module.getDescriptor().exports()
        .stream().map(ModuleDescriptor.Exports::source)
        .collect(Collectors.toSet()));
    try (InputStream in =
        module.getResourceAsStream("META-INF/services/io.protorpc.spi.Transport")) {
      assertNotNull(in, "class-path registration is present too");
      assertEquals(NettyTransport.class.getName(), new String(in.readAllBytes(), UTF_8).trim());
    }
  }

  @Test
  void socketOptionsComeFromTheTransportOptions() throws Exception {
    TransportOptions options = TransportOptions.builder().writeBufferBytes(10_000).build();
    BlockingQueue<NettyConnection> accepted = new ArrayBlockingQueue<>(1);
    Listener listener = listen(transport, options, conn -> {
      accepted.add((NettyConnection) conn);
      return new Inbox();
    });
    NettyConnection client = connect(transport, listener.localAddress(), options, new Inbox());
    NettyConnection server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    for (NettyConnection c : List.of(client, server)) {
      ChannelConfig config = c.channel().config();
      assertEquals(true, config.getOption(ChannelOption.TCP_NODELAY), "TCP_NODELAY");
      assertEquals(true, config.getOption(ChannelOption.SO_KEEPALIVE), "SO_KEEPALIVE");
      assertEquals(10_000, config.getWriteBufferHighWaterMark());
      assertEquals(5_000, config.getWriteBufferLowWaterMark());
    }
  }

  @Test
  void ioThreadsOptionSizesTheGroup() throws Exception {
    TransportOptions one = TransportOptions.builder().ioThreads(1).build();
    Listener listener = listen(transport, one, conn -> new Inbox(conn::write));
    for (int i = 0; i < 3; i++) {
      Inbox client = new Inbox();
      connect(transport, listener.localAddress(), one, client).write(bytes("x"));
      client.awaitBytes(1, WAIT);
    }
    assertEquals(1, liveLoopThreads().size(), () -> "" + liveLoopThreads());
  }
}
