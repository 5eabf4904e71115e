package io.protorpc.transport.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One event-loop group (epoll or NIO, a fixed number of threads) and the count of the
 * connections and listeners using it. The group's threads start with its first user and are shut
 * down when its last user releases it; a group that has been shut down is never handed out again
 * (its owner makes a new one), so nothing can be scheduled on loops that are going away.
 */
final class EventLoops {
  /** The longest the threads may take to finish once the last user has gone. */
  private static final long SHUTDOWN_TIMEOUT_MILLIS = 2_000;

  /** epoll or NIO: the I/O handler and channel classes that go together. */
  enum Kind {
    EPOLL("epoll", EpollIoHandler::newFactory, EpollSocketChannel::new,
        EpollServerSocketChannel::new),
    NIO("nio", NioIoHandler::newFactory, NioSocketChannel::new, NioServerSocketChannel::new);

    final String label;
    private final Supplier<IoHandlerFactory> ioHandler;
    private final Supplier<SocketChannel> socketChannel;
    private final Supplier<ServerChannel> serverChannel;

    Kind(String label, Supplier<IoHandlerFactory> ioHandler,
        Supplier<SocketChannel> socketChannel, Supplier<ServerChannel> serverChannel) {
      this.label = label;
      this.ioHandler = ioHandler;
      this.socketChannel = socketChannel;
      this.serverChannel = serverChannel;
    }
  }

  private final Kind kind;
  private final int threads;
  private final LoopThreadFactory threadFactory;
  private final MultiThreadIoEventLoopGroup group;
  private int users; // guarded by this
  private boolean shutDown; // guarded by this

  EventLoops(Kind kind, int threads) {
    this.kind = kind;
    this.threads = threads;
    this.threadFactory = new LoopThreadFactory("protorpc-netty-" + kind.label);
    this.group = new MultiThreadIoEventLoopGroup(threads, threadFactory, kind.ioHandler.get());
  }

  Kind kind() {
    return kind;
  }

  int threads() {
    return threads;
  }

  EventLoopGroup group() {
    return group;
  }

  SocketChannel newSocketChannel() {
    return kind.socketChannel.get();
  }

  ServerChannel newServerChannel() {
    return kind.serverChannel.get();
  }

  /** Adds a user; false once the group has been shut down (the caller must not use it). */
  synchronized boolean retain() {
    if (shutDown) {
      return false;
    }
    users++;
    return true;
  }

  /** Removes a user; the last one shuts the group down (without waiting for it). */
  void release() {
    synchronized (this) {
      if (shutDown || --users > 0) {
        return;
      }
      shutDown = true;
    }
    // No quiet period: a group nobody uses gets no new work (retain() refuses it), and what is
    // queued already (the last channels' close events) still runs before the threads end.
    group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * If the group has been shut down, waits until its threads have ended or the deadline passes;
   * never waits on one of the transport's own threads (which would wait for itself).
   */
  void awaitTerminationIfShutDown(long deadlineNanos) {
    synchronized (this) {
      if (!shutDown) {
        return;
      }
    }
    if (isLoopThread()) {
      return;
    }
    try {
      // The group's termination future completes just before its threads end: join them too.
      for (Thread t : threadFactory.started) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return;
        }
        t.join(TimeUnit.NANOSECONDS.toMillis(left) + 1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True on an event-loop thread of this transport, where nothing may block. */
  static boolean isLoopThread() {
    return Thread.currentThread() instanceof LoopThread;
  }

  /** Event-loop threads, marked so that blocking paths can recognise (and spare) them. */
  private static final class LoopThread extends FastThreadLocalThread {
    LoopThread(ThreadGroup group, Runnable r, String name) {
      super(group, r, name);
    }
  }

  /** Daemon threads named {@code protorpc-netty-<kind>-<group>-<n>}, remembered for joining. */
  private static final class LoopThreadFactory extends DefaultThreadFactory {
    final List<Thread> started = new CopyOnWriteArrayList<>();

    LoopThreadFactory(String poolName) {
      super(poolName, true);
    }

    @Override
    protected Thread newThread(Runnable r, String name) {
      Thread t = new LoopThread(threadGroup, r, name);
      started.add(t);
      return t;
    }
  }

  @Override
  public String toString() {
    return "EventLoops[" + kind.label + " x" + threads + "]";
  }
}
