/**
 * The {@code inproc} transport: a server and its clients in one JVM, connected by bounded
 * in-memory pipes instead of sockets. See {@link io.protorpc.transport.inproc.InProcessTransport}.
 */
module io.protorpc.transport.inproc {
  requires transitive io.protorpc;

  exports io.protorpc.transport.inproc;

  provides io.protorpc.spi.Transport with
      io.protorpc.transport.inproc.InProcessTransport;
}
