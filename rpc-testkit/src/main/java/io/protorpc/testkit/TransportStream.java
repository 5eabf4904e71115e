package io.protorpc.testkit;

import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A transport's {@link Connection} as a blocking stream pair, for {@link RawConnection} on
 * addresses that are not IP addresses. What arrives waits in a small bounded inbox; while it is
 * full the transport's reader waits too, so a test that stops reading stops this peer reading, as
 * a socket that is not read does. Reads time out with {@link SocketTimeoutException}.
 */
final class TransportStream implements ConnectionHandler, Closeable {
  /** The end of the stream in the inbox; never a chunk itself, since chunks are not empty. */
  private static final byte[] END = new byte[0];
  private static final int INBOX_CHUNKS = 16;
  private static final long OFFER_STEP_MILLIS = 50;

  private final BlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(INBOX_CHUNKS);
  private volatile Connection connection;
  private volatile boolean closedHere;
  private volatile int readTimeoutMillis = 10_000;
  private byte[] chunk; // being read; the reader's alone
  private int chunkPos;
  private boolean ended;

  void attach(Connection connection) {
    this.connection = connection;
  }

  void readTimeoutMillis(int millis) {
    this.readTimeoutMillis = millis;
  }

  @Override
  public void onRead(ByteBuffer data) {
    byte[] copy = new byte[data.remaining()];
    data.get(copy);
    put(copy);
  }

  @Override
  public void onClosed(Throwable cause) {
    put(END);
  }

  /** Waits for room, for as long as the test keeps this open: that is the backpressure. */
  private void put(byte[] bytes) {
    try {
      while (!closedHere && !inbox.offer(bytes, OFFER_STEP_MILLIS, TimeUnit.MILLISECONDS)) {
        // full: the test is not reading
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!ended && (chunk == null || chunkPos == chunk.length)) {
      try {
        chunk = inbox.poll(readTimeoutMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while reading");
      }
      chunkPos = 0;
      if (chunk == null) {
        throw new SocketTimeoutException("nothing read within " + readTimeoutMillis + " ms");
      }
      ended = chunk == END;
    }
    if (ended) {
      return -1;
    }
    int n = Math.min(len, chunk.length - chunkPos);
    System.arraycopy(chunk, chunkPos, b, off, n);
    chunkPos += n;
    return n;
  }

  InputStream input() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = TransportStream.this.read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return TransportStream.this.read(b, off, len);
      }
    };
  }

  OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        connection.write(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  @Override
  public void close() {
    closedHere = true;
    Connection c = connection;
    if (c != null) {
      c.close();
    }
    inbox.clear(); // lets a reader waiting for room go on, and drop what it has
  }
}
