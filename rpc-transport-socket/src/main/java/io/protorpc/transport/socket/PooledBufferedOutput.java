package io.protorpc.transport.socket;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A buffered stream whose buffer is borrowed from a pool at the first write and returned once a
 * flush leaves it empty: like {@link java.io.BufferedOutputStream} (whose buffer on JDK 17 is
 * allocated up front and kept for the connection's life), but an idle connection holds nothing.
 * Not thread-safe: the connection's write lock guards it.
 */
final class PooledBufferedOutput extends OutputStream {
  private final OutputStream out;
  private final ByteArrayPool pool;
  private byte[] buf;
  private int count;

  PooledBufferedOutput(OutputStream out, ByteArrayPool pool) {
    this.out = out;
    this.pool = pool;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len >= pool.size()) {
      // as large as the buffer: it would only be copied through it
      drain();
      out.write(b, off, len);
      return;
    }
    if (buf == null) {
      buf = pool.take();
    }
    if (len > buf.length - count) {
      drain();
    }
    System.arraycopy(b, off, buf, count, len);
    count += len;
  }

  /** Writes what is buffered to the stream below, keeping the buffer. */
  private void drain() throws IOException {
    if (count > 0) {
      int n = count;
      count = 0; // a failed write loses the bytes either way: the connection is closed for it
      out.write(buf, 0, n);
    }
  }

  @Override
  public void flush() throws IOException {
    drain();
    out.flush();
    if (buf != null) {
      pool.give(buf);
      buf = null;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      out.close();
    }
  }
}
