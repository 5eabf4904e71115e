package io.protorpc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.Edition;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileOptions;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The generator on hand-built protoc requests; end-to-end runs of real protoc are in rpc-compiler-tests. */
class GeneratorTest {
  private static final FileDescriptorProto OPTIONS = FileDescriptorProto.newBuilder()
      .setName("protorpc/options.proto").setPackage("protorpc")
      .addExtension(FieldDescriptorProto.newBuilder().setName("one_way").setNumber(50731)
          .setExtendee(".google.protobuf.MethodOptions")
          .setType(FieldDescriptorProto.Type.TYPE_BOOL)).build();

  private static FileDescriptorProto calculator(MethodDescriptorProto... methods) {
    return FileDescriptorProto.newBuilder().setName("demo/calc.proto").setPackage("demo")
        .setOptions(FileOptions.newBuilder().setJavaMultipleFiles(true))
        .addMessageType(DescriptorProto.newBuilder().setName("Req"))
        .addMessageType(DescriptorProto.newBuilder().setName("Resp"))
        .addService(ServiceDescriptorProto.newBuilder().setName("Calculator").addAllMethod(
            java.util.List.of(methods)))
        .build();
  }

  private static MethodDescriptorProto.Builder method(String name) {
    return MethodDescriptorProto.newBuilder().setName(name).setInputType(".demo.Req")
        .setOutputType(".demo.Resp");
  }

  private static CodeGeneratorResponse generate(FileDescriptorProto file) {
    return Generator.generate(CodeGeneratorRequest.newBuilder().addProtoFile(OPTIONS)
        .addProtoFile(file).addFileToGenerate(file.getName()).build());
  }

  @Test
  void declaresProto3OptionalAndEditionsUpTo2023() {
    CodeGeneratorResponse r = generate(calculator(method("Divide").build()));
    assertEquals(CodeGeneratorResponse.Feature.FEATURE_PROTO3_OPTIONAL_VALUE
        | CodeGeneratorResponse.Feature.FEATURE_SUPPORTS_EDITIONS_VALUE, r.getSupportedFeatures());
    assertEquals(Edition.EDITION_PROTO2_VALUE, r.getMinimumEdition());
    assertEquals(Edition.EDITION_2023_VALUE, r.getMaximumEdition());
  }

  @Test
  void writesOneFooRpcPerServiceInItsJavaPackage() {
    CodeGeneratorResponse r = generate(calculator(method("Divide").build()));
    assertFalse(r.hasError(), r::getError);
    assertEquals(1, r.getFileCount());
    assertEquals("demo/CalculatorRpc.java", r.getFile(0).getName());
    String src = r.getFile(0).getContent();
    assertTrue(src.contains("public final class CalculatorRpc"), src);
    assertTrue(src.contains("RpcMethod<demo.Req, demo.Resp> METHOD_DIVIDE"), src);
    assertTrue(src.contains("RpcMethod.unary(getServiceDescriptor().getMethods().get(0)"), src);
    assertTrue(src.contains("return demo.Calc.getDescriptor().getServices().get(0);"), src);
  }

  @Test
  void aStreamingRpcFailsWithItsName() {
    CodeGeneratorResponse r = generate(calculator(method("Divide").build(),
        method("Watch").setServerStreaming(true).build()));
    assertEquals(0, r.getFileCount());
    assertTrue(r.getError().contains("demo/calc.proto: rpc demo.Calculator.Watch streams its "
        + "response"), r::getError);
  }

  @Test
  void theOneWayOptionIsReadFromMethodOptions() {
    MethodOptions oneWay = MethodOptions.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(50731, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
    CodeGeneratorResponse r = generate(calculator(method("Log").setOptions(oneWay).build(),
        method("Divide").build()));
    String src = r.getFile(0).getContent();
    assertTrue(src.contains("METHOD_LOG =\n      io.protorpc.stub.RpcMethod.oneWay("), src);
    assertTrue(src.contains("METHOD_DIVIDE =\n      io.protorpc.stub.RpcMethod.unary("), src);
  }

  @Test
  void parametersAreRefused() {
    CodeGeneratorResponse r = Generator.generate(CodeGeneratorRequest.newBuilder()
        .setParameter("lite").addProtoFile(calculator(method("Divide").build())).build());
    assertTrue(r.getError().contains("takes no options, got 'lite'"), r::getError);
  }

  @Test
  void aClassNameTakenByProtocsOutputIsRefused() {
    FileDescriptorProto clash = calculator(method("Divide").build()).toBuilder()
        .addMessageType(DescriptorProto.newBuilder().setName("CalculatorRpc")).build();
    assertTrue(generate(clash).getError().contains("needs the class demo.CalculatorRpc"));
  }

  @Test
  void runReadsARequestAndWritesTheResponse() throws Exception {
    CodeGeneratorRequest request = CodeGeneratorRequest.newBuilder()
        .addProtoFile(calculator(method("Divide").build())).addFileToGenerate("demo/calc.proto")
        .build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ProtocGenProtorpc.run(new ByteArrayInputStream(request.toByteArray()), out);
    CodeGeneratorResponse r = CodeGeneratorResponse.parseFrom(out.toByteArray());
    assertEquals("demo/CalculatorRpc.java", r.getFile(0).getName());
  }
}
