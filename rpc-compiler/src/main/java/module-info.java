/**
 * protoc-gen-protorpc, protorpc's protoc plugin: reads a {@code CodeGeneratorRequest} on standard
 * input and writes the service stubs ({@code io.protorpc.stub}) for each proto's services to
 * standard output (docs/codegen.md). A program, not a library: it exports nothing. Run it as
 * {@code protoc --plugin=protoc-gen-protorpc=...}; the shaded {@code -all} jar runs on the class
 * path, this module on the module path ({@code java -m
 * io.protorpc.compiler/io.protorpc.compiler.ProtocGenProtorpc}).
 */
module io.protorpc.compiler {
  requires com.google.protobuf;
}
