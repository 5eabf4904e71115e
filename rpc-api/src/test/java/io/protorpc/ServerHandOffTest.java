package io.protorpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.health.Health;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The core's choice of thread for a handler (leader/follower): a request on a connection that runs
 * no other call is run by the thread that read it, after the transport passed the reading on,
 * but only on the server's own executor and within its thread bound; anything else goes to the
 * executor. ServerCalls against a fake carrier (the connection's side), with the health service as
 * the handler and an interceptor that records its thread.
 */
class ServerHandOffTest {
  private static final long WAIT_SECONDS = 10;
  private final List<RpcServer> servers = new ArrayList<>();
  /** The thread each handler ran on, in the order they ran. */
  private final BlockingQueue<Thread> handlerThreads = new LinkedBlockingQueue<>();
  /** Holds handlers until released, when a test needs them to stay running. */
  private volatile CountDownLatch holdHandlers = new CountDownLatch(0);

  @AfterEach
  void stop() {
    holdHandlers.countDown();
    servers.forEach(RpcServer::shutdownNow);
  }

  private RpcServer server(Consumer<RpcServer.Builder> configure) throws IOException {
    RpcServer.Builder b = RpcServer.builder().transport(new NoTransport()).codecs(new NoCodec())
        .health().intercept((controller, request, next, done) -> {
          handlerThreads.add(Thread.currentThread());
          try {
            holdHandlers.await(WAIT_SECONDS, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          next.handle(controller, request, done);
        });
    configure.accept(b);
    RpcServer s = b.start();
    servers.add(s);
    return s;
  }

  private static Envelope check(long id) {
    return Envelope.request(id, Health.SERVICE_NAME, "Check", 0, Metadata.empty(), "",
        ByteBuffer.allocate(0));
  }

  @Test
  void aRequestOnAnIdleConnectionRunsOnTheReaderAfterTheHandOff() throws Exception {
    ServerCalls calls = new ServerCalls(server(b -> { }));
    FakeCarrier carrier = new FakeCarrier(true);

    calls.dispatch(1L, check(1), carrier);

    assertEquals(1, carrier.handedOver.size(), "the transport was asked to run it after the"
        + " hand-off");
    assertNull(handlerThreads.poll(), "not run before the reading has passed on");
    carrier.handedOver.get(0).run(); // the transport: after onRead returns, on the former reader
    assertSame(Thread.currentThread(), handlerThreads.poll());
    Envelope answer = carrier.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(answer);
    assertTrue(answer.status().isOk(), answer.status().toString());
    assertEquals(0, calls.size());
    assertEquals(0, carrier.held, "every byte held for the call is let go");
  }

  @Test
  void aRequestWhileAnotherCallRunsGoesToTheExecutor() throws Exception {
    ServerCalls calls = new ServerCalls(server(b -> { }));
    FakeCarrier carrier = new FakeCarrier(true);
    holdHandlers = new CountDownLatch(1);

    calls.dispatch(1L, check(1), carrier);
    Runnable first = carrier.handedOver.get(0);
    Thread former = new Thread(first, "former-reader");
    former.start();
    assertSame(former, handlerThreads.poll(WAIT_SECONDS, TimeUnit.SECONDS));

    calls.dispatch(2L, check(2), carrier); // pipelined: the first still runs
    assertEquals(1, carrier.handedOver.size(), "the second is not handed over");
    Thread second = handlerThreads.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(second, "the executor ran the second while the first is held");
    assertNotSame(former, second);
    assertNotSame(Thread.currentThread(), second);

    holdHandlers.countDown();
    former.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertNotNull(carrier.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertNotNull(carrier.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void aUsersExecutorAlwaysGetsTheHandler() throws Exception {
    List<Runnable> given = new CopyOnWriteArrayList<>();
    Executor mine = given::add;
    ServerCalls calls = new ServerCalls(server(b -> b.executor(mine)));
    FakeCarrier carrier = new FakeCarrier(true);

    calls.dispatch(1L, check(1), carrier);

    assertEquals(0, carrier.handedOver.size(), "the user chose the handlers' threads");
    assertEquals(1, given.size());
    given.get(0).run();
    assertSame(Thread.currentThread(), handlerThreads.poll());
    assertNotNull(carrier.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void aCarrierThatCannotHandOffLeavesItToTheExecutor() throws Exception {
    ServerCalls calls = new ServerCalls(server(b -> { }));
    FakeCarrier carrier = new FakeCarrier(false);

    calls.dispatch(1L, check(1), carrier);

    Thread ran = handlerThreads.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(ran, "the executor ran it");
    assertNotSame(Thread.currentThread(), ran);
    assertTrue(ran.getName().startsWith("protorpc-handler-"), ran.getName());
    assertNotNull(carrier.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(1, carrier.asked, "asked once, refused");
  }

  /**
   * Handlers on former readers count in the default pool's thread bound (64 on JDK 17): with 64
   * of them taken, the next idle connection's request goes to the pool, which has no thread left
   * to start for it until one of them ends. A virtual thread per task has no bound to count in.
   */
  @Test
  void handlersOnFormerReadersCountInTheHandlerThreadBound() throws Exception {
    RpcServer server = server(b -> { });
    List<FakeCarrier> connections = new ArrayList<>();
    for (int i = 0; i < OwnedExecutor.POOL_THREADS; i++) {
      FakeCarrier c = new FakeCarrier(true);
      new ServerCalls(server).dispatch(1L, check(1), c);
      assertEquals(1, c.handedOver.size(), "connection " + i + " runs its call on its reader");
      connections.add(c);
    }
    FakeCarrier last = new FakeCarrier(true);
    new ServerCalls(server).dispatch(1L, check(1), last);

    if (Threads.hasVirtualThreads()) {
      assertEquals(1, last.handedOver.size(), "no thread bound to count in");
      return;
    }
    assertEquals(0, last.handedOver.size(), "the bound is reached: the pool takes it");
    assertNull(handlerThreads.poll(200, TimeUnit.MILLISECONDS),
        "no pool thread may start while 64 threads are lent");
    connections.get(0).handedOver.get(0).run(); // one lent thread's handler ends
    assertSame(Thread.currentThread(), handlerThreads.poll());
    Thread pooled = handlerThreads.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(pooled, "returning a lent thread lets the pool run what waited");
    assertTrue(pooled.getName().startsWith("protorpc-handler-"), pooled.getName());
    assertNotNull(last.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    for (FakeCarrier c : connections.subList(1, connections.size())) {
      c.handedOver.get(0).run();
      assertNotNull(c.answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }
  }

  /** A connection's side of its calls, as ServerSession's carrier is, without a connection. */
  private static final class FakeCarrier implements ServerCalls.Carrier {
    final boolean canHandOff;
    final List<Runnable> handedOver = new CopyOnWriteArrayList<>();
    final BlockingQueue<Envelope> answers = new LinkedBlockingQueue<>();
    volatile int asked;
    long held; // guarded by this

    FakeCarrier(boolean canHandOff) {
      this.canHandOff = canHandOff;
    }

    @Override
    public boolean runAfterHandOff(Runnable handler) {
      asked++;
      if (canHandOff) {
        handedOver.add(handler);
      }
      return canHandOff;
    }

    @Override
    public void respond(Envelope response) {
      answers.add(response);
    }

    @Override
    public void answered() {}

    @Override
    public SocketAddress remoteAddress() {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public SSLSession sslSession() {
      return null;
    }

    @Override
    public synchronized void hold(long bytes) {
      held += bytes;
    }
  }

  /** The server needs a listener; these tests hand requests to its calls directly. */
  private static final class NoTransport implements Transport {
    @Override
    public String name() {
      return "none";
    }

    @Override
    public io.protorpc.spi.Connection connect(SocketAddress remote, TransportOptions options,
        io.protorpc.spi.ConnectionHandler handler) {
      throw new UnsupportedOperationException("server-side test");
    }

    @Override
    public Listener listen(SocketAddress local, TransportOptions options, Acceptor acceptor) {
      return new Listener() {
        @Override
        public SocketAddress localAddress() {
          return local;
        }

        @Override
        public void close() {}
      };
    }
  }

  /** rpc-api's tests have no codec installed; nothing here encodes or decodes frames. */
  private static final class NoCodec implements Codec {
    @Override
    public String name() {
      return "none";
    }

    @Override
    public ByteBuffer[] encode(Envelope envelope) {
      throw new UnsupportedOperationException("no frames in this test");
    }

    @Override
    public Envelope decode(ByteBuffer frame, int maxHeaderSize) {
      throw new UnsupportedOperationException("no frames in this test");
    }
  }
}
