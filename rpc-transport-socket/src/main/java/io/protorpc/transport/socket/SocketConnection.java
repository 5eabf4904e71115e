package io.protorpc.transport.socket;

import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Threads;
import io.protorpc.spi.TlsMismatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One connected socket: serialized writes through a buffered stream, and one reader thread that
 * feeds the handler and, when the connection ends for any reason, tells it so exactly once.
 */
final class SocketConnection implements Connection {
  /** Size of the readers' pooled buffers: the most bytes one {@code onRead} call gets. */
  private static final int READ_BUFFER_BYTES = 64 * 1024;
  /**
   * Size of the array a reader waits with: small, so that an idle connection costs little, and
   * enough for a small call's whole frame, so that such a call never touches the pool.
   */
  static final int IDLE_READ_BYTES = 512;
  /** Read buffers lent to readers while bytes are coming, shared by every connection. */
  private static final ByteArrayPool READ_BUFFERS = new ByteArrayPool(READ_BUFFER_BYTES,
      4 * Runtime.getRuntime().availableProcessors());
  /** How often a paused reader re-checks on its own; resumes and closes wake it earlier. */
  private static final long PAUSE_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Size of the writers' scratch array for buffers without an accessible array. */
  private static final int SCRATCH_BYTES = 8 * 1024;
  /** The longest close() waits for the last writes to be flushed before closing the socket. */
  private static final long CLOSE_FLUSH_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final ThreadFactory FLUSHERS = Threads.virtualOrDaemon("protorpc-socket-flush");
  private static final Closed ORDERLY = new Closed(null);

  /** Why the connection ended; {@code cause} is null for an orderly close. */
  private record Closed(Throwable cause) {}

  private final Socket socket;
  private final SocketAddress remote;
  private final SocketAddress local;
  private final OutputStream out;
  /** Not {@code synchronized}: that would pin a virtual writer to its carrier while it blocks. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicReference<Closed> closed = new AtomicReference<>();
  private final AtomicBoolean notified = new AtomicBoolean();
  private final Consumer<SocketConnection> onFinished;
  private byte[] scratch; // guarded by writeLock
  /** A write returned leaving its flush to a writer queued behind it. Written under writeLock. */
  private volatile boolean unflushed;
  private volatile ConnectionHandler handler;
  private volatile Thread reader;
  private final ReentrantLock pauseLock = new ReentrantLock();
  private final Condition resumedOrClosed = pauseLock.newCondition();
  private volatile boolean readingPaused;

  /** How long a failed write waits for the reader to report the peer's reason for closing. */
  private static final long READER_GRACE_MILLIS = 100;
  private final CountDownLatch closedSignal = new CountDownLatch(1);

  /**
   * @param onFinished runs on the reader thread once it has told the handler and is about to end
   *     (a listener untracks the connection there)
   */
  SocketConnection(Socket socket, int writeBufferBytes, Consumer<SocketConnection> onFinished)
      throws IOException {
    this(socket, new ByteArrayPool(writeBufferBytes, 1), onFinished);
  }

  /**
   * @param writeBuffers where the write buffer is borrowed from while writes are buffered (a
   *     listener shares one pool among its connections)
   */
  SocketConnection(Socket socket, ByteArrayPool writeBuffers,
      Consumer<SocketConnection> onFinished) throws IOException {
    this.socket = socket;
    // Taken now: a closed socket no longer reports its local address.
    this.remote = socket.getRemoteSocketAddress();
    this.local = socket.getLocalSocketAddress();
    this.out = new PooledBufferedOutput(socket.getOutputStream(), writeBuffers);
    this.onFinished = onFinished;
  }

  /**
   * The TLS session of a TLS connection. Asked before the handshake has completed, this waits for
   * it; the core asks only after data has arrived, when it is done.
   */
  @Override
  public Optional<SSLSession> sslSession() {
    return socket instanceof SSLSocket ssl ? Optional.of(ssl.getSession()) : Optional.empty();
  }

  /** Sets up a socket as both sides want it: no Nagle delay, dead peers found by keep-alive. */
  static void configure(Socket socket) throws IOException {
    socket.setTcpNoDelay(true);
    socket.setKeepAlive(true);
  }

  /**
   * Starts the reader thread that feeds {@code handler}. If the connection was closed meanwhile
   * the reader starts all the same, finds it closed and reports that to the handler. If the
   * thread cannot be started the connection is closed, the handler told, and the error rethrown.
   */
  void start(ConnectionHandler handler, ThreadFactory threads) {
    this.handler = Objects.requireNonNull(handler, "handler");
    try {
      Thread t = threads.newThread(this::readLoop);
      if (t == null) {
        throw new IllegalStateException("thread factory refused to create a reader thread");
      }
      reader = t;
      t.start();
    } catch (RuntimeException | Error e) {
      reader = null;
      closeWith(e);
      notifyClosed();
      throw e;
    }
  }

  /** The reader thread, once started; for a bounded wait on shutdown. */
  Thread reader() {
    return reader;
  }

  /**
   * Reads until the connection ends. Waiting for bytes, the reader holds only a small array; a
   * read that fills it borrows a large buffer from the pool, kept while reads keep filling it and
   * given back once one finds the socket drained. So an idle connection holds no read buffer.
   */
  private void readLoop() {
    ConnectionHandler h = handler;
    byte[] idle = new byte[IDLE_READ_BYTES];
    byte[] buf = idle;
    try {
      InputStream in = socket.getInputStream();
      while (isOpen()) {
        awaitReadingResumed();
        // In the middle of a large frame the core offers the frame's own buffer: reading into it
        // saves copying every byte of the frame out of buf. At most READ_BUFFER_BYTES per read,
        // as into buf: the JDK stages each read in a per-thread direct buffer of the read's size.
        ByteBuffer target = h.readTarget();
        boolean direct = target != null && target.hasArray();
        int n = direct
            ? in.read(target.array(), target.arrayOffset() + target.position(),
                Math.min(target.remaining(), READ_BUFFER_BYTES))
            : in.read(buf);
        if (n < 0) {
          closeWith(null); // EOF: the peer closed in order
          break;
        }
        if (n > 0) {
          if (direct) {
            h.onReadInto(n);
          } else {
            h.onRead(ByteBuffer.wrap(buf, 0, n));
          }
        }
        if (!direct && n == buf.length && buf == idle) {
          buf = READ_BUFFERS.take(); // more may be waiting: read it in large pieces
        } else if (buf != idle && n < buf.length && in.available() == 0) {
          READ_BUFFERS.give(buf); // drained: wait with the small array again
          buf = idle;
        }
      }
    } catch (IOException e) {
      // Also how a local close() ends a blocked read; closeWith then keeps the close's cause.
      // A plaintext client on a TLS port: the JDK has answered it with an alert; say what it is.
      boolean tlsServer = socket instanceof SSLSocket ssl && !ssl.getUseClientMode();
      closeWith(tlsServer && SocketTransport.isNotTls(e)
          ? TlsMismatch.plaintextClient(remote, e) : e);
    } catch (Throwable t) {
      // The handler failed, or an Error (out of memory, say): this connection ends, reported to
      // its handler with that cause; other connections and the process go on.
      closeWith(t);
    } finally {
      if (buf != idle) {
        READ_BUFFERS.give(buf);
      }
      try {
        notifyClosed();
      } finally {
        onFinished.accept(this);
      }
    }
  }

  /** Stops (or resumes) the reader before its next read; see {@link Connection#pauseReading}. */
  @Override
  public void pauseReading(boolean paused) {
    pauseLock.lock();
    try {
      readingPaused = paused;
      if (!paused) {
        resumedOrClosed.signalAll();
      }
    } finally {
      pauseLock.unlock();
    }
  }

  /** On the reader: waits while reading is paused and the connection open. */
  private void awaitReadingResumed() throws InterruptedIOException {
    if (!readingPaused) {
      return;
    }
    pauseLock.lock();
    try {
      while (readingPaused && isOpen()) {
        resumedOrClosed.awaitNanos(PAUSE_RECHECK_NANOS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading was paused");
    } finally {
      pauseLock.unlock();
    }
  }

  private void wakePausedReader() {
    if (readingPaused) {
      pauseLock.lock();
      try {
        resumedOrClosed.signalAll();
      } finally {
        pauseLock.unlock();
      }
    }
  }

  /** Tells the handler once. Runs on the reader thread so it never overlaps an {@code onRead}. */
  private void notifyClosed() {
    ConnectionHandler h = handler;
    if (h != null && notified.compareAndSet(false, true)) {
      h.onClosed(closed.get().cause());
    }
  }

  @Override
  public void write(ByteBuffer... buffers) throws IOException {
    // Checked before locking: a bad argument must not close the connection, nor make a writer
    // skip the flush it owes to those that wrote before it.
    for (ByteBuffer b : Objects.requireNonNull(buffers, "buffers")) {
      Objects.requireNonNull(b, "buffer");
    }
    // lock(), not lockInterruptibly()/tryLock(timeout): a queued writer never gives up its place,
    // so one seen by hasQueuedThreads() below surely takes its turn (and flushes, or finds the
    // connection closed, whose close() then flushes for it).
    writeLock.lock();
    try {
      if (!isOpen()) {
        throw new IOException("connection closed");
      }
      writeAll(buffers);
    } finally {
      writeLock.unlock();
    }
  }

  /** The write proper, under the lock; any failure closes the connection. */
  private void writeAll(ByteBuffer[] buffers) throws IOException {
    try {
      for (ByteBuffer b : buffers) {
        writeBuffer(b);
      }
      // Flush coalescing: a writer waiting for the lock will flush our bytes with its own, so
      // many small concurrent writes share one syscall. The last writer in line flushes.
      if (writeLock.hasQueuedThreads()) {
        unflushed = true;
        // close() sets closed, then reads unflushed; we set unflushed, then read closed: one of
        // us sees the other, so either close() flushes for us or we flush (or fail) now.
        if (isOpen()) {
          return;
        }
      }
      out.flush();
      unflushed = false;
    } catch (IOException e) {
      // A write fails when the peer has gone; what it said before going (a TLS alert, say) is
      // usually already in the receive buffer. Give the reader a moment to report that first.
      awaitClosedByReader();
      closeWith(e);
      if (closed.get().cause() != e) {
        // Closed by someone else first (a write to a socket closed under it fails too).
        throw new IOException("connection closed", e);
      }
      throw e;
    } catch (RuntimeException | Error e) {
      closeWith(e); // part of this call may be out: the stream can no longer be trusted
      throw e;
    }
  }

  /** Writes the remaining bytes of {@code b}, leaving its position unchanged. */
  private void writeBuffer(ByteBuffer b) throws IOException {
    int pos = b.position();
    int len = b.remaining();
    if (b.hasArray()) {
      out.write(b.array(), b.arrayOffset() + pos, len);
      return;
    }
    // Direct or read-only buffers: copy through the scratch array with absolute gets.
    if (scratch == null) {
      scratch = new byte[SCRATCH_BYTES];
    }
    for (int done = 0; done < len; ) {
      int n = Math.min(scratch.length, len - done);
      b.get(pos + done, scratch, 0, n);
      out.write(scratch, 0, n);
      done += n;
    }
  }

  /**
   * Closes in order: refuses further writes, flushes what returned writes left in the buffer
   * (waiting at most a second), then closes the socket.
   */
  @Override
  public void close() {
    closeWithin(CLOSE_FLUSH_NANOS);
  }

  /** {@link #close()}, giving the flush of leftovers at most {@code flushNanos} (and 1 s). */
  void closeWithin(long flushNanos) {
    if (closed.compareAndSet(null, ORDERLY)) {
      flushLeftovers(Math.min(flushNanos, CLOSE_FLUSH_NANOS));
      closeSocket();
    }
  }

  /**
   * Every write ends with a flush, except one that left it to a writer queued behind it; if
   * close() came before that writer's turn, the bytes of a write that has returned are still in
   * the buffer. They are flushed here, on a thread of its own because a flush blocks while the
   * peer is slow to read: close() waits for it a bounded time, then closes the socket under it.
   */
  private void flushLeftovers(long waitNanos) {
    if (!unflushed || waitNanos <= 0) {
      return;
    }
    try {
      Thread flusher = FLUSHERS.newThread(this::flushQuietly);
      if (flusher == null) {
        return;
      }
      flusher.start();
      flusher.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // close now, unflushed
    } catch (RuntimeException | OutOfMemoryError e) {
      // No thread for the flush: close without it.
    }
  }

  private void flushQuietly() {
    writeLock.lock();
    try {
      if (unflushed) {
        out.flush();
        unflushed = false;
      }
    } catch (IOException e) {
      // The socket failed or was closed under the flush: nothing more can be sent.
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Closes the socket once, recording the first cause; the reader, unblocked by the socket's
   * closing, reports it. Never takes the write lock, so a writer blocked on a slow peer cannot
   * delay a close: its write fails instead.
   */
  void closeWith(Throwable cause) {
    if (closed.compareAndSet(null, cause == null ? ORDERLY : new Closed(cause))) {
      closedSignal.countDown();
      closeSocket();
    }
  }

  private void awaitClosedByReader() {
    try {
      closedSignal.await(READER_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeSocket() {
    wakePausedReader();
    try {
      socket.close();
    } catch (IOException ignored) {
      // Nothing more to release; the connection is closed either way.
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
    return "SocketConnection[" + local + " -> " + remote + (isOpen() ? "" : ", closed") + "]";
  }
}
