package io.protorpc.internal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import io.protorpc.builtin.LeastRequestBalancer;
import io.protorpc.builtin.PickFirstBalancer;
import io.protorpc.builtin.RoundRobinBalancer;
import io.protorpc.health.HealthCheckResponse;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import io.protorpc.spi.Envelope;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The balancing router driven by a fake clock, a fake resolver, fake connections and an executor
 * the test runs by hand (resolution and connection attempts queue there): every interleaving is
 * exact and repeatable.
 */
class BalancedRouterTest {
  private static final long MS = 1_000_000L;
  private static final SocketAddress A = new InetSocketAddress("127.0.0.2", 9090);
  private static final SocketAddress B = new InetSocketAddress("127.0.0.3", 9090);
  private static final SocketAddress C = new InetSocketAddress("127.0.0.4", 9090);

  private final FakeClock clock = new FakeClock();
  private final ManualExecutor io = new ManualExecutor();
  /** What the next resolutions answer: a list of addresses, or an exception to throw. */
  private final Deque<Object> resolutions = new ArrayDeque<>();
  private int resolveCount;
  private Duration refresh = Duration.ZERO;
  /** Per address, what its next connection attempts do: an exception to throw, or "ok". */
  private final Map<SocketAddress, Deque<Object>> scripts = new HashMap<>();
  private final Map<SocketAddress, List<FakeConnection>> connections = new HashMap<>();
  private final List<Subchannel> subchannels = new ArrayList<>();
  private boolean holdWrites;

  private final NameResolver resolver = new NameResolver() {
    @Override
    public String name() {
      return "fake";
    }

    @Override
    public List<SocketAddress> resolve(Target target) throws IOException {
      resolveCount++;
      Object next = resolutions.isEmpty() ? List.of(A, B, C) : resolutions.poll();
      if (next instanceof IOException e) {
        throw e;
      }
      @SuppressWarnings("unchecked")
      List<SocketAddress> list = (List<SocketAddress>) next;
      return list;
    }

    @Override
    public Duration refreshInterval() {
      return refresh;
    }
  };

  /** Health checking for the next router: none unless a test sets it. */
  private HealthCheck health;

  private BalancedRouter router(LoadBalancer balancer) {
    return new BalancedRouter(Target.parse("fake:///servers"), resolver, balancer.newPicker(),
        (address, onChange) -> {
          Connector connector = (a, attempt, listener) -> {
            Deque<Object> script = scripts.getOrDefault(a, new ArrayDeque<>());
            Object next = script.isEmpty() ? "ok" : script.poll();
            if (next instanceof IOException e) {
              throw e;
            }
            FakeConnection c = new FakeConnection(listener);
            c.holdWrites = holdWrites;
            connections.computeIfAbsent(a, x -> new ArrayList<>()).add(c);
            return c;
          };
          Subchannel s = new Subchannel(address, connector, io, clock,
              failures -> 100 * MS * failures, 1000 * MS, onChange);
          subchannels.add(s);
          return s;
        }, io, clock, failures -> 100 * MS * failures, health);
  }

  private ClientCall call(Outcomes out, long timeoutMillis, boolean waitForReady) {
    return out.call(clock, timeoutMillis, waitForReady);
  }

  private FakeConnection last(SocketAddress a) {
    List<FakeConnection> list = connections.get(a);
    return list.get(list.size() - 1);
  }

  private int onConnection(SocketAddress a) {
    return connections.getOrDefault(a, List.of()).stream().mapToInt(c -> c.calls.size()).sum();
  }

  /** Resolves and connects every server (round_robin asks all of them). */
  private BalancedRouter readyRouter(LoadBalancer balancer) {
    BalancedRouter router = router(balancer);
    CompletableFuture<Void> connected = router.connect();
    io.runAll();
    assertTrue(connected.isDone() && !connected.isCompletedExceptionally());
    return router;
  }

  // ------------------------------------------------------------------ picking

  @Test
  void resolutionAndConnectingHappenOffTheCallersThreadWhileCallsWait() {
    BalancedRouter router = router(new RoundRobinBalancer());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(router);
    assertEquals(0, resolveCount, "resolved on the caller's thread");
    assertEquals(List.of(), out.statuses, "a fail-fast call failed before resolution answered");
    assertEquals(1, router.callsInFlight());
    clock.advanceMillis(0);
    io.runAll(); // resolves, then connects all three; the call goes to the first READY
    assertEquals(1, resolveCount);
    assertEquals(3, subchannels.size());
    assertEquals(1, onConnection(A) + onConnection(B) + onConnection(C));
    assertTrue(router.isReady());
  }

  @Test
  void roundRobinSpreadsCallsEvenlyAndCountsCallsInFlightExactly() {
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    for (int i = 0; i < 300; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(List.of(100, 100, 100), List.of(onConnection(A), onConnection(B), onConnection(C)));
    for (Backend b : router.backends()) {
      assertEquals(100, b.callsInFlight(), b.toString());
    }
    last(A).respond(1, Status.OK, 0);
    assertEquals(99, router.backends().get(0).callsInFlight());
    assertEquals(299, router.callsInFlight());
  }

  @Test
  void leastRequestAvoidsTheServerWithMoreCallsInFlight() {
    BalancedRouter router = readyRouter(new LeastRequestBalancer());
    for (int i = 0; i < 30; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    // A answers nothing (slow); B and C answer everything at once
    for (int round = 0; round < 300; round++) {
      call(new Outcomes(), 0, false).start(router);
      for (SocketAddress fast : List.of(B, C)) {
        FakeConnection c = last(fast);
        for (Long id : new ArrayList<>(c.calls.keySet())) {
          c.respond(id, Status.OK, 0);
        }
      }
    }
    int slow = onConnection(A);
    assertTrue(slow < 60, "the slow server took " + slow + " of 330 calls");
  }

  @Test
  void aServerThatRefusesConnectionsIsPassedOverWithoutFailingCalls() {
    scripts.put(A, new ArrayDeque<>(List.of(new ConnectException("Connection refused"))));
    BalancedRouter router = router(new PickFirstBalancer());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(router);
    io.runAll(); // A refused; pick_first then connects B, where the call goes
    assertEquals(List.of(), out.statuses, "a call failed while another server could serve");
    assertEquals(1, onConnection(B));
    last(B).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, out.only());
  }

  @Test
  void failFastCallsFailOnlyWhenNoServerCanConnectAndWaitForReadyOnesWait() {
    for (SocketAddress a : List.of(A, B, C)) {
      scripts.put(a, new ArrayDeque<>(List.of(new ConnectException("Connection refused"))));
    }
    BalancedRouter router = router(new RoundRobinBalancer());
    Outcomes fast = new Outcomes();
    Outcomes patient = new Outcomes();
    call(fast, 0, false).start(router);
    call(patient, 500, true).start(router);
    io.runAll();
    assertEquals(StatusCode.UNAVAILABLE, fast.only());
    String message = fast.statuses.get(0).message();
    assertTrue(message.startsWith("no server of target 'fake:///servers' is ready: "), message);
    assertTrue(message.contains("Connection refused"), message);
    assertEquals(List.of(), patient.statuses);
    clock.advanceMillis(100); // backoffs end: the servers are IDLE, the picker connects them
    io.runAll();
    answerAll();
    assertEquals(StatusCode.OK, patient.only());
  }

  /** Every server answers every call it has. */
  private void answerAll() {
    for (List<FakeConnection> list : connections.values()) {
      for (FakeConnection c : list) {
        for (Long id : new ArrayList<>(c.calls.keySet())) {
          c.respond(id, Status.OK, 0);
        }
      }
    }
  }

  @Test
  void aDeadlineWhileWaitingNamesTheTargetAndItsServers() {
    for (SocketAddress a : List.of(A, B, C)) {
      scripts.put(a, new ArrayDeque<>(List.of(new ConnectException("Connection refused"))));
    }
    BalancedRouter router = router(new RoundRobinBalancer());
    Outcomes out = new Outcomes();
    call(out, 50, true).start(router);
    io.runAll();
    clock.advanceMillis(50);
    assertEquals(StatusCode.DEADLINE_EXCEEDED, out.only());
    String message = out.statuses.get(0).message();
    assertTrue(message.contains("waiting for a ready server of target 'fake:///servers'"),
        message);
    assertTrue(message.contains("TRANSIENT_FAILURE (Connection refused)"), message);
    assertEquals(0, router.callsInFlight());
  }

  // ------------------------------------------------------------------ transparent re-pick

  @Test
  void aCallLostBeforeItsRequestWasWrittenIsPickedAgainOnAnotherServer() {
    BalancedRouter router = readyRouter(new PickFirstBalancer());
    io.runAll();
    holdWrites = true;
    last(A).holdWrites = true;
    Outcomes out = new Outcomes();
    call(out, 0, false).start(router);
    assertEquals(1, onConnection(A));
    scripts.put(A, new ArrayDeque<>(List.of(new ConnectException("Connection refused"))));
    last(A).lose(); // A dies with the request still queued: it never left the client
    io.runAll(); // B connects (pick_first moves on once A fails), the call goes there
    assertEquals(List.of(), out.statuses);
    assertEquals(1, onConnection(B));
    last(B).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, out.only());
  }

  @Test
  void anUnprocessedCallIsPickedAgainOnAnotherReadyServer() {
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(router);
    SocketAddress first = onConnection(A) == 1 ? A : onConnection(B) == 1 ? B : C;
    FakeConnection going = last(first);
    long id = going.calls.keySet().iterator().next();
    going.drain(); // the server goes away...
    going.respond(id, Status.of(StatusCode.UNAVAILABLE, "going away"), Envelope.FLAG_UNPROCESSED);
    assertEquals(List.of(), out.statuses);
    assertEquals(1, onConnection(A) + onConnection(B) + onConnection(C));
    assertEquals(0, onConnection(first), "re-picked on the server that is going away");
    answerAll();
    assertEquals(StatusCode.OK, out.only());
  }

  @Test
  void aDrainingServerGetsNoNewCallsAndItsCallsFinish() {
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    List<Outcomes> outs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Outcomes o = new Outcomes();
      outs.add(o);
      call(o, 0, false).start(router);
    }
    last(A).drain(); // graceful go-away: A's call stays, A takes no more
    for (int i = 0; i < 30; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(1, onConnection(A));
    assertEquals(32, onConnection(B) + onConnection(C));
    answerAll();
    for (Outcomes o : outs) {
      assertEquals(StatusCode.OK, o.only());
    }
  }

  // ------------------------------------------------------------------ health checking

  /** The server at {@code a} answers its pending health checks (a status, or an error code). */
  private int answerHealth(SocketAddress a, Object answer) {
    FakeConnection c = last(a);
    int answered = 0;
    for (Map.Entry<Long, ClientCall> e : new ArrayList<>(c.calls.entrySet())) {
      if (!e.getValue().method().equals("Check")) {
        continue;
      }
      answered++;
      if (answer instanceof StatusCode code) {
        c.respond(e.getKey(), Status.of(code, "no"), 0);
      } else {
        c.respond(e.getKey(), HealthCheckResponse.newBuilder()
            .setStatus((HealthCheckResponse.ServingStatus) answer).build().toByteString()
            .asReadOnlyByteBuffer());
      }
    }
    return answered;
  }

  private int echoesOn(SocketAddress a) {
    return (int) last(a).calls.values().stream().filter(c -> c.method().equals("Echo")).count();
  }

  private BalancedRouter healthCheckedRouter() {
    health = new HealthCheck("test.Service", Duration.ofMillis(100), clock, e -> e.payload());
    resolutions.add(List.of(A, B));
    BalancedRouter router = router(new RoundRobinBalancer());
    CompletableFuture<Void> connected = router.connect();
    io.runAll();
    assertFalse(connected.isDone(), "ready before its first health check answered");
    assertEquals(Backend.State.CONNECTING, router.backends().get(0).state());
    assertEquals(1, answerHealth(A, HealthCheckResponse.ServingStatus.SERVING));
    assertTrue(connected.isDone());
    return router;
  }

  @Test
  void aNotServingServerTakesNoCallsUntilACheckSaysItServesAgain() {
    BalancedRouter router = healthCheckedRouter();
    assertEquals(1, answerHealth(B, HealthCheckResponse.ServingStatus.NOT_SERVING));
    assertEquals(Backend.State.NOT_SERVING, router.backends().get(1).state());
    for (int i = 0; i < 10; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(List.of(10, 0), List.of(echoesOn(A), echoesOn(B)));
    clock.advanceMillis(100); // the next checks
    assertEquals(1, answerHealth(A, HealthCheckResponse.ServingStatus.SERVING));
    assertEquals(1, answerHealth(B, HealthCheckResponse.ServingStatus.SERVING));
    for (int i = 0; i < 10; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(List.of(15, 5), List.of(echoesOn(A), echoesOn(B)));
  }

  @Test
  void aServerWithoutTheHealthServiceServesAndOneThatDoesNotAnswerDoesNot() {
    BalancedRouter router = healthCheckedRouter();
    assertEquals(1, answerHealth(B, StatusCode.UNIMPLEMENTED));
    assertEquals(Backend.State.READY, router.backends().get(1).state());
    clock.advanceMillis(100); // the next checks: A answers, B stays silent past the deadline
    assertEquals(1, answerHealth(A, HealthCheckResponse.ServingStatus.SERVING));
    clock.advanceMillis(1000);
    assertEquals(Backend.State.NOT_SERVING, router.backends().get(1).state());
    clock.advanceMillis(100); // the next check: a service it has no status for
    assertEquals(1, answerHealth(B, StatusCode.NOT_FOUND));
    assertEquals(Backend.State.NOT_SERVING, router.backends().get(1).state());
  }

  @Test
  void failFastCallsFailWhenEveryServerIsNotServing() {
    BalancedRouter router = healthCheckedRouter();
    assertEquals(1, answerHealth(B, HealthCheckResponse.ServingStatus.NOT_SERVING));
    clock.advanceMillis(100);
    assertEquals(1, answerHealth(A, HealthCheckResponse.ServingStatus.NOT_SERVING));
    Outcomes fast = new Outcomes();
    Outcomes patient = new Outcomes();
    call(fast, 0, false).start(router);
    call(patient, 0, true).start(router);
    assertEquals(StatusCode.UNAVAILABLE, fast.only());
    assertTrue(fast.statuses.get(0).message().contains("NOT_SERVING"),
        fast.statuses.get(0).message());
    assertEquals(List.of(), patient.statuses);
    clock.advanceMillis(100);
    answerHealth(B, HealthCheckResponse.ServingStatus.SERVING); // the waiting call goes to B
    assertEquals(1, echoesOn(B));
  }

  @Test
  void aReconnectedServerIsCheckedBeforeItTakesCalls() {
    BalancedRouter router = healthCheckedRouter();
    answerHealth(B, HealthCheckResponse.ServingStatus.SERVING);
    last(B).lose();
    call(new Outcomes(), 0, false).start(router); // round_robin asks B to reconnect
    io.runAll();
    assertEquals(Backend.State.CONNECTING, router.backends().get(1).state());
    for (int i = 0; i < 4; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(0, echoesOn(B), "an unchecked connection took calls");
    assertEquals(1, answerHealth(B, HealthCheckResponse.ServingStatus.SERVING));
    assertEquals(Backend.State.READY, router.backends().get(1).state());
  }

  // ------------------------------------------------------------------ resolution

  @Test
  void aChangedAddressSetAddsServersAndRetiresRemovedOnesGracefully() {
    refresh = Duration.ofSeconds(30);
    resolutions.add(List.of(A, B));
    resolutions.add(List.of(B, C));
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    Outcomes first = new Outcomes();
    Outcomes second = new Outcomes();
    call(first, 0, false).start(router);
    call(second, 0, false).start(router);
    assertEquals(1, onConnection(A));
    clock.advanceMillis(30_000); // the refresh finds B and C
    io.runAll();
    assertEquals(2, resolveCount);
    assertEquals(List.of(B, C), router.backends().stream().map(Backend::address).toList());
    FakeConnection retired = last(A);
    assertTrue(!retired.isUsable(), "a removed server's connection still takes calls");
    assertEquals(List.of(), first.statuses, "a removed server's call in flight was failed");
    assertEquals(List.of(), second.statuses, "a removed server's call in flight was failed");
    for (int i = 0; i < 10; i++) {
      call(new Outcomes(), 0, false).start(router);
    }
    assertEquals(1, onConnection(A));
    retired.respond(retired.calls.keySet().iterator().next(), Status.OK, 0);
    assertEquals(1, first.statuses.size() + second.statuses.size());
    assertEquals(Status.OK, (first.statuses.isEmpty() ? second : first).statuses.get(0));
  }

  @Test
  void aFailedResolutionIsRetriedWithBackoffAndFailsFastCallsMeanwhile() {
    resolutions.add(new IOException("no such host"));
    BalancedRouter router = router(new RoundRobinBalancer());
    Outcomes fast = new Outcomes();
    Outcomes patient = new Outcomes();
    call(fast, 0, false).start(router);
    call(patient, 0, true).start(router);
    io.runAll();
    assertEquals(StatusCode.UNAVAILABLE, fast.only());
    assertTrue(fast.statuses.get(0).message().contains("cannot resolve target 'fake:///servers':"
        + " no such host"), fast.statuses.get(0).message());
    clock.advanceMillis(99);
    io.runAll();
    assertEquals(1, resolveCount, "resolved again before the backoff ended");
    clock.advanceMillis(1);
    io.runAll();
    assertEquals(2, resolveCount);
    answerAll();
    assertEquals(StatusCode.OK, patient.only());
  }

  @Test
  void aFailingServerMakesTheClientResolveAgainAtMostOnceASecond() {
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    assertEquals(1, resolveCount);
    scripts.put(A, new ArrayDeque<>(List.of(new ConnectException("Connection refused"),
        new ConnectException("Connection refused"))));
    last(A).lose();
    call(new Outcomes(), 0, false).start(router); // round_robin asks A to reconnect: it fails
    io.runAll();
    assertEquals(1, resolveCount, "resolved again within a second");
    clock.advanceMillis(1000);
    io.runAll();
    assertEquals(2, resolveCount);
  }

  // ------------------------------------------------------------------ close

  @Test
  void shutdownFailsWaitingAndConnectedCallsOnceAndStopsResolving() {
    refresh = Duration.ofSeconds(30);
    BalancedRouter router = readyRouter(new RoundRobinBalancer());
    Outcomes on = new Outcomes();
    call(on, 0, false).start(router);
    for (SocketAddress a : List.of(A, B, C)) {
      last(a).drain();
    }
    Outcomes waiting = new Outcomes();
    call(waiting, 5_000, true).start(router);
    router.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    assertEquals(StatusCode.UNAVAILABLE, on.only());
    assertEquals(StatusCode.UNAVAILABLE, waiting.only());
    assertEquals(0, clock.pendingTimers(), "a timer outlived the router");
    Outcomes late = new Outcomes();
    call(late, 0, true).start(router);
    assertEquals(StatusCode.UNAVAILABLE, late.only());
    assertFalse(router.isReady());
    clock.advanceMillis(60_000);
    io.runAll();
    assertEquals(1, resolveCount);
  }
}
