package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.MessageTransport;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.ErrorDetail;
import io.protorpc.testkit.proto.FailRequest;
import io.protorpc.testkit.proto.TestService;
import io.protorpc.testkit.proto.TestServiceRpc;
import io.protorpc.testkit.proto.UnregisteredService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link MessageTransport} must do, end to end through the core with generated
 * generic-services stubs: a server built with {@code RpcServer.Builder.target} and clients with
 * {@code RpcClient.Builder.target} on one topic. The parts of {@link TransportConformanceSuite}
 * that apply where there is no connection: payload sizes to the limit and past it, status and
 * typed details, metadata both ways, compression both ways, interceptors, deadlines and
 * cancellation, one-way calls, 1,000 concurrent calls, unknown services, generated stubs as well
 * as generic-services ones; plus what only messages have: fanout to every server, and a topic
 * nobody serves.
 *
 * <p>Extend it and implement {@link #target(String)} for a reachable broker. Every wait is bounded
 * and every client and server is closed after its test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class MessageTransportConformanceSuite {
  private static final long WAIT_SECONDS = 20;
  private final Resources resources = new Resources();

  /** A target on the broker under test for {@code topic}, e.g. {@code amqp://host:port/?topic=T}. */
  protected abstract String target(String topic);

  /** The transport instance to use, or null for the installed one serving the target's scheme. */
  protected MessageTransport transport() {
    return null;
  }

  /** A topic no other test uses. */
  protected String newTopic() {
    return "conf-" + Long.toHexString(System.nanoTime());
  }

  @AfterEach
  void closeResources() throws Exception {
    resources.closeAll();
  }

  /** Starts a server on {@code topic} serving {@code impl}, closed after the test. */
  protected RpcServer startServer(String topic, TestServiceImpl impl,
      Consumer<RpcServer.Builder> customize) throws Exception {
    return startServer(topic, impl.asService(), customize);
  }

  /** Starts a server on {@code topic} serving {@code service}, closed after the test. */
  protected RpcServer startServer(String topic, com.google.protobuf.Service service,
      Consumer<RpcServer.Builder> customize) throws Exception {
    RpcServer.Builder b = RpcServer.builder().target(target(topic)).addService(service);
    if (transport() != null) {
      b.transport(transport());
    }
    customize.accept(b);
    RpcServer s = b.start();
    resources.add(s);
    return s;
  }

  /** Starts a client for {@code topic}, closed after the test. */
  protected RpcClient startClient(String topic, Consumer<RpcClient.Builder> customize)
      throws Exception {
    RpcClient.Builder b = RpcClient.builder().target(target(topic));
    if (transport() != null) {
      b.transport(transport());
    }
    customize.accept(b);
    RpcClient c = b.connect();
    resources.add(c);
    return c;
  }

  private static ClientController within(long millis) {
    return new ClientController().setTimeout(Duration.ofMillis(millis));
  }

  private static EchoRequest echo(int bytes) {
    byte[] payload = new byte[bytes];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31); // every byte value occurs, 0x00 included
    }
    return EchoRequest.newBuilder().setText("t").setPayload(ByteString.copyFrom(payload)).build();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1000, 65_536, 1 << 20})
  void payloadsRoundTrip(int bytes) throws Exception {
    String topic = newTopic();
    startServer(topic, new TestServiceImpl(), b -> { });
    RpcClient client = startClient(topic, b -> { });
    EchoRequest r = echo(bytes);
    assertEquals(r.getPayload(), TestService.newBlockingStub(client).echo(within(10_000), r)
        .getPayload());
  }

  @Test
  void aRequestOverTheLimitFailsLocallyAndTheClientCarriesOn() throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    startServer(topic, impl, b -> { });
    RpcClient client = startClient(topic, b -> b.maxMessageSize(100_000));
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    RpcException e = assertThrows(RpcException.class, () -> stub.echo(within(10_000),
        echo(100_001)));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
    assertEquals(0, impl.echoCount(), "never sent");
    assertEquals("t", stub.echo(within(10_000), echo(10)).getText());
  }

  @Test
  void everyKindOfFailureReachesTheCaller() throws Exception {
    String topic = newTopic();
    startServer(topic, new TestServiceImpl(), b -> { });
    RpcClient client = startClient(topic, b -> { });
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    ClientController c = within(10_000);
    RpcException e = assertThrows(RpcException.class, () -> stub.fail(c, FailRequest.newBuilder()
        .setMode(FailRequest.Mode.SET_FAILED_STATUS).setCode(StatusCode.ABORTED.number())
        .setMessage("why").build()));
    assertEquals(StatusCode.ABORTED, e.status().code());
    assertEquals("why", c.status().details(ErrorDetail.class).orElseThrow().getReason());
    for (FailRequest.Mode mode : List.of(FailRequest.Mode.SET_FAILED_TEXT,
        FailRequest.Mode.THROW_RUNTIME)) {
      RpcException u = assertThrows(RpcException.class, () -> stub.fail(within(10_000),
          FailRequest.newBuilder().setMode(mode).setMessage("m").build()));
      assertEquals(StatusCode.UNKNOWN, u.status().code(), mode.toString());
    }
    RpcException nf = assertThrows(RpcException.class, () -> UnregisteredService
        .newBlockingStub(client).echo(within(10_000), EchoRequest.getDefaultInstance()));
    assertEquals(StatusCode.UNIMPLEMENTED, nf.status().code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"identity", "gzip", "zstd"})
  void metadataAndCompressionGoBothWays(String compressor) throws Exception {
    String topic = newTopic();
    startServer(topic, new TestServiceImpl(), b -> b.intercept((c, r, next, done) -> {
      c.responseMetadata().put("echo", c.requestMetadata().get("k"));
      next.handle(c, r, done);
    }));
    RpcClient client = startClient(topic, b -> b.compressor(compressor).compressionThreshold(0));
    ClientController c = within(10_000);
    c.requestMetadata().put("k", "v");
    EchoRequest r = echo(20_000);
    assertEquals(r.getPayload(), TestService.newBlockingStub(client).echo(c, r).getPayload());
    assertEquals("v", c.responseMetadata().get("echo"));
  }

  @Test
  void interceptorsOnBothSides() throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    startServer(topic, impl, b -> b.intercept((c, r, next, done) -> {
      if (!"secret".equals(c.requestMetadata().get("token"))) {
        c.setFailed(Status.of(StatusCode.UNAUTHENTICATED, "no token"));
        done.run(null);
        return;
      }
      next.handle(c, r, done);
    }));
    RpcClient bare = startClient(topic, b -> { });
    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(bare)
        .echo(within(10_000), echo(1)));
    assertEquals(StatusCode.UNAUTHENTICATED, e.status().code());
    RpcClient withToken = startClient(topic, b -> b.intercept((m, c, r, next, done) -> {
      c.requestMetadata().put("token", "secret");
      next.start(m, c, r, done);
    }));
    assertEquals("t", TestService.newBlockingStub(withToken).echo(within(10_000), echo(1))
        .getText());
    assertEquals(1, impl.echoCount());
  }

  @Test
  void deadlinesEndCallsAndReachTheServer() throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    startServer(topic, impl, b -> { });
    RpcClient client = startClient(topic, b -> { });
    ClientController c = within(500);
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(client)
        .hang(c, EchoRequest.getDefaultInstance()));
    long took = System.nanoTime() - start;
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
    // by its deadline plus ClientResilienceSuite's bound for a starved machine (was 1 s)
    assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(450)
        && took < TimeUnit.MILLISECONDS.toNanos(500 + ClientResilienceSuite.LATE_MILLIS),
        "ended at its deadline: " + took);
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS),
        "the handler saw its deadline pass");
  }

  @Test
  void cancellingEndsTheCallAtOnce() throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    startServer(topic, impl, b -> { });
    RpcClient client = startClient(topic, b -> { });
    ClientController c = within(10_000);
    CompletableFuture<EchoResponse> done = new CompletableFuture<>();
    TestService.newStub(client).hang(c, EchoRequest.getDefaultInstance(), done::complete);
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    c.startCancel();
    assertNull(done.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(StatusCode.CANCELLED, c.status().code());
    assertEquals(0, client.callsInFlight());
  }

  @Test
  void closingTheClientEndsItsCalls() throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    startServer(topic, impl, b -> { });
    RpcClient client = startClient(topic, b -> { });
    ClientController c = within(30_000);
    CompletableFuture<EchoResponse> done = new CompletableFuture<>();
    TestService.newStub(client).hang(c, EchoRequest.getDefaultInstance(), done::complete);
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    client.close();
    assertNull(done.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(StatusCode.UNAVAILABLE, c.status().code());
  }

  @Test
  void aThousandConcurrentCalls() throws Exception {
    String topic = newTopic();
    startServer(topic, new TestServiceImpl(), b -> { });
    RpcClient client = startClient(topic, b -> { });
    TestService.Interface stub = TestService.newStub(client);
    List<CompletableFuture<EchoResponse>> all = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      CompletableFuture<EchoResponse> f = new CompletableFuture<>();
      stub.echo(within(30_000), EchoRequest.newBuilder().setText("c" + i).build(),
          f::complete);
      all.add(f);
    }
    for (int i = 0; i < all.size(); i++) {
      EchoResponse r = all.get(i).get(WAIT_SECONDS * 2, TimeUnit.SECONDS);
      assertEquals("c" + i, r == null ? null : r.getText());
    }
  }

  @Test
  void oneWayCallsRunOnceAndFanoutsOnEveryServer() throws Exception {
    String topic = newTopic();
    List<TestServiceImpl> impls = List.of(new TestServiceImpl(), new TestServiceImpl());
    for (TestServiceImpl impl : impls) {
      startServer(topic, impl, b -> { });
    }
    RpcClient client = startClient(topic, b -> { });
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    for (int i = 0; i < 10; i++) {
      assertEquals(EchoResponse.getDefaultInstance(),
          stub.echo(within(10_000).setOneWay(true), echo(1)));
    }
    assertTrue(waitUntil(() -> impls.get(0).echoCount() + impls.get(1).echoCount() == 10));
    TestService.newBlockingStub(client.fanout()).echo(within(10_000), echo(1));
    assertTrue(waitUntil(() -> impls.get(0).echoCount() + impls.get(1).echoCount() == 12));
    long before0 = impls.get(0).echoCount();
    Thread.sleep(200);
    assertEquals(before0, impls.get(0).echoCount(), "a fanout reaches each server once");
    assertTrue(impls.get(0).echoCount() >= 1 && impls.get(1).echoCount() >= 1);
  }

  /**
   * Call, cast and fanout through protorpc's generated stubs ({@code TestServiceRpc}), to one
   * server bound with the generated blocking binding and one with the async binding: calls are
   * answered, {@code Fire} (one-way by its option) runs once per call, and a stub made {@code
   * withFanout()} reaches both servers once each.
   */
  @Test
  void generatedStubsCallCastAndFanout() throws Exception {
    String topic = newTopic();
    TestServiceImpl blocking = new TestServiceImpl();
    TestServiceImpl async = new TestServiceImpl();
    startServer(topic, blocking.asGeneratedBlockingService(), b -> { });
    startServer(topic, async.asGeneratedAsyncService(), b -> { });
    RpcClient client = startClient(topic, b -> { });
    TestServiceRpc.BlockingStub stub = TestServiceRpc.newBlockingStub(client)
        .withDeadline(Duration.ofSeconds(10));
    for (int i = 0; i < 6; i++) {
      assertEquals("call" + i, stub.echo(EchoRequest.newBuilder().setText("call" + i).build())
          .getText());
    }
    assertEquals("future", TestServiceRpc.newFutureStub(client)
        .withDeadline(Duration.ofSeconds(10))
        .echo(EchoRequest.newBuilder().setText("future").build())
        .get(WAIT_SECONDS, TimeUnit.SECONDS).getText());
    assertTrue(waitUntil(() -> blocking.echoCount() + async.echoCount() == 7));
    for (int i = 0; i < 10; i++) { // a cast: no answer awaited, the default instance returned
      assertEquals(EchoResponse.getDefaultInstance(), stub.fire(echo(1)));
    }
    assertTrue(waitUntil(() -> blocking.echoCount() + async.echoCount() == 17),
        "every cast ran once");
    long blockingBefore = blocking.echoCount();
    long asyncBefore = async.echoCount();
    assertEquals(EchoResponse.getDefaultInstance(), stub.withFanout().echo(echo(1)));
    assertTrue(waitUntil(() -> blocking.echoCount() == blockingBefore + 1
        && async.echoCount() == asyncBefore + 1), "the fanout reached both servers");
    Thread.sleep(200);
    assertEquals(19, blocking.echoCount() + async.echoCount(), "once each");
  }

  @Test
  void aTopicNobodyServesIsUnavailableNotAHang() throws Exception {
    RpcClient client = startClient(newTopic(), b -> { });
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(client)
        .echo(within(30_000), echo(1)));
    assertEquals(StatusCode.UNAVAILABLE, e.status().code());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "not a hang");
  }

  private static boolean waitUntil(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() - deadline < 0) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }
}
