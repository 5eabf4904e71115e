package io.protorpc.compiler;

import java.util.List;

/**
 * One service as the generated code needs it: every name already resolved to Java. Built by
 * {@link Generator}, written by {@link StubWriter}.
 *
 * @param protoFile the .proto file that declares the service
 * @param javaPackage the package of the generated class ("" for none)
 * @param className the generated class's simple name, e.g. {@code CalculatorRpc}
 * @param fullName the service's full protobuf name, e.g. {@code demo.Calculator}
 * @param outerClass the outer class of the service's file, whose descriptor holds the service
 * @param index the service's index in its file
 * @param comment the service's leading comment in the .proto ("" for none)
 * @param methods the rpcs, in declaration order
 */
record ServiceModel(String protoFile, String javaPackage, String className, String fullName,
    String outerClass, int index, String comment, List<Method> methods) {

  /**
   * @param protoName the rpc's name in the .proto
   * @param javaName its Java method name
   * @param constant the name of its {@code RpcMethod} constant
   * @param requestClass the request message class, fully qualified
   * @param responseClass the response message class, fully qualified
   * @param oneWay whether {@code option (protorpc.one_way) = true;}
   * @param comment the rpc's leading comment ("" for none)
   */
  record Method(String protoName, String javaName, String constant, String requestClass,
      String responseClass, boolean oneWay, String comment) {}
}
