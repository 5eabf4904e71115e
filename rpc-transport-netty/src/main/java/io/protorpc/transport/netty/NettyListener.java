package io.protorpc.transport.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import java.io.IOException;
import java.net.BindException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A bound server channel. Each accepted channel becomes a {@link NettyConnection} that gets its
 * handler from the acceptor on its event loop; the listener tracks it until it closes.
 */
final class NettyListener implements Listener {
  private static final System.Logger LOG = System.getLogger(NettyTransport.class.getName());
  private static final int BACKLOG = 1024;
  /** The longest {@link #close()} waits for the connections to close and the threads to end. */
  private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final EventLoops loops;
  private final ChannelSetup setup;
  private final Transport.Acceptor acceptor;
  private final Set<NettyConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Channel server;
  private volatile InetSocketAddress localAddress;

  private NettyListener(EventLoops loops, ChannelSetup setup, Transport.Acceptor acceptor) {
    this.loops = loops;
    this.setup = setup;
    this.acceptor = acceptor;
  }

  /**
   * Binds to {@code local} on {@code loops}, which must have been retained for this listener:
   * the listener releases them when it closes, or at once if binding fails.
   */
  static NettyListener open(InetSocketAddress local, EventLoops loops, ChannelSetup setup,
      Transport.Acceptor acceptor) throws IOException {
    NettyListener listener = new NettyListener(loops, setup, acceptor);
    ServerBootstrap b = new ServerBootstrap()
        .group(loops.group())
        .channelFactory(loops::newServerChannel)
        .option(ChannelOption.SO_BACKLOG, BACKLOG)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            listener.serve(ch);
          }
        });
    ChannelFuture bound;
    try {
      bound = b.bind(local);
      NettyTransport.await(bound, setup.connectTimeoutMillis(), "binding " + local);
    } catch (BindException e) {
      loops.release();
      throw e;
    } catch (IOException e) {
      // epoll reports an address in use as its own NativeIoException: callers catch BindException
      loops.release();
      BindException bind = new BindException("binding " + local + " failed: " + e.getMessage());
      bind.initCause(e);
      throw bind;
    } catch (RuntimeException | Error e) {
      loops.release();
      throw e;
    }
    listener.server = bound.channel();
    listener.localAddress = (InetSocketAddress) bound.channel().localAddress();
    return listener;
  }

  /** On the accepted channel's event loop, while it is being registered. */
  private void serve(Channel ch) {
    if (!loops.retain()) {
      ch.close(); // the listener closed and the loops are going away
      return;
    }
    setup.configure(ch);
    if (setup.tls()) {
      setup.addTls(ch, null); // the handshake runs as the client's bytes arrive
    }
    NettyConnection conn = new NettyConnection(ch, loops);
    conn.releaseLoopsOnClose();
    conn.captureAddresses();
    connections.add(conn);
    ch.closeFuture().addListener(f -> connections.remove(conn));
    // Checked after add: either close() sees this connection in the set or we see closed.
    if (closed.get()) {
      conn.closeWith(null);
      return;
    }
    try {
      ConnectionHandler handler = acceptor.accept(conn);
      if (handler == null) {
        throw new IllegalStateException("acceptor returned no handler");
      }
      conn.start(handler);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "dropping connection from " + conn.remoteAddress(), e);
      conn.closeWith(e);
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  /**
   * Stops accepting, closes every accepted connection (letting what was written drain, as {@link
   * NettyConnection#close()} does) and, off the event loop, waits at most five seconds in all for
   * them to close and, if this was the transport's last user of its event loops, for the loops'
   * threads to end.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
    boolean mayWait = !EventLoops.isLoopThread();
    ChannelFuture serverClosed = server.close();
    if (mayWait) {
      serverClosed.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
    }
    // The server channel is closed (or closing): no connection joins the set after this pass
    // except one still being registered, which sees `closed` and closes itself.
    List<NettyConnection> open = List.copyOf(connections);
    for (NettyConnection c : open) {
      c.closeAsync();
    }
    if (mayWait) {
      for (NettyConnection c : open) {
        if (!c.awaitFinished(deadline)) {
          break;
        }
      }
    }
    loops.release();
    loops.awaitTerminationIfShutDown(deadline);
  }

  @Override
  public String toString() {
    return "NettyListener[" + localAddress + (closed.get() ? ", closed" : "") + "]";
  }
}
