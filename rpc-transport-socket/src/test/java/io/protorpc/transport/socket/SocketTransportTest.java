package io.protorpc.transport.socket;

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

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SocketTransport} over real loopback sockets. */
class SocketTransportTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final TransportOptions OPTIONS = TransportOptions.builder()
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private final Transport transport = new SocketTransport();
  /** Closed after each test, last opened first. */
  private final List<AutoCloseable> resources = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  // ---- echo and writes ----

  @Test
  void anInProcessAddressIsRefusedWithTheTransportToUse() {
    io.protorpc.InProcessAddress name = new io.protorpc.InProcessAddress("elsewhere");
    assertFalse(transport.supports(name));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> transport.connect(name, OPTIONS, new RecordingHandler()));
    assertTrue(e.getMessage().contains("inproc"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> transport.listen(name, OPTIONS, c -> new RecordingHandler()));
  }

  @Test
  void echoesOneMebibyteIntact() throws Exception {
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    Listener listener = listen(conn -> {
      accepted.add(conn);
      return new RecordingHandler(conn::write);
    });
    RecordingHandler client = new RecordingHandler();
    Connection conn = connect(listener, client);

    byte[] data = new byte[1 << 20];
    new Random(42).nextBytes(data);
    int chunk = 10_000; // not a divisor of 1 MiB, and larger than the scratch array
    for (int off = 0, i = 0; off < data.length; off += chunk, i++) {
      int len = Math.min(chunk, data.length - off);
      ByteBuffer b = chunkBuffer(i % 3, data, off, len);
      int position = b.position();
      conn.write(b);
      assertEquals(position, b.position(), "write leaves the buffer's position unchanged");
    }
    assertArrayEquals(data, client.awaitBytes(data.length, WAIT));

    Connection server = accepted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(server);
    assertEquals(((InetSocketAddress) listener.localAddress()).getPort(),
        ((InetSocketAddress) conn.remoteAddress()).getPort());
    assertEquals(conn.localAddress(), server.remoteAddress());
    assertEquals(conn.remoteAddress(), server.localAddress());

    Thread reader = ((SocketConnection) conn).reader();
    assertTrue(reader.getName().startsWith("protorpc-socket-client-"), reader.getName());
    // getAllStackTraces lists platform threads only: the reader is virtual exactly when it can be.
    assertEquals(Threads.hasVirtualThreads(), !Thread.getAllStackTraces().containsKey(reader));
  }

  /** A heap slice (non-zero array offset), a direct buffer, or a read-only one, holding data. */
  private static ByteBuffer chunkBuffer(int kind, byte[] data, int off, int len) {
    switch (kind) {
      case 0:
        ByteBuffer padded = ByteBuffer.allocate(len + 7);
        padded.position(7);
        ByteBuffer slice = padded.slice();
        slice.put(data, off, len).flip();
        return slice;
      case 1:
        ByteBuffer direct = ByteBuffer.allocateDirect(len);
        direct.put(data, off, len).flip();
        return direct;
      default:
        return ByteBuffer.wrap(data, off, len).asReadOnlyBuffer();
    }
  }

  @Test
  void concurrentWritersNeverInterleave() throws Exception {
    int threads = 8;
    int perThread = 500;
    RecordParser parser = new RecordParser(threads, threads * perThread);
    Listener listener = listen(conn -> new RecordingHandler(parser::feed));
    Connection conn = connect(listener, new RecordingHandler());

    ExecutorService pool = Executors.newFixedThreadPool(threads);
    resources.add(pool::shutdownNow);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      writers.add(pool.submit(() -> {
        go.await();
        for (int seq = 0; seq < perThread; seq++) {
          ByteBuffer[] record = RecordParser.record(thread, seq);
          conn.write(record);
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> w : writers) {
      w.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    assertTrue(parser.awaitAll(WAIT), () -> "records seen: " + parser.count());
    assertEquals(List.of(), parser.errors());
    assertEquals(threads * perThread, parser.count());
  }

  /**
   * A write that returned must reach the peer even when the writer closes right after it: its
   * flush may have been left to a writer queued behind it that close() then beats.
   */
  @Test
  void writesThatReturnedBeforeCloseAreDelivered() throws Exception {
    int rounds = 20;
    int writers = 4;
    int maxWrites = 2_000;
    int closeAfter = 200; // writer 0 closes the connection after this many writes
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    resources.add(pool::shutdownNow);
    for (int round = 0; round < rounds; round++) {
      RecordingHandler serverHandler = new RecordingHandler();
      Listener listener = listen(conn -> serverHandler);
      Connection conn = connect(listener, new RecordingHandler());
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> written = new ArrayList<>();
      for (int t = 0; t < writers; t++) {
        int thread = t;
        written.add(pool.submit(() -> {
          go.await();
          int returned = 0;
          try {
            for (int seq = 0; seq < maxWrites; seq++) {
              conn.write(ByteBuffer.allocate(8).putInt(thread).putInt(seq).flip());
              returned++;
              if (thread == 0 && returned == closeAfter) {
                conn.close();
              }
            }
          } catch (IOException expected) {
            // the connection was closed under this writer
          }
          return returned;
        }));
      }
      go.countDown();
      int[] returned = new int[writers];
      for (int t = 0; t < writers; t++) {
        returned[t] = written.get(t).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      assertNull(serverHandler.awaitClosed(WAIT), "the server reads EOF");
      int[] received = new int[writers];
      ByteBuffer in = ByteBuffer.wrap(serverHandler.awaitBytes(0, WAIT));
      while (in.remaining() >= 8) {
        int thread = in.getInt();
        int seq = in.getInt();
        assertEquals(received[thread], seq, "thread " + thread + " in order");
        received[thread]++;
      }
      for (int t = 0; t < writers; t++) {
        assertTrue(received[t] >= returned[t], "round " + round + ", writer " + t + ": "
            + returned[t] + " writes returned but " + received[t] + " arrived");
      }
      listener.close();
    }
  }

  /** A peer that stops reading blocks writers, but not a close: the writers fail instead. */
  @Test
  void closeIsNotHeldUpByWritersBlockedOnStalledPeer() throws Exception {
    try (ServerSocket raw = new ServerSocket(0, 1, LOOPBACK)) {
      raw.setReceiveBufferSize(4096); // inherited by the accepted socket, which is never read
      Connection conn = transport.connect(
          new InetSocketAddress(LOOPBACK, raw.getLocalPort()), OPTIONS, new RecordingHandler());
      resources.add(conn::close);
      Socket peer = raw.accept();
      resources.add(peer);

      int writers = 2;
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      resources.add(pool::shutdownNow);
      CountDownLatch wrote = new CountDownLatch(writers);
      List<Future<IOException>> failures = new ArrayList<>();
      for (int t = 0; t < writers; t++) {
        failures.add(pool.submit(() -> {
          ByteBuffer big = ByteBuffer.allocate(1 << 20);
          ByteBuffer small = ByteBuffer.allocate(100);
          try {
            for (int i = 0; i < 256; i++) { // 128 MiB: far more than the socket buffers hold
              // Small writes may leave their flush to the other writer, so close() may find
              // bytes to flush while that writer is stuck: its flush gives up after a second.
              conn.write(i % 2 == 0 ? small : big);
              wrote.countDown();
            }
          } catch (IOException e) {
            return e;
          }
          return null;
        }));
      }
      assertTrue(wrote.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

      // Preemptive, so a close that hangs fails the test instead of the build. A close takes
      // milliseconds; 5 s allows for a starved CI machine (a 1.2 s whole-JVM stall was seen).
      Duration took = assertTimeoutPreemptively(WAIT, () -> {
        long start = System.nanoTime();
        conn.close();
        return Duration.ofNanos(System.nanoTime() - start);
      });
      assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "close took " + took);
      for (Future<IOException> f : failures) {
        assertNotNull(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the writer failed");
      }
    }
  }

  // ---- onClosed, exactly once ----

  @Test
  void peerCloseGivesOrderlyOnClosedOnce() throws Exception {
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    RecordingHandler serverHandler = new RecordingHandler();
    Listener listener = listen(conn -> {
      accepted.add(conn);
      return serverHandler;
    });
    RecordingHandler client = new RecordingHandler();
    Connection conn = connect(listener, client);
    Connection server = accepted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(server);

    long start = System.nanoTime();
    server.close();
    assertNull(client.awaitClosed(WAIT), "EOF is an orderly close");
    Duration seen = Duration.ofNanos(System.nanoTime() - start);
    // at once on loopback; 5 s allows for a starved CI machine, short of the WAIT a missed EOF takes
    assertTrue(seen.compareTo(Duration.ofSeconds(5)) < 0, "client saw the close after " + seen);
    assertNull(serverHandler.awaitClosed(WAIT), "a local close is an orderly close");

    assertFalse(conn.isOpen());
    conn.close(); // idempotent: no second onClosed
    server.close();
    awaitReaderEnd(conn);
    awaitReaderEnd(server);
    assertEquals(1, client.closedCalls());
    assertEquals(1, serverHandler.closedCalls());
    IOException e = assertThrows(IOException.class, () -> conn.write(bytes("late")));
    assertEquals("connection closed", e.getMessage());
  }

  @Test
  void localCloseGivesOrderlyOnClosedOnceAndRefusesWrites() throws Exception {
    RecordingHandler serverHandler = new RecordingHandler();
    Listener listener = listen(conn -> serverHandler);
    RecordingHandler client = new RecordingHandler();
    Connection conn = connect(listener, client);
    conn.write(bytes("hi"));
    serverHandler.awaitBytes(2, WAIT);

    conn.close();
    conn.close();
    assertFalse(conn.isOpen());
    IOException e = assertThrows(IOException.class, () -> conn.write(bytes("late")));
    assertEquals("connection closed", e.getMessage());
    assertNull(client.awaitClosed(WAIT));
    assertNull(serverHandler.awaitClosed(WAIT), "the server reads EOF");
    awaitReaderEnd(conn);
    assertEquals(1, client.closedCalls());
  }

  @Test
  void handlerExceptionClosesConnectionWithThatCause() throws Exception {
    RuntimeException boom = new IllegalStateException("boom");
    BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(1);
    RecordingHandler serverHandler = new RecordingHandler(data -> {
      throw boom;
    });
    Listener listener = listen(conn -> {
      accepted.add(conn);
      return serverHandler;
    });
    RecordingHandler client = new RecordingHandler();
    Connection conn = connect(listener, client);
    conn.write(bytes("x"));

    assertSame(boom, serverHandler.awaitClosed(WAIT));
    Connection server = accepted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(server);
    assertFalse(server.isOpen());
    assertThrows(IOException.class, () -> server.write(bytes("late")));
    client.awaitClosed(WAIT); // the client's side ends too (EOF)
    awaitReaderEnd(server);
    assertEquals(1, serverHandler.closedCalls());
  }

  @Test
  void clientHandlerExceptionClosesClientConnectionWithThatCause() throws Exception {
    RuntimeException boom = new IllegalArgumentException("client boom");
    Listener listener = listen(conn -> {
      RecordingHandler h = new RecordingHandler();
      try {
        conn.write(bytes("hello"));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return h;
    });
    RecordingHandler client = new RecordingHandler(data -> {
      throw boom;
    });
    Connection conn = connect(listener, client);

    assertSame(boom, client.awaitClosed(WAIT));
    assertFalse(conn.isOpen());
    assertThrows(IOException.class, () -> conn.write(bytes("late")));
    awaitReaderEnd(conn);
    assertEquals(1, client.closedCalls());
  }

  // ---- connection loss ----

  @Test
  void connectionResetClosesClientWithCause() throws Exception {
    try (ServerSocket raw = new ServerSocket(0, 1, LOOPBACK)) {
      CompletableFuture<Socket> acceptedRaw = new CompletableFuture<>();
      Thread acceptor = new Thread(() -> {
        try {
          acceptedRaw.complete(raw.accept());
        } catch (IOException e) {
          acceptedRaw.completeExceptionally(e);
        }
      }, "test-raw-accept");
      acceptor.setDaemon(true);
      acceptor.start();

      RecordingHandler client = new RecordingHandler();
      Connection conn = transport.connect(
          new InetSocketAddress(LOOPBACK, raw.getLocalPort()), OPTIONS, client);
      resources.add(conn::close);
      Socket peer = acceptedRaw.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      conn.write(bytes("ping"));
      assertEquals('p', readOne(peer));

      long start = System.nanoTime();
      peer.setSoLinger(true, 0); // close with RST: the connection is lost, not ended in order
      peer.close();
      Throwable cause = client.awaitClosed(WAIT);
      Duration seen = Duration.ofNanos(System.nanoTime() - start);
      assertInstanceOf(IOException.class, cause);
      // at once on loopback; 5 s allows for a starved CI machine, short of the WAIT a missed RST
      // takes
      assertTrue(seen.compareTo(Duration.ofSeconds(5)) < 0, "client saw the loss after " + seen);
      assertFalse(conn.isOpen());
      assertThrows(IOException.class, () -> conn.write(bytes("late")));
      awaitReaderEnd(conn);
      assertEquals(1, client.closedCalls());
    }
  }

  private static int readOne(Socket socket) throws IOException {
    socket.setSoTimeout((int) WAIT.toMillis());
    InputStream in = socket.getInputStream();
    return in.read();
  }

  @Test
  void connectToClosedPortFailsPromptly() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      port = s.getLocalPort();
    }
    RecordingHandler client = new RecordingHandler();
    // A refusal is at once; a connect that waited it out instead would take the 30 s timeout,
    // far past the 5 s that allow for a starved CI machine.
    TransportOptions patient = TransportOptions.builder().connectTimeout(Duration.ofSeconds(30))
        .build();
    long start = System.nanoTime();
    assertThrows(IOException.class,
        () -> transport.connect(new InetSocketAddress(LOOPBACK, port), patient, client));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "refused after " + took);
    assertEquals(0, client.closedCalls(), "no connection, so no onClosed");
  }

  // ---- listener ----

  @Test
  void listenerCloseClosesAcceptedConnectionsAndReleasesThreads() throws Exception {
    int clients = 3;
    List<RecordingHandler> serverHandlers = Collections.synchronizedList(new ArrayList<>());
    Listener listener = listen(conn -> {
      RecordingHandler h = new RecordingHandler(conn::write);
      serverHandlers.add(h);
      return h;
    });
    assertTrue(((InetSocketAddress) listener.localAddress()).getPort() > 0);
    assertFalse(liveTransportThreads().isEmpty(), "the accept thread runs while listening");

    List<Connection> conns = new ArrayList<>();
    List<RecordingHandler> clientHandlers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      RecordingHandler h = new RecordingHandler();
      Connection c = connect(listener, h);
      c.write(bytes("echo" + i));
      h.awaitBytes(5, WAIT); // the server's reader is up and serving this connection
      conns.add(c);
      clientHandlers.add(h);
    }
    assertEquals(clients, serverHandlers.size());

    listener.close();
    listener.close(); // idempotent

    for (RecordingHandler h : clientHandlers) {
      assertNull(h.awaitClosed(WAIT), "each client reads EOF");
    }
    for (RecordingHandler h : serverHandlers) {
      assertNull(h.awaitClosed(WAIT), "each accepted connection is closed in order");
      assertEquals(1, h.closedCalls());
    }
    for (Connection c : conns) {
      awaitReaderEnd(c);
    }
    // Threads of the transport end: reader threads were joined above; virtual threads (JDK 21+)
    // are not listed by getAllStackTraces, platform threads (the accept thread, readers on 17) are.
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Thread t : liveTransportThreads()) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    assertEquals(List.of(), liveTransportThreads().stream().map(Thread::getName)
        .collect(Collectors.toList()));
  }

  private static List<Thread> liveTransportThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("protorpc-socket"))
        .collect(Collectors.toList());
  }

  @Test
  void throwingAcceptorDropsOnlyThatConnection() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Listener listener = listen(conn -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("acceptor refuses the first connection (expected)");
      }
      return new RecordingHandler(conn::write);
    });

    RecordingHandler refused = new RecordingHandler();
    connect(listener, refused);
    refused.awaitClosed(WAIT); // its socket was closed by the server: EOF or reset

    RecordingHandler served = new RecordingHandler();
    Connection conn = connect(listener, served);
    conn.write(bytes("still serving"));
    assertArrayEquals(bytes("still serving").array(), served.awaitBytes(13, WAIT));
    assertEquals(2, calls.get());
  }

  // ---- wiring ----

  @Test
  void pluginRegistryFindsSocketTransport() throws Exception {
    Transport found = PluginRegistry.find(Transport.class, "socket");
    assertInstanceOf(SocketTransport.class, found);
    assertEquals("socket", found.name());
    assertTrue(found.isAvailable());
    Module module = SocketTransport.class.getModule();
    assertEquals("io.protorpc.transport.socket", module.getName(), "runs on the module path");
    try (InputStream in =
        module.getResourceAsStream("META-INF/services/io.protorpc.spi.Transport")) {
      assertNotNull(in, "class-path registration is present too");
      assertEquals(SocketTransport.class.getName(), new String(in.readAllBytes(), UTF_8).trim());
    }
  }

  // ---- helpers ----

  private Listener listen(Transport.Acceptor acceptor) throws IOException {
    Listener l = transport.listen(new InetSocketAddress(LOOPBACK, 0), OPTIONS, acceptor);
    resources.add(l);
    return l;
  }

  private Connection connect(Listener listener, ConnectionHandler handler) throws IOException {
    Connection c = transport.connect(listener.localAddress(), OPTIONS, handler);
    resources.add(c::close);
    return c;
  }

  /** Waits for the connection's reader to end: after that no handler call can come. */
  private static void awaitReaderEnd(Connection conn) throws InterruptedException {
    Thread reader = ((SocketConnection) conn).reader();
    reader.join(WAIT.toMillis());
    assertFalse(reader.isAlive(), "reader thread ended");
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(UTF_8));
  }
}
