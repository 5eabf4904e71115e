package io.protorpc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** protoc's Java naming rules as the generator applies them; the torture module checks them against protoc's real output. */
class JavaNamesTest {

  @Test
  void camelCaseFollowsProtocUnderscoresToCamelCase() {
    assertEquals("FooBarBaz", JavaNames.camelCase("foo_bar_baz", true));
    assertEquals("Foo2Bar", JavaNames.camelCase("foo2bar", true));
    assertEquals("FooBar", JavaNames.camelCase("foo-bar", true));
    assertEquals("getClass", JavaNames.camelCase("GetClass", false));
    assertEquals("hTTPRequest", JavaNames.camelCase("HTTPRequest", false));
  }

  @Test
  void rpcNamesThatJavaOrTheGeneratedTypesReserveGetAnUnderscore() {
    assertEquals("class_", JavaNames.methodName("class"));
    assertEquals("wait_", JavaNames.methodName("wait"));
    assertEquals("getClass_", JavaNames.methodName("GetClass"));
    assertEquals("hashCode_", JavaNames.methodName("hashCode"));
    assertEquals("withDeadline_", JavaNames.methodName("WithDeadline"));
    assertEquals("divide", JavaNames.methodName("Divide"));
    assertEquals("getItem", JavaNames.methodName("get_item"));
  }

  @Test
  void methodConstantsAreUpperSnakeCase() {
    assertEquals("METHOD_DIVIDE", JavaNames.methodConstant("Divide"));
    assertEquals("METHOD_GET_CLASS", JavaNames.methodConstant("GetClass"));
    assertEquals("METHOD_HASH_CODE", JavaNames.methodConstant("hashCode"));
    assertEquals("METHOD_GET_ITEM2", JavaNames.methodConstant("get_item2"));
  }

  @Test
  void outerClassNameComesFromTheFileUnlessSetOrTaken() {
    assertEquals("CalculatorService", JavaNames.outerClassName(file("a/b/calculator_service.proto")));
    assertEquals("Named", JavaNames.outerClassName(file("x.proto").toBuilder()
        .setOptions(FileOptions.newBuilder().setJavaOuterClassname("Named")).build()));
    // a nested enum of that name counts, as in protoc
    FileDescriptorProto taken = file("thing.proto").toBuilder().addMessageType(
        DescriptorProto.newBuilder().setName("Box")
            .addEnumType(EnumDescriptorProto.newBuilder().setName("Thing"))).build();
    assertEquals("ThingOuterClass", JavaNames.outerClassName(taken));
  }

  @Test
  void messageClassesNestInTheOuterClassUnlessMultipleFiles() {
    FileDescriptorProto nested = file("p/one.proto").toBuilder().setPackage("p")
        .setOptions(FileOptions.newBuilder().setJavaPackage("com.example"))
        .addMessageType(DescriptorProto.newBuilder().setName("A")
            .addNestedType(DescriptorProto.newBuilder().setName("B"))).build();
    FileDescriptorProto flat = file("q/two.proto").toBuilder().setPackage("q.r")
        .setOptions(FileOptions.newBuilder().setJavaMultipleFiles(true))
        .addMessageType(DescriptorProto.newBuilder().setName("C")).build();
    JavaNames names = new JavaNames(List.of(nested, flat));
    assertEquals("com.example.One.A.B", names.messageClass(".p.A.B"));
    assertEquals("q.r.C", names.messageClass(".q.r.C"));
    assertEquals("q.r.Two", names.outerClass(flat));
  }

  private static FileDescriptorProto file(String name) {
    return FileDescriptorProto.newBuilder().setName(name).build();
  }
}
