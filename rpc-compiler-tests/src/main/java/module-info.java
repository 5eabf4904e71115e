/**
 * The torture protos' generated code (protoc's messages and protoc-gen-protorpc's stubs) as a
 * named module: its tests call every method on the module path.
 */
module io.protorpc.compiler.tests {
  requires transitive io.protorpc;

  exports torture.keywords;
  exports torture.opt;
  exports torture.ed;
  exports io.protorpc.torture.deep;
  exports io.protorpc.torture.imports;
}
