package io.protorpc.stub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import io.protorpc.ClientController;
import io.protorpc.Metadata;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The parts of the generated-code runtime that need no server: how call options become a call's
 * controller, and how bindings are checked. Calls end to end are in rpc-testkit's
 * GeneratedStubSuite, which every transport runs.
 */
class StubRuntimeTest {
  private static final ServiceDescriptor SERVICE = service();
  private static final Message REQUEST =
      DynamicMessage.getDefaultInstance(SERVICE.getFile().findMessageTypeByName("Req"));

  private static ServiceDescriptor service() {
    FileDescriptorProto proto = FileDescriptorProto.newBuilder().setName("t.proto").setPackage("t")
        .addMessageType(DescriptorProto.newBuilder().setName("Req"))
        .addService(ServiceDescriptorProto.newBuilder().setName("S")
            .addMethod(MethodDescriptorProto.newBuilder().setName("A").setInputType(".t.Req")
                .setOutputType(".t.Req"))
            .addMethod(MethodDescriptorProto.newBuilder().setName("B").setInputType(".t.Req")
                .setOutputType(".t.Req")))
        .build();
    try {
      return FileDescriptor.buildFrom(proto, new FileDescriptor[0]).getServices().get(0);
    } catch (com.google.protobuf.Descriptors.DescriptorValidationException e) {
      throw new AssertionError(e);
    }
  }

  private static RpcMethod<Message, Message> method(int index, boolean oneWay) {
    return oneWay ? RpcMethod.oneWay(SERVICE.getMethods().get(index), REQUEST, REQUEST)
        : RpcMethod.unary(SERVICE.getMethods().get(index), REQUEST, REQUEST);
  }

  @Test
  void defaultOptionsLeaveEverythingToTheClient() {
    ClientController c = CallOptions.DEFAULT.newController(method(0, false));
    assertNull(c.timeout());
    assertNull(c.compress());
    assertNull(c.waitForReady());
    assertTrue(c.requestMetadata().isEmpty());
    assertEquals(false, c.isOneWay());
    assertEquals(false, c.isFanout());
  }

  @Test
  void optionsBecomeTheCallsControllerSettings() {
    Metadata extra = new Metadata().put("k", "v");
    CallOptions o = CallOptions.DEFAULT.withDeadline(Duration.ofMillis(250)).withMetadata(extra)
        .withCompression(false).withWaitForReady().withFanout();
    extra.put("later", "x");
    ClientController c = o.newController(method(1, true));
    assertEquals(Duration.ofMillis(250), c.timeout());
    assertEquals(Boolean.FALSE, c.compress());
    assertEquals(Boolean.TRUE, c.waitForReady());
    assertEquals("v", c.requestMetadata().get("k"));
    assertNull(c.requestMetadata().get("later"), "the options copied the metadata");
    assertTrue(c.isOneWay(), "one-way comes from the method");
    assertTrue(c.isFanout());
    assertTrue(o.withDeadline(Duration.ofSeconds(1)).withMetadata(extra).withCompression(true)
        .withWaitForReady().newController(method(0, false)).isFanout(), "every copy keeps it");
    // each call gets its own metadata: a handler-side change cannot leak into the next call
    c.requestMetadata().put("k", "changed");
    assertEquals("v", o.newController(method(0, false)).requestMetadata().get("k"));
    assertTrue(CallOptions.DEFAULT.metadata().isEmpty(), "DEFAULT itself never changes");
    assertNull(CallOptions.DEFAULT.deadline());
  }

  @Test
  void aDeadlineMustBePositive() {
    assertThrows(IllegalArgumentException.class,
        () -> CallOptions.DEFAULT.withDeadline(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> CallOptions.DEFAULT.withDeadline(Duration.ofSeconds(-1)));
  }

  @Test
  void aMethodsPrototypesMustMatchItsDescriptor() {
    assertThrows(IllegalArgumentException.class,
        () -> RpcMethod.unary(SERVICE.getMethods().get(0), Empty.getDefaultInstance(), REQUEST));
  }

  @Test
  void aBindingNeedsOneHandlerPerMethod() {
    ServiceBinding.Builder b = ServiceBinding.builder(SERVICE)
        .blocking(method(0, false), (request, call) -> request);
    IllegalStateException missing = assertThrows(IllegalStateException.class, b::build);
    assertEquals("t.S.B has no handler", missing.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> b.blocking(method(0, false), (request, call) -> request));
    ServiceBinding bound = b.async(method(1, false),
        (request, call) -> ServiceBinding.unimplementedFuture(method(1, false))).build();
    assertEquals(SERVICE, bound.getDescriptorForType());
    assertEquals(REQUEST, bound.getRequestPrototype(SERVICE.getMethods().get(1)));
    assertThrows(IllegalArgumentException.class, () -> bound.callMethod(
        SERVICE.getMethods().get(0), new ClientController(), REQUEST, m -> { }));
  }

  @Test
  void asyncFailuresMapToStatuses() {
    Status denied = Status.of(StatusCode.PERMISSION_DENIED, "no");
    assertEquals(denied,
        ServiceBinding.statusOf(new CompletionException(new RpcException(denied))));
    assertEquals(StatusCode.CANCELLED,
        ServiceBinding.statusOf(new CancellationException()).code());
    assertEquals(Status.of(StatusCode.UNKNOWN, "boom"),
        ServiceBinding.statusOf(new IllegalStateException("boom")));
    assertEquals(StatusCode.UNIMPLEMENTED,
        ServiceBinding.unimplemented(method(0, false)).code());
  }
}
