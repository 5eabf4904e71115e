package io.protorpc.transport.socket;

import io.protorpc.spi.ConnectionHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handler for tests: runs an optional action on each read, keeps every byte it read, counts its
 * {@code onClosed} calls, and lets a test wait (with a time limit) for bytes or for the close.
 */
final class RecordingHandler implements ConnectionHandler {

  /** What to do with each chunk before it is recorded; may throw to fail the connection. */
  @FunctionalInterface
  interface ReadAction {
    void accept(ByteBuffer data) throws IOException;
  }

  private final ReadAction action;
  private final Object lock = new Object();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream(); // guarded by lock
  private final AtomicInteger closedCalls = new AtomicInteger();
  private final CompletableFuture<Throwable> closed = new CompletableFuture<>();

  RecordingHandler() {
    this(data -> { });
  }

  RecordingHandler(ReadAction action) {
    this.action = action;
  }

  @Override
  public void onRead(ByteBuffer data) {
    try {
      action.accept(data.duplicate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    synchronized (lock) {
      received.write(bytes, 0, bytes.length);
      lock.notifyAll();
    }
  }

  @Override
  public void onClosed(Throwable cause) {
    closedCalls.incrementAndGet();
    closed.complete(cause);
  }

  /** Waits until at least {@code count} bytes have arrived and returns all that have. */
  byte[] awaitBytes(int count, Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (received.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("got " + received.size() + " of " + count + " bytes");
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return received.toByteArray();
    }
  }

  /** Waits for {@code onClosed} and returns its cause (null for an orderly close). */
  Throwable awaitClosed(Duration timeout) throws Exception {
    return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isClosed() {
    return closed.isDone();
  }

  int closedCalls() {
    return closedCalls.get();
  }
}
