package io.protorpc.transport.inproc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of an in-process connection: a bounded ring of bytes from the writers of one end
 * to the reader of the other. A writer blocks while the ring is full (backpressure, as a socket's
 * send buffer does), so a connection never holds more than its two rings, whatever the peer does.
 *
 * <p>Thread-safe, for one writer at a time (the connection serializes its writers) and one reader.
 * A {@link ReentrantLock}, not {@code synchronized}: a virtual thread waiting here does not pin
 * its carrier.
 */
final class Pipe {
  private final byte[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readable = lock.newCondition();
  private final Condition writable = lock.newCondition();
  private int head; // index of the next byte to read; guarded by lock
  private int count; // bytes in the ring; guarded by lock
  private boolean writeClosed; // the writing end closed: the reader drains, then sees the end
  private boolean readClosed; // the reading end closed: nothing more is read, writers fail
  private boolean paused; // the reader waits (Connection.pauseReading); writers fill the ring

  Pipe(int capacity) {
    this.ring = new byte[capacity];
  }

  /**
   * Copies the remaining bytes of {@code b} in, leaving its position unchanged, waiting for room
   * while the ring is full.
   *
   * @throws IOException if either end closed before every byte went in
   */
  void write(ByteBuffer b) throws IOException {
    int pos = b.position();
    int end = b.limit();
    lock.lock();
    try {
      while (pos < end) {
        while (count == ring.length && !readClosed && !writeClosed) {
          // Uninterruptible like a blocking socket write: giving up halfway would leave half a
          // frame in the stream. A close, from either end, is what ends the wait.
          writable.awaitUninterruptibly();
        }
        if (writeClosed) {
          throw new IOException("connection closed");
        }
        if (readClosed) {
          throw new IOException("connection closed by the peer");
        }
        int tail = (head + count) % ring.length;
        int n = Math.min(end - pos, Math.min(ring.length - count, ring.length - tail));
        b.get(pos, ring, tail, n);
        pos += n;
        count += n;
        readable.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves up to {@code dst.length} bytes out, waiting while the ring is empty or reading is paused
   * (only closing the reading end ends a pause early).
   *
   * @return the number of bytes moved (at least 1), or -1 at the end: the writing end closed and
   *     everything it wrote was read, or the reading end closed
   */
  int read(byte[] dst) {
    lock.lock();
    try {
      while ((paused || count == 0 && !writeClosed) && !readClosed) {
        readable.awaitUninterruptibly(); // a close or a resume ends the wait
      }
      if (readClosed || count == 0) {
        return -1;
      }
      int n = Math.min(dst.length, Math.min(count, ring.length - head));
      System.arraycopy(ring, head, dst, 0, n);
      head = (head + n) % ring.length;
      count -= n;
      writable.signal();
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the reader before its next read, or lets it read again. */
  void pause(boolean pause) {
    lock.lock();
    try {
      paused = pause;
      readable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The writing end is done: the reader gets what is left, then the end. Idempotent. */
  void closeWrite() {
    lock.lock();
    try {
      writeClosed = true;
      readable.signalAll();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The reading end is gone: the reader stops at once and writers fail. Idempotent. */
  void closeRead() {
    lock.lock();
    try {
      readClosed = true;
      count = 0; // nobody will read these bytes: let them go now
      readable.signalAll();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
