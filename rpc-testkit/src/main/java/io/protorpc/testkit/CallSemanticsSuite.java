package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ServiceException;
import io.protorpc.ClientController;
import io.protorpc.ClientInterceptor;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RetryPolicy;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.testkit.proto.DelayRequest;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.FailRequest;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Call semantics every transport must support: one-way calls, metadata both ways, interceptors,
 * the in-flight limit, keepalive and idle timeouts, graceful shutdown, reconnection, and a soak
 * test of all of it at once. Part of {@link TransportConformanceSuite}.
 */
public abstract class CallSemanticsSuite extends ClientResilienceSuite {
  private static final Duration LONG = Duration.ofSeconds(WAIT_SECONDS);

  private static DelayRequest delay(int millis, String text) {
    return DelayRequest.newBuilder().setMillis(millis).setText(text).build();
  }

  /** Makes an async call and returns its callback's argument (null on failure). */
  private static <T> CompletableFuture<T> callback() {
    return new CompletableFuture<>();
  }

  // ---------------------------------------------------------------- ordering

  @ParameterizedTest
  @MethodSource("framings")
  void responsesMayOvertakeEarlierCalls(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = connect(server, framing, b -> { });
    List<String> completionOrder = new CopyOnWriteArrayList<>();
    CountDownLatch both = new CountDownLatch(2);
    TestService.newStub(client).delay(new ClientController(), delay(500, "slow"), r -> {
      completionOrder.add(r.getText());
      both.countDown();
    });
    TestService.newStub(client).delay(new ClientController(), delay(0, "fast"), r -> {
      completionOrder.add(r.getText());
      both.countDown();
    });
    assertTrue(both.await(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(List.of("fast", "slow"), completionOrder,
        "a slow call must not hold up a later fast one on the same connection");
  }

  // ---------------------------------------------------------------- one-way calls

  @ParameterizedTest
  @MethodSource("framings")
  void oneWayCallsRunOnTheServerAndWaitForNoAnswer(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    RpcClient client = connect(server, framing,
        b -> b.oneWay(TestService.getDescriptor().findMethodByName("Echo")));

    // per method: Echo is one-way for this client
    EchoResponse r = TestService.newBlockingStub(client).echo(new ClientController(),
        echo("fire", 10));
    assertEquals(EchoResponse.getDefaultInstance(), r, "a one-way call returns the default");
    assertTrue(waitUntil(() -> impl.echoCount() == 1), "the server never ran the one-way call");

    // per call: even a call the server never answers completes at once
    ClientController c = new ClientController().setOneWay(true);
    CompletableFuture<EchoResponse> f = callback();
    TestService.newStub(client).hang(c, echo("forget", 1), f::complete);
    assertEquals(EchoResponse.getDefaultInstance(), f.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertFalse(c.failed());
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(0, client.callsInFlight(), "a one-way call leaves no entry behind");
  }

  // ---------------------------------------------------------------- metadata and interceptors

  @ParameterizedTest
  @MethodSource("framings")
  void metadataTravelsBothWaysThroughInterceptors(String framing) throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    ServerInterceptor first = (c, request, next, done) -> {
      order.add("first-before");
      next.handle(c, request, response -> {
        order.add("first-after");
        c.responseMetadata().put("seen-by", "first");
        done.run(response);
      });
    };
    ServerInterceptor second = (c, request, next, done) -> {
      order.add("second-before");
      // echo the request metadata back, text and binary
      c.responseMetadata().put("echo-text", c.requestMetadata().get("text"));
      c.responseMetadata().putBytes("echo-bin", c.requestMetadata().getBytes("bin"));
      next.handle(c, request, done);
    };
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.intercept(first).intercept(second));
    ClientInterceptor stamp = (method, c, request, next, done) -> {
      c.requestMetadata().put("text", "héllo");
      next.start(method, c, request, done);
    };
    RpcClient client = connect(server, framing, b -> b.intercept(stamp));

    byte[] binary = {0, 1, (byte) 0xFF, 0, 42};
    ClientController c = new ClientController();
    c.requestMetadata().putBytes("bin", binary);
    EchoResponse r = TestService.newBlockingStub(client).echo(c, echo("md", 3));
    assertEquals("md", r.getText());
    assertEquals("héllo", c.responseMetadata().get("echo-text"));
    assertEquals(java.util.Arrays.toString(binary),
        java.util.Arrays.toString(c.responseMetadata().getBytes("echo-bin")));
    assertEquals("first", c.responseMetadata().get("seen-by"));
    assertEquals(List.of("first-before", "second-before", "first-after"), order);
  }

  @ParameterizedTest
  @MethodSource("framings")
  void serverInterceptorRejectsCallsWithoutAValidToken(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    ServerInterceptor auth = (c, request, next, done) -> {
      if (!"secret".equals(c.requestMetadata().get("authorization"))) {
        c.setFailed(Status.of(StatusCode.UNAUTHENTICATED, "missing or invalid token"));
        done.run(null);
        return;
      }
      next.handle(c, request, done);
    };
    RpcServer server = startServer(impl, false, b -> b.intercept(auth));
    RpcClient client = connect(server, framing, b -> { });
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);

    RpcException e = assertThrows(RpcException.class,
        () -> stub.echo(new ClientController(), echo("no token", 1)));
    assertEquals(StatusCode.UNAUTHENTICATED, e.code());
    ClientController wrong = new ClientController();
    wrong.requestMetadata().put("authorization", "guess");
    assertEquals(StatusCode.UNAUTHENTICATED,
        assertThrows(RpcException.class, () -> stub.echo(wrong, echo("x", 1))).code());
    assertEquals(0, impl.echoCount(), "a rejected call must not reach the handler");

    ClientController ok = new ClientController();
    ok.requestMetadata().put("authorization", "secret");
    assertEquals("in", stub.echo(ok, echo("in", 1)).getText());
    assertEquals(1, impl.echoCount());
  }

  // ---------------------------------------------------------------- retry policies

  /**
   * A service with a retry policy: an attempt the server fails with a retryable code is made
   * again, with the same request and metadata, until one succeeds or the attempts run out; other
   * codes are not retried; the client's interceptors see one call. The server sees (and may have
   * run) every attempt, which is why a policy is opt-in (docs/call-semantics.md).
   */
  @ParameterizedTest
  @MethodSource("framings")
  void aRetryPolicyMakesFailedAttemptsAgainWithTheSameRequest(String framing) throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>(); // "Method key request", per attempt
    AtomicInteger echoFailuresLeft = new AtomicInteger(2);
    ServerInterceptor record = (c, request, next, done) -> {
      seen.add(c.methodName() + " " + c.requestMetadata().get("idempotency-key") + " "
          + request.hashCode());
      if (c.methodName().equals("Echo") && echoFailuresLeft.getAndDecrement() > 0) {
        c.setFailed(Status.of(StatusCode.UNAVAILABLE, "not yet"));
        done.run(null);
        return;
      }
      next.handle(c, request, done);
    };
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.intercept(record));
    AtomicInteger interceptedCalls = new AtomicInteger();
    RpcClient client = connect(server, framing, b -> b
        .retryPolicy(TestService.getDescriptor().getFullName(), RetryPolicy.builder()
            .maxAttempts(3).initialBackoff(Duration.ofMillis(20)).build())
        .intercept((m, c, r, next, done) -> {
          interceptedCalls.incrementAndGet();
          next.start(m, c, r, done);
        }));
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);

    ClientController c = new ClientController().setTimeout(LONG);
    c.requestMetadata().put("idempotency-key", "k1");
    EchoRequest request = echo("again", 300);
    assertEquals("again", stub.echo(c, request).getText());
    String attempt = "Echo k1 " + request.hashCode();
    assertEquals(List.of(attempt, attempt, attempt), seen, "the server saw other attempts");
    assertEquals(1, interceptedCalls.get(), "the interceptors saw each attempt");

    seen.clear();
    FailRequest unavailable = FailRequest.newBuilder().setMode(FailRequest.Mode.SET_FAILED_STATUS)
        .setCode(StatusCode.UNAVAILABLE.number()).setMessage("down").build();
    RpcException e = assertThrows(RpcException.class,
        () -> stub.fail(new ClientController().setTimeout(LONG), unavailable));
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertEquals(3, seen.size(), "maxAttempts 3: " + seen);

    seen.clear();
    RpcException internal = assertThrows(RpcException.class, () -> stub.fail(
        new ClientController().setTimeout(LONG), unavailable.toBuilder()
            .setCode(StatusCode.INTERNAL.number()).build()));
    assertEquals(StatusCode.INTERNAL, internal.code());
    assertEquals(1, seen.size(), "a code outside the policy was retried: " + seen);
    assertEquals(0, client.callsInFlight());
  }

  @Test
  void clientInterceptorCanRejectWithoutSending() throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    ClientInterceptor offline = (method, c, request, next, done) -> {
      c.setFailed(Status.of(StatusCode.FAILED_PRECONDITION, "offline mode"));
      done.run(null);
    };
    RpcClient client = connect(server, framings().get(0), b -> b.intercept(offline));
    ClientController c = new ClientController();
    CompletableFuture<EchoResponse> f = callback();
    TestService.newStub(client).echo(c, echo("x", 1), f::complete);
    assertNull(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(StatusCode.FAILED_PRECONDITION, c.status().code());
    assertEquals(0, impl.echoCount());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void oversizeMetadataFailsOnlyThatCall(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.maxHeaderSize(4096));
    RpcClient client = connect(server, framing, b -> { });
    ClientController c = new ClientController();
    c.requestMetadata().putBytes("big", new byte[8192]);
    RpcException e = assertThrows(RpcException.class,
        () -> TestService.newBlockingStub(client).echo(c, echo("x", 1)));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.code());
    assertEquals("after", TestService.newBlockingStub(client)
        .echo(new ClientController(), echo("after", 1)).getText());
  }

  // ---------------------------------------------------------------- limits

  @ParameterizedTest
  @MethodSource("framings")
  void callsBeyondTheInFlightLimitAreRefusedNotQueued(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = startServer(impl, false, b -> b.maxCallsInFlight(5));
    RpcClient client = connect(server, framing, b -> { });
    List<ClientController> hanging = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ClientController c = new ClientController();
      hanging.add(c);
      TestService.newStub(client).hang(c, echo("h", 1), r -> { });
    }
    assertTrue(impl.awaitHangsStarted(5, WAIT_SECONDS, TimeUnit.SECONDS));
    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(client)
        .echo(new ClientController(), echo("sixth", 1)));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.code());
    hanging.forEach(ClientController::startCancel);
    assertTrue(waitUntil(() -> server.callsInFlight() == 0));
    assertEquals("room", TestService.newBlockingStub(client)
        .echo(new ClientController(), echo("room", 1)).getText());
  }

  // ---------------------------------------------------------------- keepalive and idle

  @Test
  void keepaliveDetectsAServerThatStoppedAnswering() throws Exception {
    try (SilentServer silent = new SilentServer(RawListener.open(serverTransport(), listenAddress()), framings().get(0), codec())) {
      RpcClient client = closeAfterTest(RpcClient.builder().address(silent.address())
          .transport(clientTransport()).framing(framings().get(0)).codec(codec())
          .keepAlive(Duration.ofMillis(100), Duration.ofMillis(200)).connect());
      ClientController c = new ClientController();
      CompletableFuture<EchoResponse> f = callback();
      long start = System.nanoTime();
      TestService.newStub(client).echo(c, echo("anyone?", 1), f::complete);
      assertNull(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(StatusCode.UNAVAILABLE, c.status().code(), c.status().toString());
      assertTrue(c.errorText().contains("keepalive"), c.errorText());
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 250,
          "declared dead before the ping timeout");
      assertTrue(silent.pingsSeen() >= 1, "no ping was sent");
    }
  }

  @ParameterizedTest
  @MethodSource("framings")
  void idleConnectionsAreClosedAndTheNextCallReconnects(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.idleTimeout(Duration.ofMillis(200)));
    RpcClient client = connect(server, framing, b -> { });
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    assertEquals("a", stub.echo(new ClientController(), echo("a", 1)).getText());
    assertTrue(waitUntil(() -> server.connectionCount() == 0), "idle connection not closed");
    assertEquals("b", stub.echo(new ClientController(), echo("b", 1)).getText());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void keepalivePingsKeepABusyButQuietConnectionOpen(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.keepAlive(Duration.ofMillis(50), Duration.ofMillis(500)));
    RpcClient client = connect(server, framing,
        b -> b.keepAlive(Duration.ofMillis(50), Duration.ofMillis(500)));
    // a call that takes far longer than the keepalive time: pings must keep both sides alive
    EchoResponse r = TestService.newBlockingStub(client)
        .delay(new ClientController(), delay(800, "slow"));
    assertEquals("slow", r.getText());
    assertEquals(1, server.connectionCount());
  }

  // ---------------------------------------------------------------- shutdown

  @ParameterizedTest
  @MethodSource("framings")
  void gracefulShutdownFinishesInFlightCallsAndRefusesNewConnections(String framing)
      throws Exception {
    // The calls are held on the server until the test lets them go, so all five are in flight
    // when the server shuts down however slow the machine (timed 300 ms calls could end before
    // the last one arrived, at a load average of 15-45 on 2 cores).
    int calls = 5;
    CountDownLatch arrived = new CountDownLatch(calls);
    List<Runnable> held = new CopyOnWriteArrayList<>();
    ServerInterceptor gate = (controller, request, next, done) -> {
      held.add(() -> next.handle(controller, request, done));
      arrived.countDown();
    };
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.intercept(gate));
    RpcClient client = connect(server, framing, b -> { });
    CountDownLatch done = new CountDownLatch(calls);
    List<ClientController> controllers = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      ClientController c = new ClientController();
      controllers.add(c);
      TestService.newStub(client).echo(c, echo("d" + i, 10), r -> done.countDown());
    }
    assertTrue(arrived.await(WAIT_SECONDS, TimeUnit.SECONDS), "the calls never reached the server");
    assertEquals(calls, server.callsInFlight());
    server.shutdown();
    IOException refused = assertThrows(IOException.class, () -> RpcClient.builder()
        .address(server.localAddress()).transport(clientTransport()).framing(framing)
        .codec(codec()).connect().close());
    assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
    assertFalse(server.isTerminated(), "terminated with calls in flight");
    held.forEach(Runnable::run);
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
    for (ClientController c : controllers) {
      assertFalse(c.failed(), () -> "in-flight call failed: " + c.status());
    }
    assertTrue(server.awaitTermination(LONG), "server did not terminate after draining");
  }

  @Test
  void awaitTerminationWithoutATimeoutReturnsOnceTheServerStops() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
      try {
        server.awaitTermination();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertFalse(waited.isDone(), "returned while the server was running");
    server.shutdown();
    waited.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertTrue(server.isTerminated());
  }

  @Test
  void startingOnABusyPortNamesTheAddress() throws Exception {
    SocketAddress address = reusableAddress(); // an IP port, or a name, that a server takes
    startServer(new TestServiceImpl(), false, b -> b.address(address));
    java.net.BindException e = assertThrows(java.net.BindException.class, () -> RpcServer
        .builder().transport(serverTransport()).addService(new TestServiceImpl().asService())
        .address(address).start().close());
    String named = address instanceof InetSocketAddress inet
        ? inet.getHostString() + ":" + inet.getPort() : address.toString();
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void shutdownNowFailsWhatIsLeftExactlyOnce(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    RpcClient client = connect(server, framing, b -> { });
    int calls = 10;
    AtomicInteger[] runs = new AtomicInteger[calls];
    CountDownLatch done = new CountDownLatch(calls);
    List<ClientController> controllers = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      AtomicInteger n = runs[i] = new AtomicInteger();
      ClientController c = new ClientController();
      controllers.add(c);
      TestService.newStub(client).hang(c, echo("h", 1), r -> {
        n.incrementAndGet();
        done.countDown();
      });
    }
    assertTrue(impl.awaitHangsStarted(calls, WAIT_SECONDS, TimeUnit.SECONDS));
    server.shutdown();
    server.shutdownNow();
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(server.awaitTermination(LONG));
    for (int i = 0; i < calls; i++) {
      assertEquals(1, runs[i].get(), "callback " + i + " ran " + runs[i].get() + " times");
      assertEquals(StatusCode.UNAVAILABLE, controllers.get(i).status().code());
    }
    assertTrue(impl.awaitCancellations(calls, WAIT_SECONDS, TimeUnit.SECONDS));
  }

  // ---------------------------------------------------------------- reconnection

  @ParameterizedTest
  @MethodSource("framings")
  void reconnectsAfterTheServerComesBack(String framing) throws Exception {
    SocketAddress port = reusableAddress();
    RpcServer first = startServerOn(port);
    RpcClient client = connect(first, framing, b -> b.reconnectBackoff(Duration.ofMillis(20),
        Duration.ofMillis(100)));
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    assertEquals("1", stub.echo(new ClientController(), echo("1", 1)).getText());
    assertTrue(client.isConnected());
    first.close();
    assertTrue(waitUntil(() -> !client.isConnected()), "the loss went unnoticed");

    RpcException down = assertThrows(RpcException.class,
        () -> stub.echo(new ClientController(), echo("2", 1)));
    assertEquals(StatusCode.UNAVAILABLE, down.code(), "fail fast while the server is down");

    startServerOn(port);
    assertTrue(waitUntil(() -> {
      try {
        return "3".equals(stub.echo(new ClientController(), echo("3", 1)).getText());
      } catch (ServiceException e) {
        return false; // backoff still running
      }
    }), "never reconnected");
  }

  @ParameterizedTest
  @MethodSource("framings")
  void waitForReadyCallsWaitForTheServerUntilTheirDeadline(String framing) throws Exception {
    SocketAddress port = reusableAddress();
    RpcServer first = startServerOn(port);
    RpcClient client = connect(first, framing, b -> b.reconnectBackoff(Duration.ofMillis(20),
        Duration.ofMillis(50)));
    first.close();
    // a call sent before the client notices the loss fails with it, wait-for-ready or not
    assertTrue(waitUntil(() -> !client.isConnected()));

    ClientController expires = new ClientController().setWaitForReady(true)
        .setTimeout(Duration.ofMillis(300));
    RpcException e = assertThrows(RpcException.class,
        () -> TestService.newBlockingStub(client).echo(expires, echo("late", 1)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());

    ClientController waits = new ClientController().setWaitForReady(true).setTimeout(LONG);
    CompletableFuture<EchoResponse> f = callback();
    TestService.newStub(client).echo(waits, echo("patient", 1), f::complete);
    Thread.sleep(200); // the call is now waiting; this is the scenario, not a synchronisation
    assertFalse(f.isDone(), () -> "completed without a server: " + waits.status());
    startServerOn(port);
    EchoResponse r = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals("patient", r == null ? waits.status().toString() : r.getText());
  }

  private RpcServer startServerOn(SocketAddress address) throws IOException {
    return startServer(new TestServiceImpl(), false, b -> b.address(address));
  }

  // ---------------------------------------------------------------- soak

  /**
   * Thousands of calls with random deadlines and cancels while the server restarts: every call
   * completes exactly once, with a status that explains it, and nothing is left behind. Callers
   * keep a bounded number of calls outstanding (well under the in-flight limit) and go on until
   * the restarts are over, so every phase — before, between and after restarts — has calls in it.
   */
  @Test
  void soakEveryCallCompletesExactlyOnceThroughRestarts() throws Exception {
    SocketAddress port = reusableAddress();
    AtomicReference<RpcServer> server = new AtomicReference<>(startServerOn(port));
    RpcClient client = connect(server.get(), framings().get(0),
        b -> b.reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)));
    int threads = 4;
    int maxPerThread = 20_000; // bounds: callers stop at this count or at the time limit
    int afterRestartsPerThread = 200; // calls each caller makes once the restarts are over
    int outstandingPerThread = 50;
    java.util.Queue<AtomicInteger> runs = new java.util.concurrent.ConcurrentLinkedQueue<>();
    AtomicInteger issued = new AtomicInteger();
    Map<StatusCode, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    Map<StatusCode, String> firstMessage = new ConcurrentHashMap<>();
    AtomicInteger completions = new AtomicInteger();
    Set<StatusCode> allowed = EnumSet.of(StatusCode.OK, StatusCode.DEADLINE_EXCEEDED,
        StatusCode.CANCELLED, StatusCode.UNAVAILABLE);
    List<String> wrong = new CopyOnWriteArrayList<>();
    AtomicBoolean restartsDone = new AtomicBoolean();
    long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread caller = new Thread(() -> {
        Random random = new Random(thread);
        Semaphore outstanding = new Semaphore(outstandingPerThread);
        int afterRestarts = 0;
        try {
          for (int i = 0; i < maxPerThread && System.nanoTime() < stopAt
              && afterRestarts < afterRestartsPerThread; i++) {
            if (restartsDone.get()) {
              afterRestarts++;
            }
            if (!outstanding.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
              return;
            }
            String id = thread + "-" + i;
            AtomicInteger n = new AtomicInteger();
            runs.add(n);
            issued.incrementAndGet();
            ClientController c = new ClientController()
                .setTimeout(Duration.ofMillis(20 + random.nextInt(480)));
            TestService.newStub(client).delay(c, delay(random.nextInt(20), "s" + id), r -> {
              if (n.incrementAndGet() == 1) {
                StatusCode code = c.status().code();
                outcomes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                firstMessage.putIfAbsent(code, c.status().message());
                if (!allowed.contains(code) || (r == null) == c.status().isOk()
                    || (r != null && !r.getText().equals("s" + id))) {
                  wrong.add(id + ": " + c.status() + " / " + r);
                }
                completions.incrementAndGet();
              }
              outstanding.release();
            });
            if (random.nextInt(10) == 0) {
              c.startCancel();
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "soak-caller-" + t);
      callers.add(caller);
      caller.start();
    }
    // restart only once calls are flowing, so that each phase has calls in it
    assertTrue(waitUntil(() -> outcomes.containsKey(StatusCode.OK)),
        () -> "no call succeeded before the first restart: " + outcomes + " " + firstMessage);
    for (int restart = 0; restart < 3; restart++) {
      Thread.sleep(300);
      server.get().close();
      server.set(startServerOn(port));
    }
    // calls made from here on find the last server up (once the client has reconnected)
    assertTrue(waitUntil(() -> client.isConnected() || reconnect(client)));
    int okBeforeEnd = outcomes.getOrDefault(StatusCode.OK, new AtomicInteger()).get();
    restartsDone.set(true);
    for (Thread caller : callers) {
      caller.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }
    assertTrue(waitUntil(() -> completions.get() == issued.get()),
        () -> (issued.get() - completions.get()) + " of " + issued.get()
            + " calls never completed; outcomes " + outcomes + " " + firstMessage);
    assertEquals(List.of(), wrong);
    for (AtomicInteger n : runs) {
      if (n != null) {
        assertEquals(1, n.get(), "a call completed " + n.get() + " times");
      }
    }
    assertTrue(outcomes.get(StatusCode.OK).get() > okBeforeEnd,
        () -> "no call succeeded after the last restart: " + outcomes + " " + firstMessage);
    assertTrue(waitUntil(() -> client.callsInFlight() == 0), "client call entries leaked");
    assertTrue(waitUntil(() -> server.get().callsInFlight() == 0), "server call entries leaked");
  }

  /** Makes one call to get the client connected again; true once it has been. */
  private static boolean reconnect(RpcClient client) {
    try {
      TestService.newBlockingStub(client).echo(new ClientController(), echo("ping", 1));
    } catch (ServiceException e) {
      // still backing off
    }
    return client.isConnected();
  }

  // ---------------------------------------------------------------- a peer that goes quiet

  /**
   * A protorpc server that accepts the handshake and then never writes another byte, while
   * reading (and counting pings) so the client's writes do not block.
   */
  private static final class SilentServer implements AutoCloseable {
    private final RawListener listener;
    private final Thread thread;
    private final AtomicInteger pings = new AtomicInteger();
    private volatile RawConnection accepted;
    private volatile boolean closed;

    SilentServer(RawListener listener, String framing, String codec) {
      this.listener = listener;
      thread = new Thread(() -> serve(framing, codec), "testkit-silent-server");
      thread.setDaemon(true);
      thread.start();
    }

    SocketAddress address() {
      return listener.address();
    }

    int pingsSeen() {
      return pings.get();
    }

    private void serve(String framing, String codec) {
      int waitMillis = (int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS);
      try (RawConnection c = listener.accept(waitMillis)) {
        accepted = c;
        c.serve(PluginRegistry.find(Framing.class, framing),
            PluginRegistry.find(Codec.class, codec));
        // bounded: the test closes this within its own bounded waits; the loop ends with it
        while (!closed) {
          try {
            if (c.receive().kind() == Envelope.Kind.PING) {
              pings.incrementAndGet();
            }
          } catch (java.net.SocketTimeoutException quiet) {
            // nothing sent for a while: go on reading
          }
        }
      } catch (IOException | RuntimeException e) {
        // closed by the test, or the client went away
      }
    }

    @Override
    public void close() throws Exception {
      closed = true;
      listener.close();
      RawConnection c = accepted;
      if (c != null) {
        c.close();
      }
      thread.join(5000);
    }
  }
}
