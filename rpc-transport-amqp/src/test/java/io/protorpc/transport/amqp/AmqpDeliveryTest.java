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
import io.protorpc.StatusCode;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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

  @Test
  void aCallWaitsInTheQueueForAServerThatStartsLater(RabbitNode node) throws Exception {
    String topic = newTopic();
    server(node, topic, new TestServiceImpl()).close(); // the topic exists, nobody serves it now
    TestServiceImpl impl = new TestServiceImpl();
    try (RpcClient client = client(node, topic)) {
      CompletableFuture<EchoResponse> answer = new CompletableFuture<>();
      // the example is a 2 s deadline; 5 s leaves room for the late server's own start
      // (a broker connection and three declarations), which takes over a second on a busy machine
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
      assertEquals(null, answer.get(5, TimeUnit.SECONDS));
      long took = System.nanoTime() - start;
      assertEquals(StatusCode.DEADLINE_EXCEEDED, c.status().code(), c.errorText());
      assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(950)
          && took < TimeUnit.MILLISECONDS.toNanos(2_000), "ended at its deadline: " + took);
      assertTrue(waitUntil(() -> messages(ch, topic) == 0),
          "the expired request is gone from the queue");
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
