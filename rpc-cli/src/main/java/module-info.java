/**
 * The {@code protorpc} command line: lists, describes and calls the services of any protorpc
 * server, with JSON in and out, through server reflection or given .proto files. Run it with the
 * launcher at the repository's root ({@code ./protorpc --help}) or {@code java -jar protorpc.jar}.
 * Transports, codecs and compressors arrive through the module path, as for any application.
 */
module io.protorpc.cli {
  requires io.protorpc;
  requires info.picocli;
  requires com.google.protobuf.util;
  requires com.google.gson;

  // picocli fills the commands' annotated fields reflectively
  opens io.protorpc.cli to info.picocli;
}
