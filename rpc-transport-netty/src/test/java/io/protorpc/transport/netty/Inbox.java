package io.protorpc.transport.netty;

import io.protorpc.spi.ConnectionHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test handler: passes each chunk to an optional reaction first (which may write, or throw to
 * fail the connection), then keeps its bytes; counts reads and closes; and lets a test wait, with
 * a time limit, for a number of bytes or for the close.
 */
final class Inbox implements ConnectionHandler {

  /** What a read triggers; sees a duplicate of the chunk. */
  @FunctionalInterface
  interface Reaction {
    void onBytes(ByteBuffer chunk) throws IOException;
  }

  private final Reaction reaction;
  private final Object lock = new Object();
  private byte[] bytes = new byte[256]; // guarded by lock
  private int size; // guarded by lock
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger closes = new AtomicInteger();
  private final CompletableFuture<Throwable> closed = new CompletableFuture<>();
  private volatile Thread reader;

  Inbox() {
    this(chunk -> { });
  }

  Inbox(Reaction reaction) {
    this.reaction = reaction;
  }

  @Override
  public void onRead(ByteBuffer data) {
    reader = Thread.currentThread();
    reads.incrementAndGet();
    try {
      reaction.onBytes(data.duplicate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (lock) {
      int n = data.remaining();
      if (size + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + n));
      }
      data.get(bytes, size, n);
      size += n;
      lock.notifyAll();
    }
  }

  @Override
  public void onClosed(Throwable cause) {
    closes.incrementAndGet();
    closed.complete(cause);
  }

  /** Waits until at least {@code count} bytes have come, and returns every byte that has. */
  byte[] awaitBytes(int count, Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (size < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(size + " of " + count + " bytes arrived");
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return Arrays.copyOf(bytes, size);
    }
  }

  /** Every byte read so far. */
  byte[] bytes() {
    synchronized (lock) {
      return Arrays.copyOf(bytes, size);
    }
  }

  /** Waits for {@code onClosed} and returns its cause, null for an orderly close. */
  Throwable awaitClosed(Duration timeout) throws Exception {
    return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  int reads() {
    return reads.get();
  }

  int closes() {
    return closes.get();
  }

  /** The thread of the latest {@code onRead}. */
  Thread reader() {
    return reader;
  }
}
