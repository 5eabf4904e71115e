package io.protorpc.compiler.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.ServerController;
import io.protorpc.torture.deep.FirstRpc;
import io.protorpc.torture.deep.OuterHolder.Outer;
import io.protorpc.torture.deep.OuterHolder.Outer.Inner;
import io.protorpc.torture.deep.OuterHolder.Outer.Inner.Innermost;
import io.protorpc.torture.deep.SecondRpc;
import io.protorpc.torture.imports.ImporterRpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import torture.ed.Kind;
import torture.ed.Ping;
import torture.ed.PingerRpc;
import torture.keywords.ServiceRpc;
import torture.opt.MaybeRpc;
import torture.opt.OptionalOuterClass;

/**
 * One call per method of every torture service, generated stubs against generated bindings over
 * a real socket, with the generated code in a named module (the tests are patched into it, so
 * they run on the module path): keywords and Object's method names, a service named Service,
 * nested types and packages, proto2, proto3 optional, edition 2023, types imported from another
 * file and package, two services in one file, and a one-way method.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TortureCallsTest {
  private static final long WAIT_SECONDS = 20;

  private final Semaphore taken = new Semaphore(0);
  private RpcServer server;
  private RpcClient client;

  @BeforeAll
  void start() throws Exception {
    server = RpcServer.builder().transport("socket").port(0)
        .addService(ServiceRpc.bindService(new Keywords()))
        .addService(FirstRpc.bindService(new FirstRpc.BlockingService() {
          @Override
          public Innermost dig(Outer request, ServerController call) {
            return request.getInner().getInnermost();
          }
        }))
        .addService(SecondRpc.bindService(new SecondRpc.BlockingService() {
          @Override
          public Outer wrap(Innermost request, ServerController call) {
            return Outer.newBuilder().setId(7)
                .setInner(Inner.newBuilder().setInnermost(request)).build();
          }
        }))
        .addService(MaybeRpc.bindService(new MaybeRpc.AsyncService() {
          @Override
          public CompletableFuture<OptionalOuterClass.Optional> check(
              OptionalOuterClass.Optional request, ServerController call) {
            OptionalOuterClass.Optional.Builder b = OptionalOuterClass.Optional.newBuilder()
                .setCount(request.hasMaybe() ? 1 : 0);
            return CompletableFuture.completedFuture(b.build());
          }
        }))
        .addService(PingerRpc.bindService(new PingerRpc.AsyncService() {
          @Override
          public CompletableFuture<Ping> send(Ping request, ServerController call) {
            return CompletableFuture.completedFuture(request.toBuilder()
                .setHops(request.getHops() + 1).build());
          }
        }))
        .addService(ImporterRpc.bindService(new ImporterRpc.BlockingService() {
          @Override
          public Empty take(Inner request, ServerController call) {
            taken.release();
            return Empty.getDefaultInstance();
          }

          @Override
          public Innermost relay(Ping request, ServerController call) {
            return Innermost.newBuilder().setValue(request.getText()).build();
          }
        }))
        .start();
    client = RpcClient.builder().address(server.localAddress()).transport("socket").connect();
  }

  @AfterAll
  void stop() {
    client.close();
    server.close();
  }

  /** Every rpc of torture/keywords.proto, each answering in a way only it does. */
  private static final class Keywords implements ServiceRpc.BlockingService {
    @Override
    public torture.keywords.Class class_(torture.keywords.Class request, ServerController call) {
      return request.toBuilder().setName("class:" + request.getName()).build();
    }

    @Override
    public torture.keywords.Wait wait_(torture.keywords.Wait request, ServerController call) {
      return request.toBuilder().setMillis(request.getMillis() * 2).build();
    }

    @Override
    public torture.keywords.GetClass getClass_(torture.keywords.GetClass request,
        ServerController call) {
      return request.toBuilder().setOf("getClass:" + request.getOf()).build();
    }

    @Override
    public torture.keywords.GetClass getClass_3(torture.keywords.GetClass request,
        ServerController call) {
      return request.toBuilder().setOf("GetClass:" + request.getOf()).build();
    }

    @Override
    public torture.keywords.HashCode hashCode_(torture.keywords.HashCode request,
        ServerController call) {
      return request.toBuilder().setValue(-request.getValue()).build();
    }

    @Override
    public torture.keywords.String toString_(torture.keywords.String request,
        ServerController call) {
      return request.toBuilder().setText(request.getText().toUpperCase()).build();
    }

    @Override
    public torture.keywords.Object withDeadline_(torture.keywords.Object request,
        ServerController call) {
      return request.toBuilder().setWhat("withDeadline:" + request.getWhat()).build();
    }

    @Override
    public torture.keywords.Object client_(torture.keywords.Object request,
        ServerController call) {
      return request.toBuilder().setWhat("client:" + request.getWhat()).build();
    }
  }

  @Test
  void theGeneratedCodeRunsAsANamedModule() {
    assertEquals("io.protorpc.compiler.tests", ServiceRpc.class.getModule().getName());
    assertTrue(getClass().getModule().isNamed(), "the tests are not on the module path");
    assertEquals("io.protorpc", io.protorpc.stub.RpcMethod.class.getModule().getName());
  }

  @Test
  void everyKeywordMethodIsCalledByItsOwnName() throws Exception {
    ServiceRpc.BlockingStub stub = ServiceRpc.newBlockingStub(client);
    assertEquals("class:x", stub.class_(torture.keywords.Class.newBuilder().setName("x").build())
        .getName());
    assertEquals(6, stub.wait_(torture.keywords.Wait.newBuilder().setMillis(3).build())
        .getMillis());
    torture.keywords.GetClass of = torture.keywords.GetClass.newBuilder().setOf("y").build();
    assertEquals("getClass:y", stub.getClass_(of).getOf());
    assertEquals("GetClass:y", stub.getClass_3(of).getOf());
    assertEquals(-5, stub.hashCode_(torture.keywords.HashCode.newBuilder().setValue(5).build())
        .getValue());
    assertEquals("LOUD", stub.toString_(torture.keywords.String.newBuilder().setText("loud")
        .build()).getText());
    torture.keywords.Object what = torture.keywords.Object.newBuilder().setWhat("z").build();
    assertEquals("withDeadline:z", stub.withDeadline_(what).getWhat());
    assertEquals("client:z", ServiceRpc.newFutureStub(client).client_(what)
        .get(WAIT_SECONDS, TimeUnit.SECONDS).getWhat());
    assertEquals("torture.keywords.Service", ServiceRpc.SERVICE_NAME);
    assertEquals("torture.keywords.Service.GetClass", ServiceRpc.METHOD_GET_CLASS_3.fullName());
  }

  @Test
  void nestedTypesAndTwoServicesOfOneProto2File() throws Exception {
    Innermost deepest = Innermost.newBuilder().setValue("deep").build();
    Outer wrapped = SecondRpc.newBlockingStub(client).wrap(deepest);
    assertEquals(7, wrapped.getId());
    assertEquals(deepest, FirstRpc.newBlockingStub(client).dig(wrapped));
    assertEquals(FirstRpc.getServiceDescriptor().getFile(),
        SecondRpc.getServiceDescriptor().getFile());
  }

  @Test
  void proto3OptionalAndEdition2023Messages() throws Exception {
    OptionalOuterClass.Optional set = OptionalOuterClass.Optional.newBuilder().setMaybe("").build();
    assertEquals(1, MaybeRpc.newFutureStub(client).check(set).get(WAIT_SECONDS, TimeUnit.SECONDS)
        .getCount(), "an explicitly set empty string is present");
    OptionalOuterClass.Optional unset = OptionalOuterClass.Optional.getDefaultInstance();
    OptionalOuterClass.Optional r = MaybeRpc.newBlockingStub(client).check(unset);
    assertTrue(r.hasCount());
    assertFalse(r.hasMaybe());

    Ping ping = Ping.newBuilder().setText("p").setHops(1).setKind(Kind.KIND_LOUD).build();
    Ping pong = PingerRpc.newBlockingStub(client).send(ping);
    assertEquals(2, pong.getHops());
    assertEquals(Kind.KIND_LOUD, pong.getKind());
  }

  @Test
  void importedTypesAndAOneWayMethod() throws Exception {
    assertTrue(ImporterRpc.METHOD_TAKE.isOneWay());
    assertFalse(ImporterRpc.METHOD_RELAY.isOneWay());
    assertEquals(Empty.getDefaultInstance(),
        ImporterRpc.newBlockingStub(client).take(Inner.getDefaultInstance()));
    assertTrue(taken.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS), "the one-way call never ran");
    assertEquals("hi", ImporterRpc.newBlockingStub(client)
        .relay(Ping.newBuilder().setText("hi").build()).getValue());
  }
}
