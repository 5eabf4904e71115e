/**
 * Runnable examples and the demo. Transports, codecs and other plugins arrive through the module
 * path, not {@code requires}: the demo finds whatever is installed.
 */
module io.protorpc.examples {
  // transitive: public classes here (ByteCountingTransport, the generated stubs) use its types
  requires transitive io.protorpc;

  exports io.protorpc.examples;
  exports io.protorpc.examples.balancing;
  // A package of generated messages must be exported to com.google.protobuf at least:
  // protobuf-java reads generated classes reflectively (Any.unpack behind Status.details(Class),
  // toString(), the field accessors). Public members only, so no `opens`.
  exports io.protorpc.examples.calculator;
  exports io.protorpc.examples.echo;
  exports io.protorpc.examples.game;
  exports io.protorpc.examples.recommend;
}
