/**
 * Runnable examples and the demo. Transports, codecs and other plugins arrive through the module
 * path, not {@code requires}: the demo finds whatever is installed.
 */
module io.protorpc.examples {
  // transitive: public classes here (ByteCountingTransport, the generated stubs) use its types
  requires transitive io.protorpc;

  exports io.protorpc.examples;
  exports io.protorpc.examples.echo;
  exports io.protorpc.examples.game;
  exports io.protorpc.examples.recommend;

  // What a module of generated messages needs at least: protobuf-java reads the generated
  // classes reflectively (Any.unpack behind Status.details(Class), toString(), the field
  // accessors), so their package must be exported to it. Public members only: no `opens`.
  exports io.protorpc.examples.calculator to com.google.protobuf;
}
