package io.protorpc.codec.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Decompression bombs: a lot of zeros in a little input, made by streaming the zeros through the
 * encoder so the decompressed size never sits in memory.
 */
final class Bombs {
  private static final int CHUNK = 1 << 20;

  private Bombs() {}

  /**
   * A zstd frame of {@code size} zeros; it declares its size only if {@code declareSize} (a
   * streaming encoder that is not told the size leaves it out, so the decoder must find out).
   */
  static byte[] zstd(long size, boolean declareSize) {
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
      ctx.setLevel(1);
      if (declareSize) {
        ctx.setPledgedSrcSize(size);
      }
      ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK);
      ByteBuffer out = ByteBuffer.allocate(CHUNK);
      long left = size;
      boolean done = false;
      while (!done) {
        zeros.clear().limit((int) Math.min(CHUNK, left));
        left -= zeros.remaining();
        EndDirective directive = left == 0 ? EndDirective.END : EndDirective.CONTINUE;
        do {
          done = ctx.compressByteBufferStream(out, zeros, directive) && left == 0;
          bomb.write(out.array(), 0, out.position());
          out.clear();
        } while (zeros.hasRemaining() || (left == 0 && !done));
      }
    }
    return bomb.toByteArray();
  }

  /**
   * {@code frame} with its header's content size rewritten to {@code size}, which must fit the
   * frame's size field (RFC 8878 section 3.1.1.1: the field's width is set by the descriptor).
   */
  static byte[] declaringContentSize(byte[] frame, long size) {
    byte[] out = frame.clone();
    int descriptor = out[4] & 0xff;
    boolean singleSegment = (descriptor & 0x20) != 0;
    int dictionaryIdBytes = new int[] {0, 1, 2, 4}[descriptor & 3];
    int fieldBytes = new int[] {singleSegment ? 1 : 0, 2, 4, 8}[descriptor >>> 6];
    if (fieldBytes == 0) {
      throw new IllegalArgumentException("the frame declares no content size");
    }
    long stored = fieldBytes == 2 ? size - 256 : size;
    int at = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes;
    for (int i = 0; i < fieldBytes; i++) {
      out[at + i] = (byte) (stored >>> (8 * i));
    }
    return out;
  }

  /**
   * A gzip member of {@code size} zeros (a multiple of 1 MiB). Each MiB is deflated on its own
   * and ends with a full flush, so the deflate output of one MiB can simply be repeated.
   */
  static byte[] gzip(long size) {
    if (size % CHUNK != 0) {
      throw new IllegalArgumentException("size must be a multiple of " + CHUNK);
    }
    byte[] zeros = new byte[CHUNK];
    byte[] chunk = deflate(zeros, Deflater.FULL_FLUSH);
    byte[] last = deflate(new byte[0], Deflater.NO_FLUSH); // finish(): an empty final block
    CRC32 crc = new CRC32();
    for (long i = 0; i < size / CHUNK; i++) {
      crc.update(zeros);
    }
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    bomb.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255});
    for (long i = 0; i < size / CHUNK; i++) {
      bomb.writeBytes(chunk);
    }
    bomb.writeBytes(last);
    ByteBuffer trailer = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    trailer.putInt((int) crc.getValue()).putInt((int) size);
    bomb.writeBytes(trailer.array());
    return bomb.toByteArray();
  }

  /** Raw deflate of {@code input}: full-flushed, or (for NO_FLUSH) finished. */
  private static byte[] deflate(byte[] input, int flush) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      d.setInput(input);
      boolean finish = flush == Deflater.NO_FLUSH;
      if (finish) {
        d.finish();
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[64 * 1024];
      int n;
      do { // a flush is complete when it leaves room in the buffer
        n = d.deflate(buf, 0, buf.length, flush);
        out.write(buf, 0, n);
      } while (finish ? !d.finished() : n == buf.length);
      return out.toByteArray();
    } finally {
      d.end();
    }
  }
}
