package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Service;
import io.protorpc.ClientController;
import io.protorpc.Metadata;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Compressor;
import io.protorpc.testkit.proto.DelayRequest;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.ErrorDetail;
import io.protorpc.testkit.proto.FailRequest;
import io.protorpc.testkit.proto.TestService;
import io.protorpc.testkit.proto.TestServiceRpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same calls through protorpc's generated {@code TestServiceRpc} stubs and bindings: blocking
 * and future stubs against services bound in the blocking and in the async form, per-call options,
 * cancellation from the future, failures as {@link RpcException} with their status, {@code
 * UNIMPLEMENTED} for methods a service leaves out, one-way methods from the proto's option, and
 * both directions between generated code and generic services on the same wire. Part of {@link
 * TransportConformanceSuite}.
 */
public abstract class GeneratedStubSuite extends CallSemanticsSuite {

  /** The two generated server forms. */
  enum Form {
    BLOCKING(TestServiceImpl::asGeneratedBlockingService),
    ASYNC(TestServiceImpl::asGeneratedAsyncService);

    final Function<TestServiceImpl, Service> bind;

    Form(Function<TestServiceImpl, Service> bind) {
      this.bind = bind;
    }
  }

  /** Every framing with both server forms. */
  Stream<Arguments> framingsAndForms() {
    return framings().stream()
        .flatMap(f -> Stream.of(Form.values()).map(form -> Arguments.of(f, form)));
  }

  private RpcServer generatedServer(TestServiceImpl impl, Form form) throws Exception {
    return startServer(form.bind.apply(impl), b -> { });
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void blockingAndFutureStubsCallABoundService(String framing, Form form) throws Exception {
    RpcServer server = generatedServer(new TestServiceImpl(), form);
    RpcClient client = client(server, framing);
    TestServiceRpc.BlockingStub blocking = TestServiceRpc.newBlockingStub(client);
    TestServiceRpc.FutureStub future = TestServiceRpc.newFutureStub(client);
    for (int i = 0; i < 10; i++) {
      EchoRequest r = echo("call-" + i, i * 100);
      assertEquals(r.getPayload(), blocking.echo(r).getPayload());
      EchoResponse f = future.echo(r).get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEquals("call-" + i, f.getText());
      assertEquals(r.getPayload(), f.getPayload());
    }
    assertEquals("later", future.delay(DelayRequest.newBuilder().setText("later").setMillis(20)
        .build()).get(WAIT_SECONDS, TimeUnit.SECONDS).getText());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void manyConcurrentFutureCallsAreAllMatched(String framing) throws Exception {
    RpcServer server = generatedServer(new TestServiceImpl(), Form.ASYNC);
    TestServiceRpc.FutureStub stub = TestServiceRpc.newFutureStub(client(server, framing));
    List<CompletableFuture<EchoResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      calls.add(stub.echo(echo("f" + i, i % 300)));
    }
    Map<Integer, String> problems = new ConcurrentHashMap<>();
    for (int i = 0; i < calls.size(); i++) {
      EchoResponse r = calls.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
      if (!r.getText().equals("f" + i) || r.getPayload().size() != i % 300) {
        problems.put(i, r.getText());
      }
    }
    assertEquals(Map.of(), problems);
  }

  /** Generic-services stubs call a generated binding and generated stubs a generic service. */
  @ParameterizedTest
  @MethodSource("framings")
  void generatedAndGenericServicesInteroperate(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcClient toGenerated = client(generatedServer(impl, Form.BLOCKING), framing);
    EchoResponse viaGeneric = TestService.newBlockingStub(toGenerated)
        .echo(new ClientController(), echo("generic->generated", 33));
    assertEquals("generic->generated", viaGeneric.getText());

    RpcClient toGeneric = client(startServer(impl, true, b -> { }), framing);
    EchoResponse viaGenerated = TestServiceRpc.newBlockingStub(toGeneric)
        .echo(echo("generated->generic", 44));
    assertEquals("generated->generic", viaGenerated.getText());
    assertEquals(44, viaGenerated.getPayload().size());
    assertEquals(2, impl.echoCount());
    assertTrue(TestServiceRpc.getServiceDescriptor() == TestService.getDescriptor(),
        "one descriptor object for both kinds of code");
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void failuresArriveAsRpcExceptionsWithTheirStatus(String framing, Form form) throws Exception {
    RpcClient client = client(generatedServer(new TestServiceImpl(), form), framing);
    TestServiceRpc.BlockingStub blocking = TestServiceRpc.newBlockingStub(client);
    TestServiceRpc.FutureStub future = TestServiceRpc.newFutureStub(client);

    FailRequest withDetails = FailRequest.newBuilder().setMode(FailRequest.Mode.SET_FAILED_STATUS)
        .setCode(StatusCode.FAILED_PRECONDITION.number()).setMessage("not now").build();
    RpcException e = assertThrows(RpcException.class, () -> blocking.fail(withDetails));
    assertEquals(StatusCode.FAILED_PRECONDITION, e.code());
    assertEquals("not now", e.status().message());
    assertEquals("not now", e.status().details(ErrorDetail.class).orElseThrow().getReason());
    assertEquals(e.status(), futureFailure(future.fail(withDetails)).status());

    FailRequest thrown = FailRequest.newBuilder().setMode(FailRequest.Mode.THROW_RPC_EXCEPTION)
        .setCode(StatusCode.PERMISSION_DENIED.number()).setMessage("no").build();
    assertEquals(Status.of(StatusCode.PERMISSION_DENIED, "no"),
        assertThrows(RpcException.class, () -> blocking.fail(thrown)).status());
    assertEquals(Status.of(StatusCode.PERMISSION_DENIED, "no"),
        futureFailure(future.fail(thrown)).status());

    FailRequest runtime = FailRequest.newBuilder().setMode(FailRequest.Mode.THROW_RUNTIME)
        .setMessage("handler bug").build();
    RpcException unknown = assertThrows(RpcException.class, () -> blocking.fail(runtime));
    assertEquals(StatusCode.UNKNOWN, unknown.code());
    assertTrue(unknown.status().message().contains("handler bug"), unknown::getMessage);
  }

  private static RpcException futureFailure(CompletableFuture<?> call) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> call.get(WAIT_SECONDS, TimeUnit.SECONDS));
    return assertInstanceOf(RpcException.class, e.getCause());
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void aDeadlineEndsTheCallAndCancelsItOnTheServer(String framing, Form form) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcClient client = client(generatedServer(impl, form), framing);
    TestServiceRpc.BlockingStub stub = TestServiceRpc.newBlockingStub(client)
        .withDeadline(Duration.ofMillis(200));
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> stub.hang(echo("hang", 1)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(WAIT_SECONDS));
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS),
        "the server never saw the deadline");
    assertEquals(Duration.ofMillis(200), stub.callOptions().deadline());
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void cancellingTheFutureCancelsTheCallOnTheServer(String framing, Form form) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcClient client = client(generatedServer(impl, form), framing);
    CompletableFuture<EchoResponse> call = TestServiceRpc.newFutureStub(client)
        .hang(echo("cancel me", 1));
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(call.cancel(true));
    assertThrows(CancellationException.class, call::join);
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS),
        "the server never saw the cancellation");
    assertTrue(waitUntil(() -> client.callsInFlight() == 0));
  }

  @ParameterizedTest
  @MethodSource("framings")
  void metadataFromTheStubReachesTheHandler(String framing) throws Exception {
    Map<String, String> seen = new ConcurrentHashMap<>();
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = startServer(TestServiceRpc.bindService(new TestServiceRpc.BlockingService() {
      @Override
      public EchoResponse echo(EchoRequest request, ServerController call) {
        for (String key : call.requestMetadata().keys()) {
          seen.put(key, call.requestMetadata().get(key));
        }
        seen.put("deadline-set", String.valueOf(call.timeRemaining().isPresent()));
        return impl.echo(call, request);
      }
    }), b -> { });
    Metadata first = new Metadata().put("x-tenant", "a").put("x-trace", "1");
    TestServiceRpc.BlockingStub stub = TestServiceRpc.newBlockingStub(client(server, framing))
        .withMetadata(first)
        .withMetadata(new Metadata().put("x-trace", "2"))
        .withDeadline(Duration.ofSeconds(WAIT_SECONDS));
    first.put("x-late", "not sent"); // the stub copied it
    stub.echo(echo("meta", 1));
    assertEquals(Map.of("x-tenant", "a", "x-trace", "2", "deadline-set", "true"), seen);
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void methodsAServiceLeavesOutAnswerUnimplemented(String framing, Form form) throws Exception {
    Service empty = form == Form.BLOCKING
        ? TestServiceRpc.bindService(new TestServiceRpc.BlockingService() { })
        : TestServiceRpc.bindService(new TestServiceRpc.AsyncService() { });
    RpcClient client = client(startServer(empty, b -> { }), framing);
    RpcException e = assertThrows(RpcException.class,
        () -> TestServiceRpc.newBlockingStub(client).delay(DelayRequest.getDefaultInstance()));
    assertEquals(StatusCode.UNIMPLEMENTED, e.code());
    assertTrue(e.status().message().contains("protorpc.testkit.TestService.Delay"),
        e::getMessage);
  }

  @ParameterizedTest
  @MethodSource("framingsAndForms")
  void aOneWayMethodCompletesAtOnceAndRunsOnTheServer(String framing, Form form)
      throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcClient client = client(generatedServer(impl, form), framing);
    assertTrue(TestServiceRpc.METHOD_FIRE.isOneWay());
    assertEquals(EchoResponse.getDefaultInstance(),
        TestServiceRpc.newBlockingStub(client).fire(echo("fire", 10)));
    assertEquals(EchoResponse.getDefaultInstance(), TestServiceRpc.newFutureStub(client)
        .fire(echo("fire", 10)).get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(waitUntil(() -> impl.echoCount() == 2), "the server did not run both calls");
    assertEquals(0, client.callsInFlight(), "a one-way call leaves no entry behind");
    assertFalse(TestServiceRpc.METHOD_ECHO.isOneWay());
  }

  @Test
  void withCompressionOverridesTheThresholdPerStub() throws Exception {
    AtomicInteger compressions = new AtomicInteger();
    Compressor counting = countingCompressor(compressions);
    RpcServer server = startServer(new TestServiceImpl().asGeneratedBlockingService(),
        b -> b.compressors(counting).compressionThreshold(Integer.MAX_VALUE));
    TestServiceRpc.BlockingStub stub = TestServiceRpc.newBlockingStub(connect(server,
        framings().get(0), b -> b.compressor(counting).compressionThreshold(1024)));
    stub.echo(echo("small", 10));
    stub.withCompression(false).echo(echo("big", 8192));
    assertEquals(0, compressions.get(), "below the threshold, or told not to: not compressed");
    stub.withCompression(true).echo(echo("small", 10));
    assertEquals(1, compressions.get(), "told to: compressed");
  }
}
