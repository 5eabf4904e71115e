package io.protorpc.transport.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.StatusCode;
import io.protorpc.testkit.TestServiceImpl;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Call, cast and fanout through a real RabbitMQ node, with generic-services stubs. */
@ExtendWith(SharedRabbit.class)
@Timeout(300) // the first test of a run waits for the shared broker to start
class AmqpCallTest {

  static String newTopic() {
    return "t-" + Long.toHexString(System.nanoTime());
  }

  static RpcServer server(RabbitNode node, String topic, TestServiceImpl impl) throws Exception {
    return RpcServer.builder().target(node.target(topic)).addService(impl.asService()).start();
  }

  static RpcClient client(RabbitNode node, String topic) throws Exception {
    return RpcClient.builder().target(node.target(topic)).connect();
  }

  /** {@code n} servers on one topic, each with its own service; closing closes them all. */
  record Servers(List<TestServiceImpl> impls, List<RpcServer> servers) implements AutoCloseable {
    static Servers start(RabbitNode node, String topic, int n) throws Exception {
      Servers s = new Servers(new ArrayList<>(), new ArrayList<>());
      try {
        for (int i = 0; i < n; i++) {
          TestServiceImpl impl = new TestServiceImpl();
          s.impls.add(impl);
          s.servers.add(server(node, topic, impl));
        }
        return s;
      } catch (Exception | Error e) {
        s.close();
        throw e;
      }
    }

    long echoes() {
      return impls.stream().mapToLong(TestServiceImpl::echoCount).sum();
    }

    @Override
    public void close() {
      servers.forEach(RpcServer::close);
    }
  }

  static ClientController within(long millis) {
    return new ClientController().setTimeout(Duration.ofMillis(millis));
  }

  @Test
  void callsCarryPayloadMetadataAndStatus(RabbitNode node) throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    ServerInterceptor stamp = (controller, request, next, done) -> {
      String who = controller.requestMetadata().get("who");
      if (who != null) {
        controller.responseMetadata().put("seen", who);
      }
      next.handle(controller, request, done);
    };
    try (RpcServer server = RpcServer.builder().target(node.target(topic))
            .addService(impl.asBlockingService()).intercept(stamp).start();
        RpcClient client = RpcClient.builder().target(node.target(topic)).compressor("zstd")
            .connect()) {
      TestService.BlockingInterface stub = TestService.newBlockingStub(client);
      ClientController c = within(5_000);
      c.requestMetadata().put("who", "amqp-test");
      byte[] big = new byte[200_000];
      new java.util.Random(1).nextBytes(big);
      EchoResponse r = stub.echo(c, EchoRequest.newBuilder().setText("hi")
          .setPayload(ByteString.copyFrom(big)).build());
      assertEquals("hi", r.getText());
      assertEquals(ByteString.copyFrom(big), r.getPayload());
      assertEquals("amqp-test", c.responseMetadata().get("seen"));

      ClientController failed = within(5_000);
      RpcException e = assertThrows(RpcException.class, () -> stub.fail(failed,
          FailRequest.newBuilder().setMode(FailRequest.Mode.SET_FAILED_STATUS)
              .setCode(StatusCode.FAILED_PRECONDITION.number()).setMessage("nope").build()));
      assertEquals(StatusCode.FAILED_PRECONDITION, e.status().code());
      assertEquals("nope", failed.status().details(ErrorDetail.class).orElseThrow().getReason());

      ClientController unknown = within(5_000);
      RpcException nf = assertThrows(RpcException.class, () -> UnregisteredService
          .newBlockingStub(client).echo(unknown, EchoRequest.getDefaultInstance()));
      assertEquals(StatusCode.UNIMPLEMENTED, nf.status().code());
    }
  }

  /** docs/broker.md shows this code; keep the two in step. */
  @Test
  void theDocsExampleRuns(RabbitNode node) throws Exception {
    String target = node.target(newTopic()); // "amqp://guest:guest@127.0.0.1:5672/?topic=calculator"
    TestServiceImpl impl = new TestServiceImpl();
    EchoRequest request = EchoRequest.newBuilder().setText("doc").build();
    RpcServer server = RpcServer.builder()
        .target(target)
        .addService(impl.asService())
        .start();

    try (RpcClient client = RpcClient.builder()
        .target(target)
        .connect()) {
      TestService.BlockingInterface stub = TestService.newBlockingStub(client);
      EchoResponse r = stub.echo(new ClientController().setTimeout(Duration.ofSeconds(2)), request);
      assertEquals("doc", r.getText());

      // fanout, per stub: every call on this stub reaches every server listening now, once each
      TestService.newBlockingStub(client.fanout()).echo(new ClientController(), request);
      // fanout, per call
      stub.echo(new ClientController().setFanout(true), request);
      // generated stubs (protoc-gen-protorpc) call, cast and fan out the same way
      TestServiceRpc.BlockingStub generated = TestServiceRpc.newBlockingStub(client)
          .withDeadline(Duration.ofSeconds(2));
      assertEquals("doc", generated.echo(request).getText()); // a call
      assertEquals(EchoResponse.getDefaultInstance(), generated.withFanout().echo(request));
      assertTrue(waitUntil(() -> impl.echoCount() == 5));
    } finally {
      server.close();
    }
  }

  @Test
  void manyConcurrentAsyncCallsAllAnswered(RabbitNode node) throws Exception {
    String topic = newTopic();
    try (RpcServer server = server(node, topic, new TestServiceImpl());
        RpcClient client = client(node, topic)) {
      TestService.Interface stub = TestService.newStub(client);
      List<CompletableFuture<EchoResponse>> results = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        CompletableFuture<EchoResponse> f = new CompletableFuture<>();
        ClientController c = within(10_000);
        stub.echo(c, EchoRequest.newBuilder().setText("n" + i).build(), r -> {
          if (r == null) {
            f.completeExceptionally(new AssertionError(c.errorText()));
          } else {
            f.complete(r);
          }
        });
        results.add(f);
      }
      for (int i = 0; i < results.size(); i++) {
        assertEquals("n" + i, results.get(i).get(15, TimeUnit.SECONDS).getText());
      }
      assertEquals(0, client.callsInFlight());
    }
  }

  @Test
  void oneWayMethodsAreCasts(RabbitNode node) throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    try (RpcServer server = server(node, topic, impl);
        RpcClient client = RpcClient.builder().target(node.target(topic))
            .oneWay(TestService.getDescriptor().findMethodByName("Echo")).connect()) {
      TestService.BlockingInterface stub = TestService.newBlockingStub(client);
      for (int i = 0; i < 50; i++) {
        // completes once the broker confirms it, with the default response
        assertEquals(EchoResponse.getDefaultInstance(),
            stub.echo(within(5_000), EchoRequest.newBuilder().setText("cast").build()));
      }
      assertTrue(waitUntil(() -> impl.echoCount() == 50), "casts served: " + impl.echoCount());
    }
  }

  @Test
  void fanoutReachesEveryServerOnce(RabbitNode node) throws Exception {
    String topic = newTopic();
    try (RpcClient client = client(node, topic);
        Servers three = Servers.start(node, topic, 3)) {
      // per stub: every call on the fanout channel
      TestService.newBlockingStub(client.fanout())
          .echo(within(5_000), EchoRequest.newBuilder().setText("all").build());
      // per call: a controller marked fanout
      TestService.newBlockingStub(client)
          .echo(within(5_000).setFanout(true), EchoRequest.newBuilder().setText("all").build());
      assertTrue(waitUntil(() -> three.impls().stream().allMatch(i -> i.echoCount() == 2)),
          "each server served both fanouts");
      // and a plain call still goes to exactly one of them
      TestService.newBlockingStub(client).echo(within(5_000), EchoRequest.getDefaultInstance());
      assertTrue(waitUntil(() -> three.echoes() == 7));
      Thread.sleep(300);
      assertEquals(7, three.echoes(), "nothing delivered twice");
    }
  }

  @Test
  void aTopicNobodyDeclaredIsUnavailableAtOnce(RabbitNode node) throws Exception {
    try (RpcClient client = client(node, newTopic())) {
      TestService.BlockingInterface stub = TestService.newBlockingStub(client);
      long start = System.nanoTime();
      RpcException e = assertThrows(RpcException.class,
          () -> stub.echo(within(10_000), EchoRequest.getDefaultInstance()));
      assertEquals(StatusCode.UNAVAILABLE, e.status().code());
      assertTrue(e.status().message().contains("no server has ever listened"),
          e.status().message());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "not a hang");

      RpcException fan = assertThrows(RpcException.class, () -> TestService
          .newBlockingStub(client.fanout()).echo(within(10_000), EchoRequest.getDefaultInstance()));
      assertEquals(StatusCode.UNAVAILABLE, fan.status().code());
      assertTrue(fan.status().message().contains("no server is listening"),
          fan.status().message());
    }
  }

  @Test
  void fanoutOnAConnectionIsRefused() throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    try (RpcServer server = RpcServer.builder().transport("socket")
            .addService(impl.asService()).start();
        RpcClient client = RpcClient.builder().transport("socket")
            .address(server.localAddress()).connect()) {
      RpcException e = assertThrows(RpcException.class, () -> TestService
          .newBlockingStub(client.fanout()).echo(within(5_000), EchoRequest.getDefaultInstance()));
      assertEquals(StatusCode.INVALID_ARGUMENT, e.status().code());
      assertEquals(0, impl.echoCount());
    }
  }

  static boolean waitUntil(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() - deadline < 0) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }
}
