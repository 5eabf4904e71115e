/**
 * The {@code netty} transport: Netty event loops, epoll where its native library loads and NIO
 * otherwise. See {@link io.protorpc.transport.netty.NettyTransport}.
 *
 * <p>The epoll native library is the package-less module {@code
 * io.netty.transport.epoll.linux.x86_64} (artifact {@code netty-transport-native-epoll}, classifier
 * {@code linux-x86_64}). Nothing requires it, so launched with {@code java -p ... -m ...} add
 * {@code --add-modules io.netty.transport.epoll.linux.x86_64} to get epoll; without it the
 * transport uses NIO.
 */
module io.protorpc.transport.netty {
  requires transitive io.protorpc;
  requires io.netty.common;
  requires io.netty.buffer;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.handler;

  exports io.protorpc.transport.netty;

  provides io.protorpc.spi.Transport with
      io.protorpc.transport.netty.NettyTransport;
}
