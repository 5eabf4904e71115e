package io.protorpc.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.handler.ssl.SslHandler;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.SSLSession;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Netty channel as a {@link Connection}. Everything that touches the handler, the pipeline or
 * the read state runs on the channel's event loop; {@link #write}, {@link #close} and {@link
 * #isOpen} may be called from any thread. See {@link NettyTransport} for the contract.
 */
final class NettyConnection implements Connection {
  /** The longest close() lets the bytes of earlier writes drain before closing regardless. */
  static final long CLOSE_FLUSH_MILLIS = 1_000;
  /** The longest close() waits, off the event loop, for the channel to be closed. */
  private static final long CLOSE_WAIT_MILLIS = CLOSE_FLUSH_MILLIS + 1_000;
  /**
   * How often a blocked writer re-checks on its own. Writability changes and closes wake it; this
   * is only a safety net, so that a missed wake-up can delay a writer but never hang it.
   */
  private static final long WRITABLE_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final Closed ORDERLY = new Closed(null);
  /**
   * On an event loop, the connection whose input it is handling right now: the source to slow
   * down when that input makes the loop write to another loop's connection faster than its peer
   * reads.
   */
  private static final FastThreadLocal<NettyConnection> READING = new FastThreadLocal<>();

  /** Why the connection ended; {@code cause} is null for an orderly close. */
  private record Closed(Throwable cause) {}

  private final Channel channel;
  private final EventLoops loops;
  private final Pipe pipe = new Pipe();
  private final AtomicReference<Closed> closed = new AtomicReference<>();
  private final AtomicBoolean loopsReleased = new AtomicBoolean();
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  /**
   * Writes handed to the pipeline whose flush has not run yet. A write's flush is skipped while
   * another write is queued behind it, so the last of a burst flushes for all of them.
   */
  private final AtomicInteger unflushedWrites = new AtomicInteger();
  /**
   * Writes admitted (they found the connection open) whose message the pipeline has not taken
   * yet, plus writes being checked. An orderly close drains only once this is zero, so that every
   * write admitted before it is in the outbound buffer ahead of the drain's marker.
   */
  private final AtomicInteger writesInFlight = new AtomicInteger();
  private final AtomicBoolean drainQueued = new AtomicBoolean();
  private final ReentrantLock writableLock = new ReentrantLock();
  private final Condition writableOrClosed = writableLock.newCondition();
  private final AtomicInteger blockedWriters = new AtomicInteger();
  /** Connections on other loops whose reading paused until this one is writable (or closed). */
  private final Queue<NettyConnection> pausedSources = new ConcurrentLinkedQueue<>();
  private volatile ConnectionHandler handler;
  private volatile SocketAddress remote;
  private volatile SocketAddress local;

  // Event-loop state: read and written on the channel's event loop only.
  private ChannelHandlerContext ctx;
  private boolean reading; // inside a read batch: flushes wait for channelReadComplete
  private boolean flushAfterRead;
  private long unflushedBytes; // written to the outbound buffer since the last flush
  private boolean readStarted; // the handler is set and reading may run
  private boolean readPaused; // reads stopped because the loop's own writes filled the buffer
  private boolean pausedByCore; // reads stopped by pauseReading (the core's memory budget)
  private boolean inactive; // the channel has gone inactive
  private boolean notified; // onClosed has been called

  /**
   * Wraps {@code channel} (not yet registered, or being initialised on its event loop) and adds
   * this connection's handler to its pipeline. {@code loops} must have been retained for it; it
   * is released once the channel has closed.
   */
  NettyConnection(Channel channel, EventLoops loops) {
    this.channel = channel;
    this.loops = loops;
    channel.pipeline().addLast("protorpc", pipe);
  }

  /** Releases this connection's hold on the event loops, once. */
  void releaseLoops() {
    if (loopsReleased.compareAndSet(false, true)) {
      loops.release();
    }
  }

  /**
   * Ties the loops' release to the channel's closing, and {@link #finished()} to both; call once
   * the channel is registered.
   */
  void releaseLoopsOnClose() {
    channel.closeFuture().addListener(f -> {
      releaseLoops();
      finished.complete(null);
    });
  }

  /** Completes once the channel has closed and this connection has released the loops. */
  CompletableFuture<Void> finished() {
    return finished;
  }

  /** Records the addresses; the channel must be connected. */
  void captureAddresses() {
    remote = channel.remoteAddress();
    local = channel.localAddress();
  }

  /**
   * Sets the handler and lets reading begin (on the event loop, soon after this returns).
   * Reading on a channel whose auto-read is already on (accepted ones) begins once the current
   * event-loop task ends, so call this from there before any read can happen.
   */
  void start(ConnectionHandler h) {
    this.handler = Objects.requireNonNull(h, "handler");
    if (channel.eventLoop().inEventLoop()) {
      startReading();
    } else {
      channel.eventLoop().execute(this::startReading);
    }
  }

  private void startReading() {
    readStarted = true;
    if (inactive) {
      notifyClosed(); // closed between connecting and now: the handler still hears of it
    } else if (!readPaused && !pausedByCore) {
      channel.config().setAutoRead(true);
    }
  }

  /** Runs on the event loop, in call order; a no-op once the loop is gone (so is the channel). */
  @Override
  public void pauseReading(boolean paused) {
    if (channel.eventLoop().inEventLoop()) {
      applyPause(paused);
      return;
    }
    try {
      channel.eventLoop().execute(() -> applyPause(paused));
    } catch (RejectedExecutionException e) {
      // the loop is shutting down, and with it this channel
    }
  }

  private void applyPause(boolean paused) {
    pausedByCore = paused;
    if (paused) {
      channel.config().setAutoRead(false);
    } else if (readStarted && !readPaused && !inactive) {
      channel.config().setAutoRead(true);
    }
  }

  /** On the loop: tells the handler, once, that the connection has ended. */
  private void notifyClosed() {
    ConnectionHandler h = handler;
    if (h != null && !notified) {
      notified = true;
      h.onClosed(closed.get().cause());
    }
  }

  Channel channel() {
    return channel;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Copies the remaining bytes of {@code buffers} into one pooled direct buffer and hands that to
   * the channel as one message, so a call's bytes are never interleaved with another's. The copy
   * is made on the calling thread (Netty would copy heap buffers into direct memory on the event
   * loop anyway) and is what lets the caller reuse its buffers once this returns.
   *
   * <p>Off the event loop the caller first waits while the channel is not writable (more than
   * {@code writeBufferBytes} pending), until it is or the connection closes. On an event loop it
   * never waits: if the write leaves the channel unwritable, reading pauses until it drains —
   * this connection's reading on its own loop, or, on another loop, the reading of the
   * connection whose input that loop is handling (a proxy's upstream), so that a fast peer
   * there cannot fill this connection's buffer without bound.
   *
   * <p>A write that returns normally was admitted before any close() and is sent before the
   * close completes (within the close's time bound); one that finds the connection closed throws.
   */
  @Override
  public void write(ByteBuffer... buffers) throws IOException {
    long total = 0;
    for (ByteBuffer b : Objects.requireNonNull(buffers, "buffers")) {
      total += Objects.requireNonNull(b, "buffer").remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("write of " + total + " bytes is too large");
    }
    boolean onLoop = channel.eventLoop().inEventLoop();
    if (!onLoop && !EventLoops.isLoopThread()) {
      awaitWritable();
    }
    if (!isOpen()) {
      throw new IOException("connection closed");
    }
    if (total == 0) {
      return;
    }
    ByteBuf message = channel.alloc().directBuffer((int) total);
    try {
      for (ByteBuffer b : buffers) {
        message.writeBytes(b.duplicate()); // leaves the caller's position alone
      }
    } catch (RuntimeException | Error e) {
      message.release();
      throw e;
    }
    if (!admit()) {
      message.release();
      throw new IOException("connection closed");
    }
    unflushedWrites.incrementAndGet();
    // A void promise: a failed write reaches exceptionCaught, which closes the connection. The
    // pipe's write() ends this write's flight.
    channel.writeAndFlush(message, channel.voidPromise());
    if (!channel.isWritable()) {
      if (onLoop) {
        pauseReading();
      } else {
        NettyConnection source = READING.get(); // null off the loops, or outside a read
        if (source != null && source != this) {
          source.pauseReading();
          pausedSources.add(source);
          if (channel.isWritable() || !isOpen()) {
            resumeSources(); // drained (or closed) meanwhile: its signal may have come first
          }
        }
      }
    }
  }

  /** This connection is writable again or closed: sources paused for it may read again. */
  private void resumeSources() {
    NettyConnection source;
    while ((source = pausedSources.poll()) != null) {
      NettyConnection s = source;
      try {
        s.channel.eventLoop().execute(s::resumeReadingIfWritable);
      } catch (RejectedExecutionException loopGone) {
        // its loop is shutting down, and the connection with it
      }
    }
  }

  /** On the loop: reads again unless this connection's own writes still hold it. */
  private void resumeReadingIfWritable() {
    if (readPaused && channel.isWritable()) {
      readPaused = false;
      if (readStarted) {
        channel.config().setAutoRead(true);
      }
    }
  }

  /**
   * Counts a write in flight unless the connection is closed. The count goes up before the check
   * and close() sets its flag before it looks at the count, so a write that is admitted is seen
   * by the close, which then waits for the pipeline to take it.
   */
  private boolean admit() {
    writesInFlight.incrementAndGet();
    if (isOpen()) {
      return true;
    }
    endFlight();
    return false;
  }

  /** One write (or close()'s own check) is done; the last one after a close starts the drain. */
  private void endFlight() {
    if (writesInFlight.decrementAndGet() == 0 && closed.get() != null
        && drainQueued.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(this::drainThenClose);
      } catch (RejectedExecutionException e) {
        channel.close(); // the loop is shutting down: its channels are closed already
      }
    }
  }

  /** Blocks while the channel holds more than its high-water mark and is open. */
  private void awaitWritable() throws InterruptedIOException {
    if (channel.isWritable() || !isOpen()) {
      return;
    }
    writableLock.lock();
    blockedWriters.incrementAndGet();
    try {
      // The count is raised before the check: a writability change the loop signals after it
      // either finds this writer counted, or happened before the check saw it.
      while (!channel.isWritable() && isOpen()) {
        writableOrClosed.awaitNanos(WRITABLE_RECHECK_NANOS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the peer to read");
    } finally {
      blockedWriters.decrementAndGet();
      writableLock.unlock();
    }
  }

  /** Wakes writers blocked in {@link #awaitWritable}, if there are any. */
  private void wakeWriters() {
    if (blockedWriters.get() > 0) {
      writableLock.lock();
      try {
        writableOrClosed.signalAll();
      } finally {
        writableLock.unlock();
      }
    }
  }

  /** On the loop: stop reading until the channel is writable again. */
  private void pauseReading() {
    if (!readPaused) {
      readPaused = true;
      channel.config().setAutoRead(false);
    }
  }

  /** Writers currently blocked waiting for the channel to become writable (for tests). */
  int blockedWriters() {
    return blockedWriters.get();
  }

  /** Bytes written but not yet taken by the socket, queued write tasks included (for tests). */
  long pendingOutboundBytes() {
    ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes();
  }

  // ------------------------------------------------------------------ close

  /**
   * Refuses further writes, lets the bytes of earlier writes drain (at most {@link
   * #CLOSE_FLUSH_MILLIS}), then closes the channel. Off the event loop it waits (bounded) until
   * the channel is closed and, if this connection was the last user of its event loops, until
   * their threads have ended; on the loop it returns at once.
   */
  @Override
  public void close() {
    closeAsync();
    if (!EventLoops.isLoopThread()) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
      if (awaitFinished(deadline)) {
        loops.awaitTerminationIfShutDown(deadline);
      }
    }
  }

  /** Waits until {@link #finished()} or the deadline; true if finished. */
  boolean awaitFinished(long deadlineNanos) {
    try {
      finished.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** {@link #close()} without waiting; {@link #finished()} tells when it is done. */
  void closeAsync() {
    if (!closed.compareAndSet(null, ORDERLY)) {
      return;
    }
    wakeWriters();
    try {
      // The bound on the drain: a peer that does not read cannot hold the close up.
      ScheduledFuture<?> giveUp = channel.eventLoop().schedule(
          () -> { channel.close(); }, CLOSE_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
      channel.closeFuture().addListener(f -> giveUp.cancel(false));
    } catch (RejectedExecutionException e) {
      channel.close();
      return;
    }
    // close()'s own turn in the count: if no write is in flight, this starts the drain now.
    writesInFlight.incrementAndGet();
    endFlight();
  }

  /**
   * On the loop, once every admitted write's message is in the outbound buffer: writes a marker
   * behind them and closes when it completes, which is when everything before it has reached the
   * socket (messages leave the buffer in order).
   */
  private void drainThenClose() {
    if (ctx == null || !channel.isActive()) {
      channel.close();
      return;
    }
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> channel.close());
  }

  /** Closes at once (no flush), recording {@code cause} if it is the first; idempotent. */
  void closeWith(Throwable cause) {
    if (closed.compareAndSet(null, cause == null ? ORDERLY : new Closed(cause))) {
      wakeWriters();
      channel.close();
    }
  }


  @Override
  public boolean isOpen() {
    return closed.get() == null && channel.isOpen();
  }

  @Override
  public SocketAddress remoteAddress() {
    SocketAddress a = remote;
    return a != null ? a : channel.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    SocketAddress a = local;
    return a != null ? a : channel.localAddress();
  }

  @Override
  public String toString() {
    return "NettyConnection[" + localAddress() + " -> " + remoteAddress()
        + (isOpen() ? "" : ", closed") + "]";
  }

  /** The TLS session once its handshake has succeeded; empty for plaintext. */
  @Override
  public Optional<SSLSession> sslSession() {
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    if (tls == null || !tls.handshakeFuture().isSuccess()) {
      return Optional.empty();
    }
    return Optional.of(tls.engine().getSession());
  }

  // ------------------------------------------------------------------ pipeline

  /** The connection's place in the pipeline; every method runs on the event loop. */
  private final class Pipe extends ChannelDuplexHandler {

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
      ctx = c;
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      reading = true;
      READING.set(NettyConnection.this);
      try {
        deliver(buf);
      } finally {
        READING.remove();
        buf.release();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext c) {
      reading = false;
      if (flushAfterRead) {
        flushNow(c);
      }
      c.fireChannelReadComplete();
    }

    /** Every message written through the channel is one of write()'s, now in the buffer. */
    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
      try {
        unflushedBytes += ((ByteBuf) msg).readableBytes();
        c.write(msg, promise);
      } finally {
        endFlight();
      }
    }

    /**
     * A write's flush, coalesced: skipped while more writes are queued (the last one flushes) or
     * while a read batch is running (channelReadComplete flushes; replies written from {@code
     * onRead} then leave together), unless half the write buffer is waiting already: holding
     * back more would make the channel unwritable, and block writers, over bytes the socket
     * could take.
     */
    @Override
    public void flush(ChannelHandlerContext c) {
      boolean more = unflushedWrites.decrementAndGet() > 0;
      if ((more || reading) && unflushedBytes < channel.config().getWriteBufferLowWaterMark()) {
        flushAfterRead |= !more;
        return;
      }
      flushNow(c);
    }

    private void flushNow(ChannelHandlerContext c) {
      unflushedBytes = 0;
      flushAfterRead = false;
      c.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
      if (channel.isWritable()) {
        wakeWriters();
        resumeSources();
        if (readPaused) {
          readPaused = false;
          if (readStarted && !pausedByCore) {
            channel.config().setAutoRead(true);
          }
        }
      }
      c.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
      closeWith(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
      closed.compareAndSet(null, ORDERLY); // the peer closed, or the socket went away
      inactive = true;
      reading = false;
      wakeWriters();
      resumeSources();
      notifyClosed();
    }
  }

  /**
   * Hands {@code buf}'s bytes to the handler, one NIO view per component, no copy. Input after
   * the connection started closing is dropped; a handler's exception closes the connection.
   */
  private void deliver(ByteBuf buf) {
    ConnectionHandler h = handler;
    if (h == null || closed.get() != null || !buf.isReadable()) {
      return;
    }
    try {
      int n = buf.nioBufferCount();
      if (n == 1) {
        h.onRead(buf.nioBuffer());
      } else if (n > 1) {
        for (ByteBuffer b : buf.nioBuffers()) {
          if (closed.get() != null) {
            return;
          }
          h.onRead(b);
        }
      } else {
        h.onRead(ByteBuffer.wrap(ByteBufUtil.getBytes(buf)));
      }
    } catch (RuntimeException | Error e) {
      // An Error too (out of memory, say): this connection ends with it as the cause; the event
      // loop and its other connections go on.
      closeWith(e);
    }
  }
}
