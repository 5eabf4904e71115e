package io.protorpc.transport.amqp;

import static io.protorpc.transport.amqp.AmqpCallTest.newTopic;
import static io.protorpc.transport.amqp.AmqpCallTest.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.StatusCode;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.DelayRequest;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A server killed mid-load, and the broker restarted under load. */
@ExtendWith(SharedRabbit.class)
@Timeout(600) // broker starts take about 12 s idle and far longer on a busy machine
class AmqpFailureTest {

  /** How one call ended. */
  private record Outcome(StatusCode code, long nanos, long deadlineNanos) {}

  @Test
  void aServerKilledMidCallLeavesItsRequestsToAnotherServer(RabbitNode node) throws Exception {
    String topic = newTopic();
    Set<String> ranOnSurvivor = ConcurrentHashMap.newKeySet();
    Set<String> startedOnVictim = ConcurrentHashMap.newKeySet();
    CountDownLatch victimReady = new CountDownLatch(1);
    Process victim = ChildServer.start(node.target(topic), 4);
    try (RpcServer survivor = RpcServer.builder().target(node.target(topic))
            .maxCallsInFlight(4).addService(new TestServiceImpl().asBlockingService())
            .intercept((controller, request, next, done) -> {
              ranOnSurvivor.add(((DelayRequest) request).getText());
              next.handle(controller, request, done);
            }).start();
        RpcClient client = AmqpCallTest.client(node, topic)) {
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
            victim.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("ready")) {
              victimReady.countDown();
            } else if (line.startsWith("start ")) {
              startedOnVictim.add(line.substring(6));
            }
          }
        } catch (java.io.IOException e) {
          // the victim died: that is the point
        }
      });
      reader.setDaemon(true);
      reader.start();
      assertTrue(victimReady.await(120, TimeUnit.SECONDS), "the child server started");

      int calls = 40;
      long deadline = TimeUnit.SECONDS.toNanos(15);
      List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
      TestService.Interface stub = TestService.newStub(client);
      for (int i = 0; i < calls; i++) {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        ClientController c = within(TimeUnit.NANOSECONDS.toMillis(deadline));
        long start = System.nanoTime();
        stub.delay(c, DelayRequest.newBuilder().setMillis(400).setText("c" + i).build(),
            r -> f.complete(new Outcome(c.status().code(), System.nanoTime() - start, deadline)));
        outcomes.add(f);
      }
      assertTrue(AmqpCallTest.waitUntil(() -> startedOnVictim.size() >= 2),
          "the victim took calls");
      victim.destroyForcibly(); // SIGKILL, by pid: its unacknowledged requests go back
      assertTrue(victim.waitFor(30, TimeUnit.SECONDS));

      Set<StatusCode> codes = new HashSet<>();
      for (CompletableFuture<Outcome> f : outcomes) {
        Outcome o = f.get(30, TimeUnit.SECONDS);
        codes.add(o.code);
        assertTrue(o.nanos <= o.deadlineNanos + TimeUnit.SECONDS.toNanos(1),
            "a call ended " + o.nanos / 1_000_000 + " ms after it started");
      }
      assertEquals(Set.of(StatusCode.OK), codes,
          "the survivor answered every call, those the victim had taken included");
      Set<String> ranTwice = new HashSet<>(startedOnVictim);
      ranTwice.retainAll(ranOnSurvivor);
      assertFalse(ranTwice.isEmpty(), "a request the victim started was delivered again "
          + "(victim: " + startedOnVictim + ")");
    } finally {
      victim.destroyForcibly();
      victim.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void afterABrokerRestartEveryCallHasEndedAndTrafficResumes() throws Exception {
    try (RabbitNode node = RabbitNode.start("restart")) {
      String topic = newTopic();
      try (RpcServer server = AmqpCallTest.server(node, topic, new TestServiceImpl());
          RpcClient client = AmqpCallTest.client(node, topic)) {
        TestService.BlockingInterface stub = TestService.newBlockingStub(client);
        long deadline = TimeUnit.SECONDS.toNanos(2);
        Map<Long, Outcome> outcomes = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> callers = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong ids = new java.util.concurrent.atomic.AtomicLong();
        long loopLimit = System.nanoTime() + TimeUnit.SECONDS.toNanos(400);
        for (int t = 0; t < 8; t++) {
          Thread caller = new Thread(() -> {
            while (!stop.get() && System.nanoTime() - loopLimit < 0) {
              ClientController c = within(TimeUnit.NANOSECONDS.toMillis(deadline));
              long start = System.nanoTime();
              StatusCode code;
              try {
                stub.echo(c, EchoRequest.newBuilder().setText("r").build());
                code = StatusCode.OK;
              } catch (com.google.protobuf.ServiceException e) {
                code = e instanceof io.protorpc.RpcException r ? r.status().code()
                    : StatusCode.UNKNOWN;
              }
              outcomes.put(ids.incrementAndGet(),
                  new Outcome(code, System.nanoTime() - start, deadline));
              if (code != StatusCode.OK) {
                sleep(20); // fails fast while the broker is away: do not spin
              }
            }
          });
          caller.start();
          callers.add(caller);
        }
        sleep(1_000);
        node.stopBroker();
        sleep(1_500);
        long outageCalls = outcomes.size();
        node.startBroker();
        // both sides come back by themselves: a new call succeeds within a bounded time
        long recovered = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean ok = false;
        while (!ok && System.nanoTime() - recovered < 0) {
          try {
            EchoResponse r = stub.echo(within(2_000), EchoRequest.newBuilder().setText("b").build());
            ok = r.getText().equals("b");
          } catch (com.google.protobuf.ServiceException e) {
            sleep(100);
          }
        }
        assertTrue(ok, "traffic resumed after the broker restarted");
        sleep(1_000);
        stop.set(true);
        for (Thread caller : callers) {
          caller.join(10_000);
          assertFalse(caller.isAlive(), "a caller is stuck in a call");
        }
        Map<StatusCode, Integer> byCode = new java.util.TreeMap<>();
        for (Outcome o : outcomes.values()) {
          byCode.merge(o.code, 1, Integer::sum);
          assertTrue(o.nanos <= o.deadlineNanos + TimeUnit.SECONDS.toNanos(1),
              "a call ended " + o.nanos / 1_000_000 + " ms after it started");
          assertTrue(o.code == StatusCode.OK || o.code == StatusCode.UNAVAILABLE
              || o.code == StatusCode.DEADLINE_EXCEEDED, "ended with " + o.code);
        }
        assertTrue(byCode.getOrDefault(StatusCode.UNAVAILABLE, 0) > 0,
            "calls during the outage failed: " + byCode);
        assertTrue(outcomes.size() > outageCalls, "calls went on after the restart: " + byCode);
        assertTrue(client.isConnected());
        assertEquals(0, client.callsInFlight(), "no call is left behind");
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
