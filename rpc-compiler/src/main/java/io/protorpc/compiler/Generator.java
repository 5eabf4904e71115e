package io.protorpc.compiler;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.Edition;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns protoc's request into the response: one {@code FooRpc.java} per service in the files to
 * generate, or an error naming what cannot be generated (a streaming rpc, say).
 */
final class Generator {
  /** Full name of the one-way method option, declared in protorpc/options.proto (rpc-api). */
  static final String ONE_WAY_OPTION = "protorpc.one_way";

  // FileDescriptorProto field numbers, for source locations (comments)
  private static final int FILE_SERVICE = 6;
  private static final int SERVICE_METHOD = 2;

  private Generator() {}

  /** What protoc-gen-protorpc answers to {@code request}; never throws for bad input. */
  static CodeGeneratorResponse generate(CodeGeneratorRequest request) {
    CodeGeneratorResponse.Builder response = CodeGeneratorResponse.newBuilder()
        .setSupportedFeatures(CodeGeneratorResponse.Feature.FEATURE_PROTO3_OPTIONAL_VALUE
            | CodeGeneratorResponse.Feature.FEATURE_SUPPORTS_EDITIONS_VALUE)
        .setMinimumEdition(Edition.EDITION_PROTO2_VALUE)
        // 2024 nests and names Java classes by features this generator does not read yet
        .setMaximumEdition(Edition.EDITION_2023_VALUE);
    try {
      if (!request.getParameter().isEmpty()) {
        throw new GenerationException("protoc-gen-protorpc takes no options, got '"
            + request.getParameter() + "'");
      }
      JavaNames names = new JavaNames(request.getProtoFileList());
      Integer oneWayField = oneWayFieldNumber(request.getProtoFileList());
      Set<String> toGenerate = new HashSet<>(request.getFileToGenerateList());
      for (FileDescriptorProto file : request.getProtoFileList()) {
        if (!toGenerate.contains(file.getName())) {
          continue;
        }
        for (int i = 0; i < file.getServiceCount(); i++) {
          ServiceModel model = model(file, i, names, oneWayField);
          String path = model.javaPackage().isEmpty() ? ""
              : model.javaPackage().replace('.', '/') + "/";
          response.addFileBuilder()
              .setName(path + model.className() + ".java")
              .setContent(StubWriter.write(model));
        }
      }
    } catch (GenerationException e) {
      response.clearFile().setError(e.getMessage());
    }
    return response.build();
  }

  private static ServiceModel model(FileDescriptorProto file, int index, JavaNames names,
      Integer oneWayField) throws GenerationException {
    ServiceDescriptorProto service = file.getService(index);
    String fullName = file.getPackage().isEmpty()
        ? service.getName() : file.getPackage() + "." + service.getName();
    String javaPackage = JavaNames.javaPackage(file);
    String className = service.getName() + "Rpc";
    if (JavaNames.outerClassName(file).equals(className)
        || file.getOptions().getJavaMultipleFiles() && declaresTopLevel(file, className)) {
      throw new GenerationException(file.getName() + ": service " + fullName + " needs the class "
          + JavaNames.qualify(javaPackage, className) + ", which protoc's Java output of this "
          + "file already uses; rename that type or set java_outer_classname");
    }
    Map<Integer, String> comments = comments(file.getSourceCodeInfo(), index);
    List<ServiceModel.Method> methods = new ArrayList<>();
    Map<String, String> javaNames = new HashMap<>();
    Map<String, String> constants = new HashMap<>();
    for (int m = 0; m < service.getMethodCount(); m++) {
      MethodDescriptorProto method = service.getMethod(m);
      if (method.getClientStreaming() || method.getServerStreaming()) {
        String what = method.getClientStreaming() && method.getServerStreaming()
            ? "its request and its response" : method.getClientStreaming()
            ? "its request" : "its response";
        throw new GenerationException(file.getName() + ": rpc " + fullName + "."
            + method.getName() + " streams " + what + "; protorpc has unary and one-way rpcs "
            + "only, so protoc-gen-protorpc cannot generate it (remove 'stream' or move the rpc "
            + "to a service compiled by another generator)");
      }
      String javaName = unique(JavaNames.methodName(method.getName()), m, javaNames,
          method.getName());
      String constant = unique(JavaNames.methodConstant(method.getName()), m, constants,
          method.getName());
      methods.add(new ServiceModel.Method(method.getName(), javaName, constant,
          names.messageClass(method.getInputType()), names.messageClass(method.getOutputType()),
          isOneWay(method, oneWayField), comments.getOrDefault(m, "")));
    }
    return new ServiceModel(file.getName(), javaPackage, className, fullName,
        names.outerClass(file), index, comments.getOrDefault(-1, ""), methods);
  }

  /**
   * {@code name}, or, if an earlier rpc of the service already got it (rpcs {@code Get_Item} and
   * {@code GetItem} both make {@code getItem}), {@code name} plus '_' (unless it ends in one) and
   * this rpc's index.
   */
  private static String unique(String name, int index, Map<String, String> taken, String rpc) {
    String chosen = name;
    while (taken.containsKey(chosen)) {
      chosen = (chosen.endsWith("_") ? chosen : chosen + "_") + index;
    }
    taken.put(chosen, rpc);
    return chosen;
  }

  private static boolean declaresTopLevel(FileDescriptorProto file, String name) {
    return file.getMessageTypeList().stream().map(DescriptorProto::getName).anyMatch(name::equals)
        || file.getEnumTypeList().stream().anyMatch(e -> e.getName().equals(name))
        || file.getServiceList().stream().anyMatch(s -> s.getName().equals(name));
  }

  /**
   * The field number of {@code (protorpc.one_way)}, found by name among the request's files
   * (protoc sends every file the generated ones import), or null if none of them declares it.
   */
  static Integer oneWayFieldNumber(List<FileDescriptorProto> files) {
    for (FileDescriptorProto file : files) {
      for (FieldDescriptorProto ext : file.getExtensionList()) {
        String fullName = file.getPackage().isEmpty()
            ? ext.getName() : file.getPackage() + "." + ext.getName();
        if (fullName.equals(ONE_WAY_OPTION)
            && ext.getExtendee().equals(".google.protobuf.MethodOptions")) {
          return ext.getNumber();
        }
      }
    }
    return null;
  }

  /**
   * Whether the method sets the option. It arrives as an unknown field of MethodOptions (this
   * plugin registers no extensions); the last value wins, as protobuf reads a repeated scalar.
   */
  private static boolean isOneWay(MethodDescriptorProto method, Integer field) {
    if (field == null || !method.getOptions().getUnknownFields().hasField(field)) {
      return false;
    }
    UnknownFieldSet.Field value = method.getOptions().getUnknownFields().getField(field);
    List<Long> varints = value.getVarintList();
    return !varints.isEmpty() && varints.get(varints.size() - 1) != 0;
  }

  /** Leading comments of the service (key -1) and of its methods (key: method index). */
  private static Map<Integer, String> comments(SourceCodeInfo info, int service) {
    Map<Integer, String> out = new HashMap<>();
    for (SourceCodeInfo.Location l : info.getLocationList()) {
      if (l.getPathCount() < 2 || l.getPath(0) != FILE_SERVICE || l.getPath(1) != service
          || !l.hasLeadingComments()) {
        continue;
      }
      if (l.getPathCount() == 2) {
        out.put(-1, l.getLeadingComments());
      } else if (l.getPathCount() == 4 && l.getPath(2) == SERVICE_METHOD) {
        out.put(l.getPath(3), l.getLeadingComments());
      }
    }
    return out;
  }

  /** Input the generator refuses, with the message protoc shows. */
  static final class GenerationException extends Exception {
    private static final long serialVersionUID = 1L;

    GenerationException(String message) {
      super(message);
    }
  }
}
