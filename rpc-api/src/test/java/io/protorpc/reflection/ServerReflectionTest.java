package io.protorpc.reflection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.AnyProto;
import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.BlockingService;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import io.protorpc.ClientController;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The reflection service's index and answers, and what {@link ReflectionClient} builds from them
 * or refuses, through a channel that calls the service directly (the transport suites run it over
 * real connections).
 */
class ServerReflectionTest {
  /** a.proto: message A { message B {} enum E {} }. */
  private static final FileDescriptor A = build(FileDescriptorProto.newBuilder()
      .setName("test/a.proto").setPackage("test").setSyntax("proto3")
      .addMessageType(DescriptorProto.newBuilder().setName("A")
          .addNestedType(DescriptorProto.newBuilder().setName("B"))
          .addEnumType(EnumDescriptorProto.newBuilder().setName("E")
              .addValue(EnumValueDescriptorProto.newBuilder().setName("E_ZERO").setNumber(0))))
      .build());

  /** b.proto imports a.proto and any.proto: service S { rpc M(A) returns (Holder); }. */
  private static final FileDescriptor B = build(FileDescriptorProto.newBuilder()
      .setName("test/b.proto").setPackage("test").setSyntax("proto3")
      .addDependency("test/a.proto").addDependency("google/protobuf/any.proto")
      .addMessageType(DescriptorProto.newBuilder().setName("Holder")
          .addField(FieldDescriptorProto.newBuilder().setName("any").setNumber(1)
              .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Any")))
      .addService(ServiceDescriptorProto.newBuilder().setName("S")
          .addMethod(MethodDescriptorProto.newBuilder().setName("M")
              .setInputType(".test.A").setOutputType(".test.Holder")))
      .build(), A, AnyProto.getDescriptor());

  private static final ServiceDescriptor S = B.findServiceByName("S");

  private static FileDescriptor build(FileDescriptorProto proto, FileDescriptor... deps) {
    try {
      return FileDescriptor.buildFrom(proto, deps);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private final BlockingService service = ServerReflection.newService(List.of(S));

  private List<String> fileNames(Message response) throws Exception {
    List<String> names = new ArrayList<>();
    for (ByteString b : ((FileDescriptorResponse) response).getFileDescriptorProtoList()) {
      names.add(FileDescriptorProto.parseFrom(b).getName());
    }
    return names;
  }

  private Message symbol(String name) throws Exception {
    return service.callBlockingMethod(ServerReflection.FILE_CONTAINING_SYMBOL, null,
        FileContainingSymbolRequest.newBuilder().setSymbol(name).build());
  }

  @Test
  void listsTheServicesAndItselfSorted() throws Exception {
    ListServicesResponse r = (ListServicesResponse) service.callBlockingMethod(
        ServerReflection.LIST_SERVICES, null, ListServicesRequest.getDefaultInstance());
    assertEquals(List.of(ServerReflection.SERVICE_NAME, "test.S"),
        r.getServiceList().stream().map(ServiceResponse::getName).toList());
  }

  @Test
  void answersForEveryKindOfSymbolWithTheFileFirstThenItsImports() throws Exception {
    assertEquals(List.of("test/b.proto", "test/a.proto", "google/protobuf/any.proto"),
        fileNames(symbol("test.S")));
    assertEquals(fileNames(symbol("test.S")), fileNames(symbol("test.S.M")));
    assertEquals(List.of("test/a.proto"), fileNames(symbol("test.A.B")));
    assertEquals(List.of("test/a.proto"), fileNames(symbol("test.A.E")));
    assertEquals(List.of("google/protobuf/any.proto"), fileNames(symbol("google.protobuf.Any")));
    assertEquals(List.of("protorpc/reflection/v1/reflection.proto"),
        fileNames(symbol(ServerReflection.SERVICE_NAME)));
    assertEquals(List.of("test/a.proto"), fileNames(service.callBlockingMethod(
        ServerReflection.FILE_BY_FILENAME, null,
        FileByFilenameRequest.newBuilder().setFilename("test/a.proto").build())));
  }

  @Test
  void anUnknownSymbolOrFileIsNotFound() {
    for (String unknown : List.of("test.Nope", "", ".test.S", "test.S.Nope")) {
      RpcException e = assertThrows(RpcException.class, () -> symbol(unknown));
      assertEquals(StatusCode.NOT_FOUND, e.code(), unknown);
      assertTrue(e.status().message().contains("'" + unknown + "'"), e.status().message());
    }
    RpcException e = assertThrows(RpcException.class, () -> service.callBlockingMethod(
        ServerReflection.FILE_BY_FILENAME, null,
        FileByFilenameRequest.newBuilder().setFilename("test/c.proto").build()));
    assertEquals(StatusCode.NOT_FOUND, e.code());
  }

  /** A channel that answers with {@code service}, counting the calls. */
  private static BlockingRpcChannel direct(BlockingService service, AtomicInteger calls) {
    return (method, controller, request, prototype) -> {
      calls.incrementAndGet();
      return service.callBlockingMethod(method, controller, request);
    };
  }

  @Test
  void theClientBuildsTheFilesAndKeepsThem() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ReflectionClient client = new ReflectionClient(direct(service, calls), ClientController::new);
    assertEquals(List.of(ServerReflection.SERVICE_NAME, "test.S"), client.listServices());
    FileDescriptor b = client.fileContainingSymbol("test.S.M");
    assertEquals(B.toProto(), b.toProto());
    assertEquals(A.toProto(), b.getDependencies().get(0).toProto());
    assertEquals("google.protobuf.Any",
        b.findMessageTypeByName("Holder").findFieldByName("any").getMessageType().getFullName());
    assertEquals(2, calls.get(), "the imports came with the answer");
    assertSame(b.getDependencies().get(0), client.fileByFilename("test/a.proto"));
    assertEquals(2, calls.get(), "a built file is kept");
  }

  /** A server that answers every file request with what {@code answer} makes of the request. */
  private static ReflectionClient lying(Function<Message, List<ByteString>> answer) {
    return new ReflectionClient((method, controller, request, prototype) ->
        FileDescriptorResponse.newBuilder().addAllFileDescriptorProto(answer.apply(request))
            .build(), ClientController::new);
  }

  private static ByteString file(String name, String... imports) {
    return FileDescriptorProto.newBuilder().setName(name).addAllDependency(List.of(imports))
        .build().toByteString();
  }

  private static void assertInternal(ReflectionClient client, String expected) {
    RpcException e = assertThrows(RpcException.class, () -> client.fileContainingSymbol("x.X"));
    assertEquals(StatusCode.INTERNAL, e.code());
    assertTrue(e.status().message().contains(expected), e.status().message());
  }

  @Test
  void theClientRefusesAnswersItCannotBuild() {
    assertInternal(lying(r -> List.of(ByteString.copyFromUtf8("\u0008\u00ff"))), "does not parse");
    assertInternal(lying(r -> List.of()), "no file");
    assertInternal(lying(r -> List.of(file("x.proto", "y.proto"), file("y.proto", "x.proto"))),
        "import each other");
    assertInternal(lying(r -> List.of(file("x.proto", "x.proto"))), "import each other");
    // asked for y.proto by name, it sends z.proto
    assertInternal(lying(r -> r instanceof FileByFilenameRequest ? List.of(file("z.proto"))
        : List.of(file("x.proto", "y.proto"))), "sent 'z.proto' when asked for 'y.proto'");
    // a type that is nowhere
    assertInternal(lying(r -> List.of(FileDescriptorProto.newBuilder().setName("x.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("X")
            .addField(FieldDescriptorProto.newBuilder().setName("f").setNumber(1)
                .setTypeName(".nowhere.Y")))
        .build().toByteString())), "does not build");
  }

  @Test
  void theClientStopsAtTheImportDepthLimit() {
    AtomicInteger next = new AtomicInteger();
    // every file imports a new one, for ever
    ReflectionClient client = lying(r -> {
      int n = next.getAndIncrement();
      return List.of(file("f" + n + ".proto", "f" + (n + 1) + ".proto"));
    });
    assertInternal(client, "nested more than " + ReflectionClient.MAX_IMPORT_DEPTH + " deep");
    assertEquals(ReflectionClient.MAX_IMPORT_DEPTH, next.get(), "refused before asking for more");
  }

  @Test
  void theClientStopsAtTheFileLimit() {
    String[] imports = new String[ReflectionClient.MAX_FILES + 1];
    for (int i = 0; i < imports.length; i++) {
      imports[i] = "f" + i + ".proto";
    }
    // the first file imports more files than the limit; each is sent when asked for
    ReflectionClient client = lying(r -> List.of(r instanceof FileByFilenameRequest f
        ? file(f.getFilename()) : file("x.proto", imports)));
    assertInternal(client, "more than " + ReflectionClient.MAX_FILES + " files");
  }
}
