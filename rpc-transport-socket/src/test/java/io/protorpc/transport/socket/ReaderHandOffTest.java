package io.protorpc.transport.socket;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.StatusCode;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Threads;
import io.protorpc.spi.TransportOptions;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leader/follower reading on real loopback sockets: a reader that takes a task passes the reading
 * to another thread first, so the task (a handler) never stalls its connection; closes during a
 * hand-off end everything once; the server runs a request on an idle connection on the reader
 * that read it and every call still ends.
 */
class ReaderHandOffTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final long WAIT_SECONDS = 10;
  private static final TransportOptions OPTIONS = TransportOptions.builder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final SocketTransport transport = new SocketTransport();
  private final List<AutoCloseable> resources = Collections.synchronizedList(new ArrayList<>());
  /** Released at the end of each test, so no task stays blocked. */
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void close() throws Exception {
    release.countDown();
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  // ---- the transport alone ----

  /** Server side: hands off on the first read with a task that waits for {@link #release}. */
  private final class HandingOff implements ConnectionHandler {
    final Connection connection;
    final BlockingQueue<String> reads = new LinkedBlockingQueue<>();
    final BlockingQueue<Thread> readThreads = new LinkedBlockingQueue<>();
    final CompletableFuture<Thread> taskThread = new CompletableFuture<>();
    final CompletableFuture<Void> taskDone = new CompletableFuture<>();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger closedCalls = new AtomicInteger();
    volatile boolean secondTaskRefused;
    volatile RuntimeException throwAfterHandOff;
    private boolean handedOff;

    HandingOff(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void onRead(ByteBuffer data) {
      readThreads.add(Thread.currentThread());
      reads.add(UTF_8.decode(data).toString());
      if (handedOff) {
        return;
      }
      handedOff = true;
      assertTrue(connection.handOffReading(() -> {
        events.add("task");
        taskThread.complete(Thread.currentThread());
        try {
          release.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        taskDone.complete(null);
      }));
      secondTaskRefused = !connection.handOffReading(() -> events.add("second task"));
      if (throwAfterHandOff != null) {
        throw throwAfterHandOff;
      }
    }

    @Override
    public void onClosed(Throwable cause) {
      events.add("closed");
      closedCalls.incrementAndGet();
    }
  }

  private final Map<Connection, HandingOff> accepted = new ConcurrentHashMap<>();
  private final BlockingQueue<HandingOff> acceptedInOrder = new LinkedBlockingQueue<>();

  private Listener listen(RuntimeException throwAfterHandOff) throws IOException {
    Listener l = transport.listen(new InetSocketAddress(LOOPBACK, 0), OPTIONS, c -> {
      HandingOff h = new HandingOff(c);
      h.throwAfterHandOff = throwAfterHandOff;
      accepted.put(c, h);
      acceptedInOrder.add(h);
      return h;
    });
    resources.add(l);
    return l;
  }

  private Connection connect(Listener l, ConnectionHandler handler) throws IOException {
    Connection c = transport.connect(l.localAddress(), OPTIONS, handler);
    resources.add(c::close);
    return c;
  }

  @Test
  void aTaskRunsOnItsFormerReaderWhileAnotherThreadReadsOn() throws Exception {
    Listener l = listen(null);
    Connection client = connect(l, new RecordingHandler());
    client.write(ByteBuffer.wrap("first".getBytes(UTF_8)));
    HandingOff server = acceptedInOrder.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(server);
    assertEquals("first", server.reads.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    Thread firstReader = server.readThreads.poll();
    assertSame(firstReader, server.taskThread.get(WAIT_SECONDS, TimeUnit.SECONDS),
        "the task runs on the thread that read");
    assertTrue(server.secondTaskRefused, "one task per onRead");

    // The task blocks; the connection is read all the same, by another thread.
    client.write(ByteBuffer.wrap("second".getBytes(UTF_8)));
    assertEquals("second", server.reads.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertNotEquals(firstReader, server.readThreads.poll());
    assertFalse(server.taskDone.isDone());

    release.countDown();
    server.taskDone.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals(List.of("task"), server.events, "the refused task never runs");
  }

  /**
   * On a busy machine the successor may get no CPU before the task is done: the former reader
   * then takes the reading back and reads on itself. Here the relay's second thread cannot start
   * until the test lets it.
   */
  @Test
  void aTaskDoneBeforeTheSuccessorRunsTakesTheReadingBack() throws Exception {
    CountDownLatch successorMayRun = new CountDownLatch(1);
    AtomicInteger made = new AtomicInteger();
    List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
    ThreadFactory gated = r -> {
      boolean first = made.incrementAndGet() == 1;
      Thread t = new Thread(() -> {
        try {
          if (!first) {
            successorMayRun.await(WAIT_SECONDS, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          return;
        }
        r.run();
      }, "gated-reader-" + made.get());
      t.setDaemon(true);
      threads.add(t);
      return t;
    };
    Listener l = SocketListener.open(new InetSocketAddress(LOOPBACK, 0), OPTIONS, c -> {
      HandingOff h = new HandingOff(c);
      acceptedInOrder.add(h);
      return h;
    }, Threads.daemon("gated-accept"), gated);
    resources.add(l);
    release.countDown(); // the task returns at once
    Connection client = connect(l, new RecordingHandler());
    client.write(ByteBuffer.wrap("first".getBytes(UTF_8)));
    HandingOff server = acceptedInOrder.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(server);
    Thread former = server.taskThread.get(WAIT_SECONDS, TimeUnit.SECONDS);
    server.taskDone.get(WAIT_SECONDS, TimeUnit.SECONDS);

    client.write(ByteBuffer.wrap("second".getBytes(UTF_8)));
    assertEquals("first", server.reads.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals("second", server.reads.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    server.readThreads.poll();
    assertSame(former, server.readThreads.poll(), "the former reader read on");
    assertEquals(2, threads.size(), "a successor was made and woken");

    successorMayRun.countDown(); // it finds the reading taken and waits idle
    client.write(ByteBuffer.wrap("third".getBytes(UTF_8)));
    assertEquals("third", server.reads.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertSame(former, server.readThreads.poll());
    l.close();
    assertAllEnd(threads);
    assertEquals(1, server.closedCalls.get());
  }

  private static void assertAllEnd(Iterable<Thread> threads) throws InterruptedException {
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      assertFalse(t.isAlive(), t + " ended after the listener closed");
    }
  }

  /** Connects to {@code l}, sends {@code text}, and returns the server side's handler. */
  private HandingOff connectAndSend(Listener l, RecordingHandler clientSide, String text)
      throws Exception {
    connect(l, clientSide).write(ByteBuffer.wrap(text.getBytes(UTF_8)));
    HandingOff server = acceptedInOrder.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(server);
    return server;
  }

  @Test
  void aCloseDuringAHandOffEndsTheConnectionOnceAndTheTaskStillEnds() throws Exception {
    Listener l = listen(null);
    Connection client = connect(l, new RecordingHandler());
    client.write(ByteBuffer.wrap("x".getBytes(UTF_8)));
    HandingOff server = acceptedInOrder.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(server);
    Thread former = server.taskThread.get(WAIT_SECONDS, TimeUnit.SECONDS);
    SocketConnection conn = (SocketConnection) server.connection;
    assertTrue(waitUntil(() -> conn.reader() != former), "another thread took over the reading");
    Thread successor = conn.reader();

    client.close(); // the new reader sees the end while the task still runs
    assertTrue(waitUntil(() -> server.closedCalls.get() == 1), "onClosed once, task running");
    assertFalse(server.taskDone.isDone());
    Set<Thread> readers = ConcurrentHashMap.newKeySet();
    readers.add(successor);

    release.countDown();
    server.taskDone.get(WAIT_SECONDS, TimeUnit.SECONDS);
    l.close(); // ends the relay's idle threads: every thread this connection used ends
    readers.add(former);
    assertAllEnd(readers);
    assertEquals(1, server.closedCalls.get());
  }

  @Test
  void aListenerClosedDuringAHandOffClosesTheConnectionAndTheTaskStillEnds() throws Exception {
    Listener l = listen(null);
    RecordingHandler clientSide = new RecordingHandler();
    HandingOff server = connectAndSend(l, clientSide, "x");
    Thread former = server.taskThread.get(WAIT_SECONDS, TimeUnit.SECONDS);

    l.close(); // does not wait for the task: it is no longer the connection's reader
    assertEquals(1, server.closedCalls.get(), "the listener waited for the reading to end");
    clientSide.awaitClosed(Duration.ofSeconds(WAIT_SECONDS));
    assertTrue(former.isAlive());

    release.countDown();
    server.taskDone.get(WAIT_SECONDS, TimeUnit.SECONDS);
    former.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertFalse(former.isAlive(), "the relay is closed: the former reader ends after its task");
  }

  @Test
  void anOnReadThatThrowsAfterTakingATaskClosesFirstThenRunsIt() throws Exception {
    RuntimeException boom = new IllegalStateException("handler failed after the hand-off");
    Listener l = listen(boom);
    RecordingHandler clientSide = new RecordingHandler();
    HandingOff server = connectAndSend(l, clientSide, "x");
    Thread reader = server.readThreads.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertSame(reader, server.taskThread.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(List.of("closed", "task"), server.events);
    clientSide.awaitClosed(Duration.ofSeconds(WAIT_SECONDS));
    release.countDown();
    server.taskDone.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void aClientConnectionAndOtherThreadsCannotHandOff() throws Exception {
    Listener l = listen(null);
    CompletableFuture<Boolean> onClientReader = new CompletableFuture<>();
    Connection[] self = new Connection[1];
    RecordingHandler clientSide = new RecordingHandler(
        data -> onClientReader.complete(self[0].handOffReading(() -> { })));
    Connection client = connect(l, clientSide);
    self[0] = client;
    client.write(ByteBuffer.wrap("x".getBytes(UTF_8)));
    HandingOff server = acceptedInOrder.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(server);
    assertFalse(server.connection.handOffReading(() -> { }), "not from outside an onRead");
    server.connection.write(ByteBuffer.wrap("y".getBytes(UTF_8)));
    assertFalse(onClientReader.get(WAIT_SECONDS, TimeUnit.SECONDS),
        "a client's reading never moves");
  }

  // ---- the server on it ----

  /** Which thread ran each call's handler, by the request's text. */
  private final Map<String, Thread> handlerThreads = new ConcurrentHashMap<>();
  private final CountDownLatch blockingStarted = new CountDownLatch(1);

  private RpcServer server() throws IOException {
    RpcServer s = RpcServer.builder().address(new InetSocketAddress(LOOPBACK, 0))
        .transport(transport).addService(new TestServiceImpl().asService())
        .intercept((controller, request, next, done) -> {
          String text = ((EchoRequest) request).getText();
          handlerThreads.put(text, Thread.currentThread());
          if (text.equals("block")) {
            blockingStarted.countDown();
            try {
              release.await(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          next.handle(controller, request, done);
        }).start();
    resources.add(s);
    return s;
  }

  private RpcClient client(RpcServer server) throws IOException {
    RpcClient c = RpcClient.builder().address(server.localAddress()).transport(transport)
        .connect();
    resources.add(c);
    return c;
  }

  private static EchoRequest echo(String text) {
    return EchoRequest.newBuilder().setText(text).build();
  }

  @Test
  void aBlockingHandlerOnTheFormerReaderDoesNotStallItsConnection() throws Exception {
    RpcServer server = server();
    RpcClient client = client(server);
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    assertEquals("warm", stub.echo(new ClientController(), echo("warm")).getText());
    assertTrue(handlerThreads.get("warm").getName().startsWith("protorpc-socket-conn-"),
        "a call on an idle connection runs on the thread that read it: "
            + handlerThreads.get("warm"));

    CompletableFuture<EchoResponse> blocked = new CompletableFuture<>();
    ClientController bc = new ClientController();
    TestService.newStub(client).echo(bc, echo("block"), blocked::complete);
    assertTrue(blockingStarted.await(WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(handlerThreads.get("block").getName().startsWith("protorpc-socket-conn-"));

    // Its connection is read on: other calls are served while it blocks, on the executor.
    for (int i = 0; i < 3; i++) {
      assertEquals("quick" + i, stub.echo(new ClientController(), echo("quick" + i)).getText());
      assertNotEquals(handlerThreads.get("block"), handlerThreads.get("quick" + i));
    }
    assertFalse(blocked.isDone());

    release.countDown();
    EchoResponse r = blocked.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(r, String.valueOf(bc.status()));
    assertEquals("block", r.getText());
  }

  @Test
  void shuttingDownDuringAHandOffEndsEveryCall() throws Exception {
    RpcServer server = server();
    RpcClient client = client(server);
    CompletableFuture<EchoResponse> blocked = new CompletableFuture<>();
    ClientController bc = new ClientController();
    TestService.newStub(client).echo(bc, echo("block"), blocked::complete);
    assertTrue(blockingStarted.await(WAIT_SECONDS, TimeUnit.SECONDS));
    Thread former = handlerThreads.get("block");
    assertTrue(former.getName().startsWith("protorpc-socket-conn-"), former.getName());

    server.shutdownNow(); // the handler is cancelled; the connection closes under it
    assertTrue(server.awaitTermination(Duration.ofSeconds(WAIT_SECONDS)));
    assertEquals(null, blocked.get(WAIT_SECONDS, TimeUnit.SECONDS), "the call failed");
    assertEquals(StatusCode.UNAVAILABLE, bc.status().code(), bc.status().toString());

    release.countDown(); // the handler returns; its answer has nowhere to go
    former.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertFalse(former.isAlive(), "the former reader ends once its handler returns");
  }

  private static boolean waitUntil(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(1);
    }
    return true;
  }
}
