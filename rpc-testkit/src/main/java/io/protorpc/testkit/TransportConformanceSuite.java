package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.Status;
import io.protorpc.reflection.ReflectionClient;
import io.protorpc.reflection.ServerReflection;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Transport;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.ErrorDetail;
import io.protorpc.testkit.proto.FailRequest;
import io.protorpc.testkit.proto.TestService;
import io.protorpc.testkit.proto.UnregisteredService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link Transport} must do, end to end over real loopback sockets with the real core,
 * codec and framings: unary calls through generated async and blocking stubs, 1,000 concurrent
 * calls on one connection, payloads from 0 B to the max message size, the limit enforced,
 * deadlines, cancellation, error statuses, connection loss, bad input, a clean shutdown, and
 * a client of three servers balancing its calls over them ({@link LoadBalancingSuite}).
 *
 * <p>Extend it in your transport's tests and implement {@link #serverTransport()}; override
 * {@link #clientTransport()} to test two transports against each other, and {@link #framings()}
 * to add your own framing. Each test bounds its own waits; none sleeps to synchronize.
 */
public abstract class TransportConformanceSuite extends GeneratedStubSuite {
  private static final int DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;
  // ---------------------------------------------------------------- unary calls

  /**
   * Declared for ServiceLoader on both paths: in {@code META-INF/services} (class path) and, in a
   * named module, with {@code provides} (module path), whichever path this suite runs on. Both
   * transports, when the suite pairs two.
   */
  @Test
  void isDeclaredWhereServiceLoaderLooks() {
    PluginDeclarations.assertDeclared(Transport.class, serverTransport().getClass());
    PluginDeclarations.assertDeclared(Transport.class, clientTransport().getClass());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void asyncStubCallReturnsTheResponse(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    ClientController c = new ClientController();
    EchoRequest request = echo("hello", 100);
    EchoResponse response = asyncEcho(client, c, request);
    assertFalse(c.failed(), () -> "call failed: " + c.status());
    assertEquals("hello", response.getText());
    assertEquals(request.getPayload(), response.getPayload());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void blockingStubCallAgainstBlockingService(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), true, b -> { });
    RpcClient client = client(server, framing);
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    for (int i = 0; i < 20; i++) {
      EchoResponse r = stub.echo(new ClientController(), echo("call-" + i, i * 10));
      assertEquals("call-" + i, r.getText());
      assertEquals(i * 10, r.getPayload().size());
    }
  }

  @ParameterizedTest
  @MethodSource("framings")
  void thousandConcurrentCallsOnOneConnectionAreAllMatched(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    TestService.Interface stub = TestService.newStub(client);
    int threads = 8;
    int perThread = 125;
    CountDownLatch done = new CountDownLatch(threads * perThread);
    Map<String, String> mismatches = new ConcurrentHashMap<>();
    AtomicInteger ok = new AtomicInteger();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread caller = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          String text = "t" + thread + "-" + i;
          EchoRequest r = echo(text, (thread * perThread + i) % 200);
          ClientController c = new ClientController();
          stub.echo(c, r, response -> {
            if (response == null) {
              mismatches.put(text, "failed: " + c.status());
            } else if (!response.getText().equals(text)
                || !response.getPayload().equals(r.getPayload())) {
              mismatches.put(text, "got " + response.getText());
            } else {
              ok.incrementAndGet();
            }
            done.countDown();
          });
        }
      }, "conformance-caller-" + t);
      callers.add(caller);
      caller.start();
    }
    for (Thread caller : callers) {
      caller.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS),
        () -> "only " + (threads * perThread - done.getCount()) + " callbacks ran");
    assertEquals(Map.of(), mismatches);
    assertEquals(threads * perThread, ok.get());
    assertEquals(0, client.callsInFlight());
  }

  /**
   * Requests and responses of the sizes both sides serialize into pooled arrays (8 KiB up to
   * 1.5 MiB), 12 at a time, each with bytes of its own, while a third of the calls end by a short
   * deadline or a cancel, often while their request is being written: every request the server
   * sees and every answer the client gets carries exactly its own bytes, so no array is lent to
   * another message while a write still reads it.
   */
  @ParameterizedTest
  @MethodSource("framings")
  void concurrentLargeCallsKeepTheirOwnBytes(String framing) throws Exception {
    Map<String, String> wrong = new ConcurrentHashMap<>();
    // Handlers on the reading thread, each taking a while: the server reads in spurts, so the
    // client's writes of large requests block midway, and calls end by their deadlines meanwhile.
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.directExecutor().intercept(
        (controller, request, next, done) -> {
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          EchoRequest r = (EchoRequest) request;
          if (r.getText().startsWith("call-")
              && !r.getPayload().equals(numberedPayload(r.getText()))) {
            wrong.put(r.getText(), "the server got other bytes");
          }
          next.handle(controller, request, done);
        }));
    RpcClient client = client(server, framing);
    TestService.Interface stub = TestService.newStub(client);
    int calls = 96;
    CountDownLatch done = new CountDownLatch(calls);
    // a window of calls in flight, so that new requests are serialized while others end mid-write
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(12);
    for (int i = 0; i < calls; i++) {
      assertTrue(window.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS), "no call ended");
      int n = i;
      String name = "call-" + n;
      EchoRequest r = EchoRequest.newBuilder().setText(name)
          .setPayload(numberedPayload(name)).build();
      ClientController c = new ClientController();
      if (i % 3 == 1) {
        c.setTimeout(Duration.ofMillis(1 + i % 5));
      }
      stub.echo(c, r, response -> {
        if (response != null && !response.getPayload().equals(r.getPayload())) {
          wrong.put(name, "the client got other bytes (" + response.getText() + ")");
        } else if (response == null && n % 3 == 0) {
          wrong.put(name, "failed: " + c.status());
        }
        window.release();
        done.countDown();
      });
      if (i % 3 == 2) {
        c.startCancel();
      }
    }
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS),
        () -> "only " + (calls - done.getCount()) + " callbacks ran");
    assertEquals(Map.of(), wrong);
    // the server has answered or dropped every call (a cancelled one may still be running)
    EchoRequest last = echo("last", 1);
    assertEquals(last.getPayload(), TestService.newBlockingStub(client)
        .echo(new ClientController(), last).getPayload());
    assertEquals(Map.of(), wrong);
  }

  /** The payload of call {@code "call-N"}: a size and bytes of its own, derived from N. */
  private static ByteString numberedPayload(String name) {
    int n = Integer.parseInt(name.substring("call-".length()));
    int[] sizes = {8 * 1024, 100 * 1024, 600 * 1024, 1200 * 1024, 1536 * 1024};
    byte[] payload = new byte[sizes[n % sizes.length] + (n * 631) % 4096];
    new java.util.Random(n).nextBytes(payload);
    return ByteString.copyFrom(payload);
  }

  /**
   * {@link RpcServer.Builder#directExecutor()}: blocking handlers run on the transport's own
   * threads, and concurrent calls of every size, large enough to fill socket buffers, are still
   * all answered (a transport whose write waited for the peer on its reading thread would stall).
   */
  @ParameterizedTest
  @MethodSource("framings")
  void directExecutorRunsHandlersOnTransportThreadsAndAnswersEveryCall(String framing)
      throws Exception {
    Set<String> handlerThreads = ConcurrentHashMap.newKeySet();
    RpcServer server = startServer(new TestServiceImpl(), true, b -> b.directExecutor()
        .intercept((controller, request, next, done) -> {
          handlerThreads.add(Thread.currentThread().getName());
          next.handle(controller, request, done);
        }));
    RpcClient client = client(server, framing);
    TestService.Interface stub = TestService.newStub(client);
    int[] sizes = {0, 1, 1000, 64 * 1024, 1024 * 1024};
    int calls = 50;
    CountDownLatch done = new CountDownLatch(calls);
    Map<Integer, String> problems = new ConcurrentHashMap<>();
    for (int i = 0; i < calls; i++) {
      int call = i;
      EchoRequest r = echo("direct-" + i, sizes[i % sizes.length]);
      ClientController c = new ClientController();
      stub.echo(c, r, response -> {
        if (response == null) {
          problems.put(call, "failed: " + c.status());
        } else if (!response.getPayload().equals(r.getPayload())) {
          problems.put(call, "another payload came back");
        }
        done.countDown();
      });
    }
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS),
        () -> "only " + (calls - done.getCount()) + " callbacks ran");
    assertEquals(Map.of(), problems);
    assertFalse(handlerThreads.isEmpty());
    // On an executor, they would be the server's "protorpc-handler-N" threads.
    assertTrue(handlerThreads.stream().noneMatch(n -> n.startsWith("protorpc-handler")),
        () -> "handlers ran on " + handlerThreads);
  }

  // ---------------------------------------------------------------- sizes and limits

  @ParameterizedTest
  @MethodSource("framings")
  void payloadsOfEverySizeRoundTrip(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    for (int size : new int[] {0, 1, 255, 256, 64 * 1024, 1024 * 1024}) {
      ClientController c = new ClientController();
      EchoRequest request = echo("size", size);
      EchoResponse response = asyncEcho(client, c, request);
      assertNotNull(response, () -> size + " bytes: " + c.status());
      assertEquals(request.getPayload(), response.getPayload(), "payload of " + size + " bytes");
    }
  }

  @ParameterizedTest
  @MethodSource("framings")
  void exactlyTheMaxMessageSizeIsAcceptedAndOneByteMoreIsRefused(String framing)
      throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);

    EchoRequest atLimit = requestOfSerializedSize(DEFAULT_MAX_MESSAGE);
    assertEquals(DEFAULT_MAX_MESSAGE, atLimit.getSerializedSize());
    EchoResponse r = stub.echo(new ClientController(), atLimit);
    assertEquals(atLimit.getPayload(), r.getPayload());

    EchoRequest overLimit = requestOfSerializedSize(DEFAULT_MAX_MESSAGE + 1);
    ClientController c = new ClientController();
    RpcException e = assertThrows(RpcException.class, () -> stub.echo(c, overLimit));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.code());
    assertTrue(e.status().message().contains("exceeds"), e.status().message());
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, c.status().code());

    // the refusal cost nothing but that call
    assertEquals("after", stub.echo(new ClientController(), echo("after", 10)).getText());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void serverRefusesAnOversizePayloadAndKeepsTheConnection(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.maxMessageSize(1000));
    try (RawConnection raw = raw(server)) {
      assertEquals("ok", raw.handshake(framing(framing), codecPlugin()).get("status"));
      raw.send(request(1, "Echo", echo("big", 2000)));
      Envelope refused = raw.receive();
      assertEquals(1, refused.callId());
      assertEquals(StatusCode.RESOURCE_EXHAUSTED, refused.status().code());

      raw.send(request(2, "Echo", echo("small", 10)));
      Envelope answered = raw.receive();
      assertEquals(2, answered.callId());
      assertEquals(StatusCode.OK, answered.status().code());
      assertEquals("small", EchoResponse.parseFrom(answered.payload()).getText());
    }
  }

  /** An EchoRequest whose serialized size is exactly {@code size} bytes. */
  protected static EchoRequest requestOfSerializedSize(int size) {
    // tag (1 byte) + varint length + payload; the varint's own length depends on the payload's
    for (int varint = 1; varint <= 5; varint++) {
      int payload = size - 1 - varint;
      EchoRequest r = EchoRequest.newBuilder().setPayload(ByteString.copyFrom(new byte[payload]))
          .build();
      if (r.getSerializedSize() == size) {
        return r;
      }
    }
    throw new IllegalArgumentException("no EchoRequest of exactly " + size + " bytes");
  }

  // ---------------------------------------------------------------- compression

  /** Compressors the compression tests run with: every available one (at least identity). */
  protected List<String> compressors() {
    return PluginRegistry.names(Compressor.class).stream()
        .filter(n -> PluginRegistry.lookup(Compressor.class, n).isPresent()).toList();
  }

  @ParameterizedTest
  @MethodSource("compressors")
  void compressedCallsRoundTripBothWays(String compressor) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = connect(server, framings().get(0), b -> b.compressor(compressor));
    EchoRequest request = EchoRequest.newBuilder().setText("squeeze")
        .setPayload(ByteString.copyFrom(new byte[256 * 1024])).build(); // very compressible
    EchoResponse r = TestService.newBlockingStub(client).echo(new ClientController(), request);
    assertEquals(request.getPayload(), r.getPayload());

    // on the wire, in both directions, the payload travels compressed
    Compressor c = PluginRegistry.find(Compressor.class, compressor);
    try (RawConnection raw = raw(server)) {
      raw.handshake(framing(framings().get(0)), codecPlugin(), compressor);
      ByteBuffer body = c.compress(ByteBuffer.wrap(request.toByteArray()));
      raw.send(Envelope.request(1, TestService.getDescriptor().getFullName(), "Echo", 0, null,
          compressor, body));
      Envelope answer = raw.receive();
      assertEquals(StatusCode.OK, answer.status().code(), answer.status().toString());
      if (!compressor.equals("identity")) {
        assertEquals(compressor, answer.compression(), "the response was not compressed");
        assertTrue(answer.payload().remaining() < request.getSerializedSize() / 10,
            "response payload of " + answer.payload().remaining() + " bytes is not compressed");
      }
      ByteBuffer plain = answer.compression().isEmpty() ? answer.payload()
          : c.decompress(answer.payload(), DEFAULT_MAX_MESSAGE);
      assertEquals(request.getPayload(), EchoResponse.parseFrom(plain).getPayload());
    }
  }

  @ParameterizedTest
  @MethodSource("compressors")
  void responsesUseTheClientsCompressorEvenForUncompressedRequests(String compressor)
      throws Exception {
    RpcServer server = server(new TestServiceImpl());
    Compressor c = PluginRegistry.find(Compressor.class, compressor);
    try (RawConnection raw = raw(server)) {
      raw.handshake(framing(framings().get(0)), codecPlugin(), compressor);
      EchoRequest request = EchoRequest.newBuilder()
          .setPayload(ByteString.copyFrom(new byte[4096])).build();
      raw.send(request(1, "Echo", request)); // sent uncompressed
      Envelope answer = raw.receive();
      assertEquals(StatusCode.OK, answer.status().code());
      assertEquals(compressor.equals("identity") ? "" : compressor, answer.compression());
      ByteBuffer plain = answer.compression().isEmpty() ? answer.payload()
          : c.decompress(answer.payload(), DEFAULT_MAX_MESSAGE);
      assertEquals(request.getPayload(), EchoResponse.parseFrom(plain).getPayload());
    }
  }

  @Test
  void aPerCallOptionOverridesTheCompressionThreshold() throws Exception {
    AtomicInteger compressions = new AtomicInteger();
    Compressor counting = countingCompressor(compressions);
    // the server shares the instance: keep it from compressing responses
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.compressors(counting).compressionThreshold(Integer.MAX_VALUE));
    RpcClient client = connect(server, framings().get(0),
        b -> b.compressor(counting).compressionThreshold(1024));
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    stub.echo(new ClientController(), echo("small", 10));
    stub.echo(new ClientController().setCompress(false), echo("big", 8192));
    assertEquals(0, compressions.get(), "below the threshold, or told not to: not compressed");
    stub.echo(new ClientController().setCompress(true), echo("small", 10));
    stub.echo(new ClientController(), echo("big", 8192));
    assertEquals(2, compressions.get(), "told to, or at the threshold: compressed");
  }

  /**
   * {@link RpcServer.Builder#compressors}: the server offers exactly the instances it is given,
   * plus {@code identity}; a client that asks for another is refused at connect with the list.
   */
  @Test
  void aServerOffersOnlyTheCompressorsItIsGiven() throws Exception {
    Compressor identity = PluginRegistry.find(Compressor.class, "identity");
    Compressor given = renamed(identity, "testkit-given");
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.compressors(given));
    assertEquals(Set.of("testkit-given", "identity"), server.compressorNames());
    RpcClient plain = connect(server, framings().get(0), b -> { });
    assertEquals("plain", TestService.newBlockingStub(plain)
        .echo(new ClientController(), echo("plain", 2000)).getText());
    RpcClient withGiven = connect(server, framings().get(0),
        b -> b.compressor(given).compressionThreshold(0));
    assertEquals("given", TestService.newBlockingStub(withGiven)
        .echo(new ClientController(), echo("given", 2000)).getText());

    IOException refused = assertThrows(IOException.class, () -> connect(server,
        framings().get(0), b -> b.compressor(renamed(identity, "testkit-other"))));
    assertTrue(refused.getMessage().contains("testkit-other")
        && refused.getMessage().contains("testkit-given"), refused.getMessage());

    // an instance that cannot work here is refused when it is given, with its reason
    Compressor broken = new Compressor() {
      @Override
      public String name() {
        return "testkit-broken";
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.of("its native library did not load");
      }

      @Override
      public ByteBuffer compress(ByteBuffer input) {
        throw new AssertionError("an unavailable compressor was used");
      }

      @Override
      public ByteBuffer decompress(ByteBuffer input, int max) {
        throw new AssertionError("an unavailable compressor was used");
      }
    };
    for (IllegalArgumentException e : List.of(
        assertThrows(IllegalArgumentException.class,
            () -> RpcServer.builder().compressors(broken)),
        assertThrows(IllegalArgumentException.class,
            () -> RpcClient.builder().compressor(broken)))) {
      assertTrue(e.getMessage().contains("testkit-broken")
          && e.getMessage().contains("native library"), e.getMessage());
    }
  }

  /** {@code delegate} under another name. */
  private static Compressor renamed(Compressor delegate, String name) {
    return new Compressor() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public ByteBuffer compress(ByteBuffer input) throws IOException {
        return delegate.compress(input);
      }

      @Override
      public ByteBuffer decompress(ByteBuffer input, int max) throws IOException {
        return delegate.decompress(input, max);
      }
    };
  }

  /**
   * The compressors a decompression bomb can be made with: every installed one but {@code
   * identity}, which passes bytes through. None (only identity installed) means no bomb to test.
   */
  protected List<String> compressorsThatSqueeze() {
    return compressors().stream().filter(n -> !n.equals("identity")).toList();
  }

  @ParameterizedTest(allowZeroInvocations = true)
  @MethodSource("compressorsThatSqueeze")
  void aDecompressionBombFailsOnlyItsCall(String compressor) throws Exception {
    Compressor c = PluginRegistry.find(Compressor.class, compressor);
    int limit = 1024 * 1024;
    // 8 MiB of zeros inside an EchoRequest, 8 times the limit, squeezed to a few KiB. Not 64 MiB: building that held 192 MiB, and its bulk zeroing and copies,
    // which no safepoint interrupts, stalled the whole JVM for 0.6-1.1 s on a contended CPU
    // (time to safepoint, -Xlog:safepoint, pinned to one core), beyond what the other tests' calls
    // in flight should have to absorb.
    byte[] zeros = new byte[8 * 1024 * 1024];
    EchoRequest huge = EchoRequest.newBuilder().setPayload(ByteString.copyFrom(zeros)).build();
    ByteBuffer bomb = c.compress(ByteBuffer.wrap(huge.toByteArray()));
    assertTrue(bomb.remaining() <= limit / 2,
        compressor + " squeezed 8 MiB of zeros only to " + bomb.remaining() + " bytes");
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.maxMessageSize(limit));
    try (RawConnection raw = raw(server)) {
      raw.handshake(framing(framings().get(0)), codecPlugin(), compressor);
      raw.send(Envelope.request(1, TestService.getDescriptor().getFullName(), "Echo", 0, null,
          compressor, bomb));
      Envelope refused = raw.receive();
      assertEquals(StatusCode.RESOURCE_EXHAUSTED, refused.status().code(),
          refused.status().toString());
      raw.send(request(2, "Echo", echo("after the bomb", 10)));
      Envelope after = raw.receive();
      assertEquals(StatusCode.OK, after.status().code());
    }
  }

  // ---------------------------------------------------------------- errors

  @ParameterizedTest
  @MethodSource("framings")
  void handlerFailuresArriveAsStatusesAndKeepTheConnection(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    TestService.Interface stub = TestService.newStub(client);

    ClientController c1 = fail(stub, FailRequest.Mode.SET_FAILED_TEXT, 0, "plain text");
    assertEquals(StatusCode.UNKNOWN, c1.status().code());
    assertEquals("plain text", c1.errorText());

    ClientController c2 = fail(stub, FailRequest.Mode.SET_FAILED_STATUS, 3, "division by zero");
    assertEquals(StatusCode.INVALID_ARGUMENT, c2.status().code());
    assertEquals("division by zero", c2.errorText());
    ErrorDetail detail = c2.status().details(ErrorDetail.class).orElseThrow();
    assertEquals("division by zero", detail.getReason());
    assertEquals(42, detail.getValue());

    ClientController c3;
    try (LogCapture log = new LogCapture("io.protorpc")) {
      c3 = fail(stub, FailRequest.Mode.THROW_RUNTIME, 0, "boom");
      // the server says so too, once, naming the method, with the exception
      List<LogRecord> said = log.matching(Level.WARNING, TestService.getDescriptor().getFullName()
          + "/Fail");
      assertEquals(1, said.size(), () -> "handler failure logged " + said.size() + " times");
      assertTrue(said.get(0).getThrown() instanceof IllegalStateException);
    }
    assertEquals(StatusCode.UNKNOWN, c3.status().code());
    assertTrue(c3.errorText().contains("boom"), c3.errorText());

    ClientController c4 = fail(stub, FailRequest.Mode.DONE_WITH_NULL, 0, "");
    assertEquals(StatusCode.INTERNAL, c4.status().code());

    // failed, returned without done: answered at once with the failure; the done run 100 ms
    // later is ignored (fail() checks the callback ran once, and the call below still works)
    ClientController c5 = fail(stub, FailRequest.Mode.SET_FAILED_WITHOUT_DONE, 9, "no done");
    assertEquals(StatusCode.FAILED_PRECONDITION, c5.status().code());
    assertEquals("no done", c5.errorText());
    assertTrue(waitUntil(() -> server.callsInFlight() == 0), "the failed call kept its slot");
    Thread.sleep(200); // let the late done run; it must change nothing

    assertEquals("still here", asyncEcho(client, new ClientController(), echo("still here", 3))
        .getText());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void blockingHandlerThrowingRpcExceptionReachesTheBlockingCaller(String framing)
      throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), true, b -> { });
    RpcClient client = client(server, framing);
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    RpcException e = assertThrows(RpcException.class, () -> stub.fail(new ClientController(),
        FailRequest.newBuilder().setMode(FailRequest.Mode.THROW_RPC_EXCEPTION)
            .setCode(StatusCode.PERMISSION_DENIED.number()).setMessage("no").build()));
    assertEquals(StatusCode.PERMISSION_DENIED, e.code());
    assertEquals("no", e.status().message());
  }

  private static ClientController fail(TestService.Interface stub, FailRequest.Mode mode, int code,
      String message) throws Exception {
    ClientController c = new ClientController();
    CompletableFuture<EchoResponse> f = new CompletableFuture<>();
    AtomicInteger runs = new AtomicInteger();
    stub.fail(c, FailRequest.newBuilder().setMode(mode).setCode(code).setMessage(message).build(),
        r -> {
          runs.incrementAndGet();
          f.complete(r);
        });
    assertNull(f.get(WAIT_SECONDS, TimeUnit.SECONDS), "a failed call's callback gets null");
    assertTrue(c.failed());
    assertEquals(1, runs.get());
    return c;
  }

  @ParameterizedTest
  @MethodSource("framings")
  void unknownServiceAndMethodAreUnimplemented(String framing) throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framing);
    RpcException e = assertThrows(RpcException.class, () ->
        UnregisteredService.newBlockingStub(client).echo(new ClientController(), echo("x", 1)));
    assertEquals(StatusCode.UNIMPLEMENTED, e.code());
    assertTrue(e.getMessage().contains("protorpc.testkit.UnregisteredService"), e.getMessage());

    try (RawConnection raw = raw(server)) {
      raw.handshake(framing(framing), codecPlugin());
      raw.send(request(7, "NoSuchMethod", echo("x", 1)));
      Envelope answer = raw.receive();
      assertEquals(7, answer.callId());
      assertEquals(StatusCode.UNIMPLEMENTED, answer.status().code());
      assertTrue(answer.status().message().contains("NoSuchMethod"));
    }
    // and the client's connection is unaffected
    assertEquals("y", asyncEcho(client, new ClientController(), echo("y", 1)).getText());
  }

  // ---------------------------------------------------------------- deadlines and cancellation

  @ParameterizedTest
  @MethodSource("framings")
  void deadlineFailsTheCallAndReachesTheServer(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    RpcClient client = client(server, framing);
    // long enough for the handler to start even on a loaded machine: a call whose deadline
    // passes before its handler starts is (rightly) never run, and then nothing sees the cancel
    ClientController c = new ClientController().setTimeout(Duration.ofMillis(1000));
    CompletableFuture<EchoResponse> f = new CompletableFuture<>();
    long start = System.nanoTime();
    TestService.newStub(client).hang(c, echo("hang", 1), f::complete);
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    assertNull(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(StatusCode.DEADLINE_EXCEEDED, c.status().code());
    assertTrue(elapsedMillis >= 950, "failed too early: " + elapsedMillis + " ms");
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS),
        "the server never saw the call cancelled");

    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(client)
        .hang(new ClientController().setTimeout(Duration.ofMillis(100)), echo("hang", 1)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
  }

  @ParameterizedTest
  @MethodSource("framings")
  void blockingHandlerSeesTheDeadline(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = startServer(impl, true, b -> { });
    RpcClient client = client(server, framing);
    RpcException e = assertThrows(RpcException.class, () -> TestService.newBlockingStub(client)
        .hang(new ClientController().setTimeout(Duration.ofMillis(1000)), echo("hang", 1)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @ParameterizedTest
  @MethodSource("framings")
  void startCancelCompletesTheCallOnceAndReachesTheServer(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    RpcClient client = client(server, framing);
    ClientController c = new ClientController();
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch ran = new CountDownLatch(1);
    TestService.newStub(client).hang(c, echo("hang", 1), r -> {
      runs.incrementAndGet();
      ran.countDown();
    });
    // Wait until the server really runs the call, so the cancel has something to cancel there.
    assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
    c.startCancel();
    c.startCancel();
    assertTrue(ran.await(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(StatusCode.CANCELLED, c.status().code());
    assertTrue(impl.awaitCancellations(1, WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(1, runs.get());
  }

  // ---------------------------------------------------------------- connection loss and shutdown

  @ParameterizedTest
  @MethodSource("framings")
  void losingTheConnectionFailsEveryPendingCallPromptly(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    RpcClient client = client(server, framing);
    int calls = 20;
    CountDownLatch done = new CountDownLatch(calls);
    List<ClientController> controllers = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      ClientController c = new ClientController();
      controllers.add(c);
      TestService.newStub(client).hang(c, echo("hang", 1), r -> done.countDown());
    }
    assertTrue(impl.awaitHangsStarted(calls, WAIT_SECONDS, TimeUnit.SECONDS));
    server.close();
    assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS), "pending calls were not failed");
    for (ClientController c : controllers) {
      assertEquals(StatusCode.UNAVAILABLE, c.status().code(), c.status().toString());
    }
    assertTrue(impl.awaitCancellations(calls, WAIT_SECONDS, TimeUnit.SECONDS),
        "the server did not cancel the calls of the closed connections");
  }

  @Test
  void closingClientAndServerReleasesEveryThread() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient client = client(server, framings().get(0));
    asyncEcho(client, new ClientController(), echo("x", 10));
    client.close();
    server.close();
    assertTrue(waitUntil(() -> liveProtorpcThreads().isEmpty()),
        () -> "threads still alive: " + liveProtorpcThreads());
  }

  private static List<String> liveProtorpcThreads() {
    List<String> names = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("protorpc-")) {
        names.add(t.getName());
      }
    }
    return names;
  }

  // ---------------------------------------------------------------- a server going away

  @Test
  void aRequestCrossingTheGoAwayIsAnsweredUnprocessedAndNotRun() throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = server(impl);
    try (RawConnection raw = raw(server)) {
      assertEquals("ok", raw.handshake(framing(framings().get(0)), codecPlugin()).get("status"));
      raw.send(request(1, "Hang", echo("hang", 1))); // keeps the connection draining, not closed
      assertTrue(impl.awaitHangsStarted(1, WAIT_SECONDS, TimeUnit.SECONDS));
      server.shutdown();
      Envelope goAway = raw.receive();
      assertEquals(Envelope.Kind.GOAWAY, goAway.kind());
      assertEquals(StatusCode.OK, goAway.status().code());
      raw.send(request(2, "Echo", echo("late", 10))); // as if sent before the go-away arrived
      Envelope answer = raw.receive();
      assertEquals(2, answer.callId());
      assertEquals(StatusCode.UNAVAILABLE, answer.status().code());
      assertTrue(answer.isUnprocessed(), "flags " + answer.flags());
      assertEquals(0, impl.echoCount(), "the late call ran");
    }
  }

  @Test
  void aCallTheServerDidNotRunIsSentOnceMoreOnANewConnection() throws Exception {
    try (RawListener listener = RawListener.open(serverTransport(), listenAddress())) {
      CompletableFuture<Integer> seen = playServer(listener, true, false);
      RpcClient client = connectTo(listener);
      EchoResponse r = TestService.newBlockingStub(client)
          .echo(new ClientController().setTimeout(Duration.ofSeconds(WAIT_SECONDS)),
              echo("again", 10));
      assertEquals("again from connection 2", r.getText());
      assertEquals(2, seen.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }
  }

  @Test
  void aCallIsSentAgainAtMostOnce() throws Exception {
    try (RawListener listener = RawListener.open(serverTransport(), listenAddress())) {
      CompletableFuture<Integer> seen = playServer(listener, true, true);
      RpcClient client = connectTo(listener);
      ClientController c = new ClientController().setTimeout(Duration.ofSeconds(WAIT_SECONDS));
      RpcException e = assertThrows(RpcException.class,
          () -> TestService.newBlockingStub(client).echo(c, echo("again", 10)));
      // a third attempt would meet no answer and end at the deadline instead
      assertEquals(StatusCode.UNAVAILABLE, e.code(), e.status().toString());
      assertEquals(2, seen.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }
  }

  private RpcClient connectTo(RawListener listener) throws IOException {
    return closeAfterTest(RpcClient.builder()
        .address(listener.address())
        .transport(clientTransport()).framing(framings().get(0)).codec(codec()).connect());
  }

  /**
   * Plays a server, one connection per entry of {@code goingAway}, that answers each
   * connection's first request: like a server going away (a go-away, then "unprocessed") where
   * the entry is true, else with an echo whose text names the connection. Completes with the
   * number of requests it saw.
   */
  private CompletableFuture<Integer> playServer(RawListener listener, boolean... goingAway) {
    Framing f = framing(framings().get(0));
    Codec c = codecPlugin();
    return CompletableFuture.supplyAsync(() -> {
      int requests = 0;
      try {
        for (int i = 0; i < goingAway.length; i++) {
          try (RawConnection client = listener.accept(
              (int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS)).serve(f, c)) {
            Envelope request = client.receive();
            requests++;
            if (goingAway[i]) {
              client.send(Envelope.control(Envelope.Kind.GOAWAY, 0,
                  Status.of(StatusCode.OK, "server is shutting down"), null));
              client.send(Envelope.response(request.callId(),
                  Status.of(StatusCode.UNAVAILABLE, "server is shutting down"), null, "", null,
                  Envelope.FLAG_UNPROCESSED));
              client.readUntilClosed(0); // the client, drained, closes
            } else {
              EchoRequest r = EchoRequest.parseFrom(request.payload());
              EchoResponse answer = EchoResponse.newBuilder()
                  .setText(r.getText() + " from connection " + (i + 1))
                  .setPayload(r.getPayload()).build();
              client.send(Envelope.response(request.callId(), Status.OK, null, "",
                  ByteBuffer.wrap(answer.toByteArray())));
            }
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("the played server failed after " + requests
            + " requests", e);
      }
      return requests;
    });
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void garbageBytesAreRefusedAndOtherClientsCarryOn() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient healthy = client(server, framings().get(0));
    try (RawConnection raw = raw(server)) {
      raw.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String reply = new String(raw.readUntilClosed(4096), StandardCharsets.UTF_8);
      assertTrue(reply.startsWith("PRPC"), reply);
      assertTrue(reply.contains("status=refused") && reply.contains("magic"), reply);
    }
    assertEquals("alive", asyncEcho(healthy, new ClientController(), echo("alive", 1)).getText());
  }

  @Test
  void wrongVersionAndUnknownFramingAreRefusedWithAReason() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    try (RawConnection raw = raw(server)) {
      raw.write(RawConnection.preface(9, RawConnection.clientFields("length", codec())));
      Map<String, String> reply = raw.readPreface();
      assertEquals("refused", reply.get("status"));
      assertTrue(reply.get("reason").contains("version 9"), reply.toString());
      assertTrue(raw.closedByServer());
    }
    try (RawConnection raw = raw(server)) {
      raw.write(RawConnection.preface(1, RawConnection.clientFields("smoke-signals", codec())));
      Map<String, String> reply = raw.readPreface();
      assertEquals("refused", reply.get("status"));
      assertTrue(reply.get("reason").contains("smoke-signals"), reply.toString());
    }
    IOException e = assertThrows(IOException.class, () -> RpcClient.builder()
        .address(server.localAddress()).transport(clientTransport()).framing(new RenamedFraming())
        .connect().close());
    assertTrue(e.getMessage().contains("refused") && e.getMessage().contains("renamed-length"),
        e.getMessage());
  }

  @Test
  void hugeLengthPrefixEndsOnlyThatConnection() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient healthy = client(server, "length");
    try (RawConnection raw = raw(server)) {
      assertEquals("ok", raw.handshake(framing("length"), codecPlugin()).get("status"));
      raw.write(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3});
      Envelope goAway = raw.receive();
      assertEquals(Envelope.Kind.GOAWAY, goAway.kind());
      assertEquals(StatusCode.RESOURCE_EXHAUSTED, goAway.status().code());
      assertTrue(raw.closedByServer());
    }
    assertEquals("alive", asyncEcho(healthy, new ClientController(), echo("alive", 1)).getText());
  }

  @Test
  void truncatedFrameThenCloseEndsOnlyThatConnection() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient healthy = client(server, "length");
    try (RawConnection raw = raw(server)) {
      raw.handshake(framing("length"), codecPlugin());
      raw.write(new byte[] {0, 0, 0, 100, 1, 2, 3, 4, 5});
    }
    assertTrue(waitUntil(() -> server.connectionCount() == 1),
        "the truncated connection was not cleaned up");
    assertEquals("alive", asyncEcho(healthy, new ClientController(), echo("alive", 1)).getText());
  }

  @Test
  void invalidByteStuffingEndsOnlyThatConnection() throws Exception {
    RpcServer server = server(new TestServiceImpl());
    RpcClient healthy = client(server, "delimiter");
    try (RawConnection raw = raw(server)) {
      assertEquals("ok", raw.handshake(framing("delimiter"), codecPlugin()).get("status"));
      raw.write(new byte[] {0x05, 0x11, 0x00}); // the block claims 4 more bytes; the frame ends
      Envelope goAway = raw.receive();
      assertEquals(Envelope.Kind.GOAWAY, goAway.kind());
      assertEquals(StatusCode.INTERNAL, goAway.status().code());
      assertTrue(raw.closedByServer());
    }
    assertEquals("alive", asyncEcho(healthy, new ClientController(), echo("alive", 1)).getText());
  }

  // ---------------------------------------------------------------- server reflection

  /**
   * {@link RpcServer.Builder#reflection()} is an ordinary service: over this transport, with each
   * framing and every compressor (compressing everything), it lists the services and sends the
   * file that defines one, from which a client builds descriptors and makes a call with {@link
   * DynamicMessage}s alone; an unknown symbol is {@code NOT_FOUND}.
   */
  @ParameterizedTest
  @MethodSource("framings")
  void reflectionDescribesTheServedServices(String framing) throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.reflection().compressionThreshold(0));
    for (String compressor : compressors()) {
      RpcClient client = connect(server, framing,
          b -> b.compressor(compressor).compressionThreshold(0));
      ReflectionClient reflection = new ReflectionClient(client, ClientController::new);
      assertEquals(List.of(ServerReflection.SERVICE_NAME,
          TestService.getDescriptor().getFullName()), reflection.listServices(), compressor);

      FileDescriptor file = reflection.fileContainingSymbol("protorpc.testkit.TestService.Echo");
      // As bytes carry it: options set by extensions (protorpc.one_way) arrive as unknown fields
      // to a client that does not know the extension, so compare with the file re-read the same way
      assertEquals(DescriptorProtos.FileDescriptorProto.parseFrom(
          TestService.getDescriptor().getFile().toProto().toByteString()), file.toProto(),
          compressor);
      MethodDescriptor echo = file.findServiceByName("TestService").findMethodByName("Echo");
      Descriptors.FieldDescriptor text = echo.getInputType().findFieldByName("text");
      Message response = client.callBlockingMethod(echo, new ClientController(),
          DynamicMessage.newBuilder(echo.getInputType()).setField(text, "dynamic").build(),
          DynamicMessage.getDefaultInstance(echo.getOutputType()));
      assertEquals("dynamic",
          response.getField(echo.getOutputType().findFieldByName("text")), compressor);

      RpcException e = assertThrows(RpcException.class,
          () -> reflection.fileContainingSymbol("protorpc.testkit.NoSuchMessage"));
      assertEquals(StatusCode.NOT_FOUND, e.code(), compressor);
    }
  }

  // ---------------------------------------------------------------- helpers

  private Framing framing(String name) {
    return PluginRegistry.find(Framing.class, name);
  }

  private Codec codecPlugin() {
    return PluginRegistry.find(Codec.class, codec());
  }

  private static Envelope request(long id, String method, EchoRequest r) {
    return Envelope.request(id, TestService.getDescriptor().getFullName(), method, 0, null, "",
        ByteBuffer.wrap(r.toByteArray()));
  }

  /** The length framing under a name the server does not know. */
  private static final class RenamedFraming implements Framing {
    private final Framing length = PluginRegistry.find(Framing.class, "length");

    @Override
    public String name() {
      return "renamed-length";
    }

    @Override
    public ByteBuffer[] encode(ByteBuffer... parts) {
      return length.encode(parts);
    }

    @Override
    public io.protorpc.spi.FrameDecoder newDecoder(int maxFrameSize) {
      return length.newDecoder(maxFrameSize);
    }
  }
}
