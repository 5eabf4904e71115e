/**
 * The {@code socket} transport: blocking {@code java.net} sockets, one reader thread per
 * connection (virtual threads on JDK 21+). See {@link io.protorpc.transport.socket.SocketTransport}.
 */
module io.protorpc.transport.socket {
  requires transitive io.protorpc;

  exports io.protorpc.transport.socket;

  provides io.protorpc.spi.Transport with
      io.protorpc.transport.socket.SocketTransport;
}
