package io.protorpc.transport.inproc;

import io.protorpc.InProcessAddress;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One end of an in-process connection: writes go into the peer's inbound {@link Pipe}, and one
 * reader thread drains this end's inbound pipe into the handler and, when the connection ends for
 * any reason, tells the handler so exactly once.
 */
final class InProcessConnection implements Connection {
  private static final Closed ORDERLY = new Closed(null);

  /** Why the connection ended; {@code cause} is null for an orderly close. */
  private record Closed(Throwable cause) {}

  private final Pipe inbound;
  private final Pipe outbound;
  private final InProcessAddress local;
  private final InProcessAddress remote;
  private final int readBufferBytes;
  /** Serializes writers, so each write's buffers go out contiguously. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicReference<Closed> closed = new AtomicReference<>();
  private final AtomicBoolean notified = new AtomicBoolean();
  private volatile ConnectionHandler handler;

  InProcessConnection(Pipe inbound, Pipe outbound, InProcessAddress local,
      InProcessAddress remote, int readBufferBytes) {
    this.inbound = inbound;
    this.outbound = outbound;
    this.local = local;
    this.remote = remote;
    this.readBufferBytes = readBufferBytes;
  }

  /**
   * Starts the reader thread. It first asks {@code handlerFor} for the handler (a listener's
   * acceptor runs there, on a transport thread), then feeds it; {@code onFinished} runs last, on
   * that thread. If the thread cannot be started the connection is closed and the error rethrown.
   */
  void start(Function<Connection, ConnectionHandler> handlerFor, ThreadFactory threads,
      Consumer<InProcessConnection> onFinished) {
    Thread t;
    try {
      t = threads.newThread(() -> readLoop(handlerFor, onFinished));
      if (t == null) {
        throw new IllegalStateException("thread factory refused to create a reader thread");
      }
      t.start();
    } catch (RuntimeException | Error e) {
      closeWith(e);
      onFinished.accept(this);
      throw e;
    }
  }

  private void readLoop(Function<Connection, ConnectionHandler> handlerFor,
      Consumer<InProcessConnection> onFinished) {
    try {
      ConnectionHandler h = Objects.requireNonNull(handlerFor.apply(this), "handler");
      handler = h;
      byte[] buf = new byte[readBufferBytes];
      while (true) {
        int n = inbound.read(buf);
        if (n < 0) {
          closeWith(null); // the peer closed in order, or this end was closed
          break;
        }
        h.onRead(ByteBuffer.wrap(buf, 0, n));
      }
    } catch (Throwable t) {
      closeWith(t); // the handler (or acceptor) failed: this connection ends, others go on
      if (t instanceof Error e) {
        throw e;
      }
    } finally {
      try {
        notifyClosed();
      } finally {
        onFinished.accept(this);
      }
    }
  }

  /** Tells the handler once, on the reader thread, so it never overlaps an {@code onRead}. */
  private void notifyClosed() {
    ConnectionHandler h = handler;
    if (h != null && notified.compareAndSet(false, true)) {
      h.onClosed(closed.get().cause());
    }
  }

  @Override
  public void write(ByteBuffer... buffers) throws IOException {
    for (ByteBuffer b : Objects.requireNonNull(buffers, "buffers")) {
      Objects.requireNonNull(b, "buffer");
    }
    writeLock.lock();
    try {
      if (!isOpen()) {
        throw new IOException("connection closed");
      }
      for (ByteBuffer b : buffers) {
        outbound.write(b);
      }
    } catch (IOException e) {
      // The peer closed (its end of our outbound pipe is gone). It closed its writing side with
      // it, so our reader still delivers what it sent before going, then ends: no bytes dropped.
      if (closed.compareAndSet(null, new Closed(e))) {
        outbound.closeWrite();
      }
      throw e;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Stops (or resumes) the reader before its next read: the peer's writes then fill this end's
   * inbound ring and wait, as a socket's would once the kernel's buffers are full.
   */
  @Override
  public void pauseReading(boolean paused) {
    inbound.pause(paused);
  }

  /**
   * Closes in order: what writes that returned put into the peer's pipe is still delivered, then
   * the peer sees the end. Never waits for a writer blocked on a slow peer: its write fails.
   */
  @Override
  public void close() {
    closeWith(null);
  }

  /** Closes once, recording the first cause; the reader, woken by the closing, reports it. */
  void closeWith(Throwable cause) {
    if (closed.compareAndSet(null, cause == null ? ORDERLY : new Closed(cause))) {
      outbound.closeWrite();
      inbound.closeRead();
    }
  }

  @Override
  public boolean isOpen() {
    return closed.get() == null;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public SocketAddress localAddress() {
    return local;
  }

  @Override
  public String toString() {
    return "InProcessConnection[" + local + " -> " + remote + (isOpen() ? "" : ", closed") + "]";
  }
}
