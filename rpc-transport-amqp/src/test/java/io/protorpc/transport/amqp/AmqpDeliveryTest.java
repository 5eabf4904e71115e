package io.protorpc.transport.amqp;

import static io.protorpc.transport.amqp.AmqpCallTest.client;
import static io.protorpc.transport.amqp.AmqpCallTest.newTopic;
import static io.protorpc.transport.amqp.AmqpCallTest.server;
import static io.protorpc.transport.amqp.AmqpCallTest.waitUntil;
import static io.protorpc.transport.amqp.AmqpCallTest.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.StatusCode;
import io.protorpc.spi.IncomingMessage;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.MessageTransport;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.DelayRequest;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Delivery through the broker: competing servers share a topic's load, a request waits in the
 * queue for a server until its deadline, and then expires there.
 */
@ExtendWith(SharedRabbit.class)
@Timeout(300) // the first test of a run waits for the shared broker to start
class AmqpDeliveryTest {

  @Test
  void threeServersShareThreeThousandCallsEvenly(RabbitNode node) throws Exception {
    String topic = newTopic();
    try (RpcClient client = client(node, topic);
        AmqpCallTest.Servers three = AmqpCallTest.Servers.start(node, topic, 3)) {
      List<TestServiceImpl> impls = three.impls();
      int calls = 3_000;
      Semaphore inFlight = new Semaphore(64);
      List<CompletableFuture<EchoResponse>> results = new ArrayList<>();
      TestService.Interface stub = TestService.newStub(client);
      for (int i = 0; i < calls; i++) {
        assertTrue(inFlight.tryAcquire(30, TimeUnit.SECONDS), "a call never ended");
        CompletableFuture<EchoResponse> f = new CompletableFuture<>();
        ClientController c = within(20_000);
        stub.echo(c, EchoRequest.newBuilder().setText("x").build(), r -> {
          inFlight.release();
          if (r == null) {
            f.completeExceptionally(new AssertionError(c.errorText()));
          } else {
            f.complete(r);
          }
        });
        results.add(f);
      }
      for (CompletableFuture<EchoResponse> f : results) {
        f.get(30, TimeUnit.SECONDS);
      }
      long total = impls.stream().mapToLong(TestServiceImpl::echoCount).sum();
      assertEquals(calls, total, "every call ran exactly once");
      for (TestServiceImpl impl : impls) {
        long share = impl.echoCount();
        assertTrue(Math.abs(share - calls / 3) <= calls / 3 * 0.15,
            "a server's share " + share + " is not within 15% of " + calls / 3 + " ("
                + impls.stream().map(x -> Long.toString(x.echoCount())).toList() + ")");
      }
    }
  }

  /**
   * A server holds at most its max calls in flight of the topic's requests and fanouts together
   * (the broker's prefetch), so none is refused with RESOURCE_EXHAUSTED and the rest wait in the
   * queue for it or for another server.
   */
  @Test
  void thePrefetchBoundsWhatAServerHolds(RabbitNode node) throws Exception {
    String topic = newTopic();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    ServerInterceptor count = (controller, request, next, done) -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      next.handle(controller, request, response -> {
        running.decrementAndGet();
        done.run(response);
      });
    };
    try (RpcServer server = RpcServer.builder().target(node.target(topic)).maxCallsInFlight(4)
            .addService(new TestServiceImpl().asService()).intercept(count).start();
        RpcClient client = client(node, topic);
        Connection admin = RabbitNodeTest.factory(node).newConnection();
        Channel ch = admin.createChannel()) {
      TestService.Interface stub = TestService.newStub(client);
      List<ClientController> calls = new ArrayList<>();
      List<CompletableFuture<EchoResponse>> answers = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        ClientController c = within(20_000);
        CompletableFuture<EchoResponse> f = new CompletableFuture<>();
        stub.delay(c, DelayRequest.newBuilder().setMillis(300).setText("d" + i).build(),
            f::complete);
        calls.add(c);
        answers.add(f);
      }
      TestService.BlockingInterface fanout = TestService.newBlockingStub(client.fanout());
      for (int i = 0; i < 3; i++) {
        fanout.delay(within(20_000), DelayRequest.newBuilder().setMillis(300).build());
      }
      assertTrue(waitUntil(() -> messages(ch, topic) >= 6), "the rest wait in the queue");
      for (int i = 0; i < answers.size(); i++) {
        EchoResponse r = answers.get(i).get(30, TimeUnit.SECONDS);
        assertEquals("d" + i, r == null ? calls.get(i).errorText() : r.getText());
      }
      assertTrue(waitUntil(() -> running.get() == 0), "the fanouts ran too");
      assertTrue(most.get() >= 2 && most.get() <= 4, "at most 4 at once, ran " + most.get());
    }
  }

  @Test
  void aCallWaitsInTheQueueForAServerThatStartsLater(RabbitNode node) throws Exception {
    String topic = newTopic();
    server(node, topic, new TestServiceImpl()).close(); // the topic exists, nobody serves it now
    TestServiceImpl impl = new TestServiceImpl();
    try (RpcClient client = client(node, topic)) {
      CompletableFuture<EchoResponse> answer = new CompletableFuture<>();
      // the example is a 2 s deadline; 5 s leaves room for the late server's own start
      // (a broker connection, two channels, four declarations, two consumers), which can take
      // a second on this machine under a build storm. (The failures this test once had were not
      // that: see aReplyMadeBeforeListenReturnsIsSent.)
      ClientController c = within(5_000);
      long start = System.nanoTime();
      TestService.newStub(client).echo(c, EchoRequest.newBuilder().setText("late").build(),
          answer::complete);
      Thread.sleep(1_000);
      assertTrue(!answer.isDone(), "the call waits while no server listens: " + c.errorText());
      try (RpcServer late = server(node, topic, impl)) {
        EchoResponse r = answer.get(10, TimeUnit.SECONDS);
        assertTrue(r != null, "answered by the late server, not " + c.errorText());
        assertEquals("late", r.getText());
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(5_000),
            "within its deadline");
      }
    }
  }

  /**
   * A server consumes its topic before {@code MessageTransport.listen} returns, so a request
   * waiting in the queue can be answered before the core has the port to reply through. Such a
   * reply was once dropped (the call then ended {@code DEADLINE_EXCEEDED} although its handler
   * ran); here listen returns only after the waiting request has been answered, the widest that
   * window can be, and the reply must still reach the caller.
   */
  @Test
  void aReplyMadeBeforeListenReturnsIsSent(RabbitNode node) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    try (Queued q = Queued.call(node, "early")) {
      AnswersBeforeListenReturns transport = new AnswersBeforeListenReturns();
      try (RpcServer late = RpcServer.builder().target(node.target(q.topic)).transport(transport)
          .addService(impl.asService()).start()) {
        assertTrue(transport.answeredFirst, "the waiting request was answered inside listen()");
        EchoResponse r = q.answer.get(20, TimeUnit.SECONDS);
        assertTrue(r != null, "the early reply reached the caller, not " + q.call.errorText());
        assertEquals("early", r.getText());
      }
    }
  }

  /**
   * A client's call waiting in its topic's queue: the topic declared (a server started and
   * closed), the call made with a 20 s deadline, and seen in the queue; plus an admin channel.
   */
  private record Queued(String topic, RpcClient client, Connection admin, Channel ch,
      ClientController call, CompletableFuture<EchoResponse> answer) implements AutoCloseable {
    static Queued call(RabbitNode node, String text) throws Exception {
      String topic = newTopic();
      AmqpCallTest.server(node, topic, new TestServiceImpl()).close(); // nobody serves it now
      RpcClient client = AmqpCallTest.client(node, topic);
      Connection admin = RabbitNodeTest.factory(node).newConnection();
      Queued q = new Queued(topic, client, admin, admin.createChannel(), within(20_000),
          new CompletableFuture<>());
      TestService.newStub(client).echo(q.call, EchoRequest.newBuilder().setText(text).build(),
          q.answer::complete);
      assertTrue(waitUntil(() -> messages(q.ch, topic) == 1), "the request waits in the queue");
      return q;
    }

    @Override
    public void close() throws Exception {
      admin.close();
      client.close();
    }
  }

  /**
   * The amqp transport, except that {@code listen} returns only once the first request it
   * delivered has been settled (the core settles a request once its call has its answer), or
   * after 10 s.
   */
  private static final class AnswersBeforeListenReturns implements MessageTransport {
    private final AmqpTransport real = new AmqpTransport();
    private final CountDownLatch settled = new CountDownLatch(1);
    volatile boolean answeredFirst;

    @Override
    public String name() {
      return real.name();
    }

    @Override
    public Set<String> schemes() {
      return real.schemes();
    }

    @Override
    public MessagePort connect(URI target, MessageOptions options, MessageReceiver replies)
        throws IOException {
      return real.connect(target, options, replies);
    }

    @Override
    public MessagePort listen(URI target, MessageOptions options, MessageReceiver requests)
        throws IOException {
      MessagePort port = real.listen(target, options, new MessageReceiver() {
        @Override
        public void onMessage(IncomingMessage m) {
          requests.onMessage(new ObservedSettle(m, settled));
        }

        @Override
        public void onConnectionLost(String reason) {
          requests.onConnectionLost(reason);
        }
      });
      try {
        answeredFirst = settled.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return port;
    }
  }

  /** A delivered message that counts {@code settled} down when the core settles it. */
  private record ObservedSettle(IncomingMessage m, CountDownLatch settled)
      implements IncomingMessage {
    @Override
    public java.nio.ByteBuffer body() {
      return m.body();
    }

    @Override
    public String codec() {
      return m.codec();
    }

    @Override
    public String replyTo() {
      return m.replyTo();
    }

    @Override
    public boolean redelivered() {
      return m.redelivered();
    }

    @Override
    public String origin() {
      return m.origin();
    }

    @Override
    public void settle() {
      m.settle();
      settled.countDown();
    }

    @Override
    public void reject(String reason) {
      m.reject(reason);
    }
  }

  @Test
  void withNoServerACallEndsAtItsDeadlineAndItsRequestExpires(RabbitNode node) throws Exception {
    String topic = newTopic();
    server(node, topic, new TestServiceImpl()).close();
    try (RpcClient client = client(node, topic);
        Connection admin = RabbitNodeTest.factory(node).newConnection();
        Channel ch = admin.createChannel()) {
      CompletableFuture<EchoResponse> answer = new CompletableFuture<>();
      ClientController c = within(1_000);
      long start = System.nanoTime();
      TestService.newStub(client).echo(c, EchoRequest.getDefaultInstance(), answer::complete);
      assertTrue(waitUntil(() -> messages(ch, topic) == 1), "the request waits in the queue");
      assertEquals(null, answer.get(20, TimeUnit.SECONDS));
      long took = System.nanoTime() - start;
      assertEquals(StatusCode.DEADLINE_EXCEEDED, c.status().code(), c.errorText());
      // by its deadline plus 5 s, the testkit's bound for a starved CI machine (was 1 s): a
      // deadline that did not fire would leave the call waiting for good
      assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(950)
          && took < TimeUnit.MILLISECONDS.toNanos(6_000), "ended at its deadline: " + took);
      assertTrue(waitUntil(() -> messages(ch, topic) == 0),
          "the expired request is gone from the queue");
    }
  }

  /**
   * docs/broker.md, "Cancellation": a cancelled call ends at once on the client, but its request
   * is not withdrawn; a server that starts later still runs it, and its reply is dropped.
   */
  @Test
  void aCancelledCallsRequestStillRunsLater(RabbitNode node) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    try (Queued q = Queued.call(node, "x")) {
      q.call.startCancel();
      assertEquals(null, q.answer.get(5, TimeUnit.SECONDS));
      assertEquals(StatusCode.CANCELLED, q.call.status().code());
      assertEquals(1, messages(q.ch, q.topic), "the request stays in the queue");
      try (RpcServer late = server(node, q.topic, impl)) {
        assertTrue(waitUntil(() -> impl.echoCount() == 1), "a server still runs it");
        assertTrue(waitUntil(() -> messages(q.ch, q.topic) == 0));
        assertEquals(0, q.client.callsInFlight());
        // the client carries on: its dropped reply disturbed nothing
        assertEquals("after", TestService.newBlockingStub(q.client).echo(within(10_000),
            EchoRequest.newBuilder().setText("after").build()).getText());
      }
    }
  }

  static int messages(Channel ch, String queue) {
    try {
      return ch.queueDeclarePassive(queue).getMessageCount();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
