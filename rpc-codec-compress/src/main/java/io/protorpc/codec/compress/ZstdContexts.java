package io.protorpc.codec.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictCompress;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdException;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Every call into zstd-jni that {@link ZstdCompressor} makes, over pooled native contexts of one
 * level and (optional) dictionary. Kept apart so that {@link ZstdCompressor} loads, and reports
 * why zstd is unavailable, even where zstd-jni's classes or native library are missing: this
 * class is loaded only after the native library did load.
 *
 * <p>The callers have already checked the frame header (limits, dictionary id); this class decodes
 * and turns zstd's errors into {@link ProtocolException}s.
 */
final class ZstdContexts {
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

  private final Pool<ZstdCompressCtx> compressors;
  private final Pool<ZstdDecompressCtx> decompressors;
  private final Pool<ZstdDecompressCtx> dictionaryDecompressors; // null without a dictionary

  ZstdContexts(int level, ZstdDictionary dictionary) {
    int capacity = Pool.DEFAULT_CAPACITY;
    if (dictionary == null) {
      compressors = new Pool<>(capacity, () -> new ZstdCompressCtx().setLevel(level),
          ZstdCompressCtx::close);
      dictionaryDecompressors = null;
    } else {
      // Digested once and shared by every pooled context (zstd-jni frees them when unreachable).
      ZstdDictCompress cdict = new ZstdDictCompress(dictionary.bytesShared(), level);
      ZstdDictDecompress ddict = new ZstdDictDecompress(dictionary.bytesShared());
      compressors = new Pool<>(capacity,
          () -> new ZstdCompressCtx().setLevel(level).loadDict(cdict), ZstdCompressCtx::close);
      dictionaryDecompressors = new Pool<>(capacity,
          () -> new ZstdDecompressCtx().loadDict(ddict), ZstdDecompressCtx::close);
    }
    decompressors = new Pool<>(capacity, ZstdDecompressCtx::new, ZstdDecompressCtx::close);
  }

  /** Frees the idle contexts: they hold native memory and have no finalizer. */
  void drain() {
    compressors.drain();
    decompressors.drain();
    if (dictionaryDecompressors != null) {
      dictionaryDecompressors.drain();
    }
  }

  static int minLevel() {
    return Zstd.minCompressionLevel();
  }

  static int maxLevel() {
    return Zstd.maxCompressionLevel();
  }

  /** One frame that declares its content size (and the dictionary id, with a dictionary). */
  ByteBuffer compress(ByteBuffer input) throws IOException {
    int n = input.remaining();
    long bound = Zstd.compressBound(n);
    if (bound > MAX_ARRAY) {
      throw new IOException("a payload of " + n + " bytes is too large for zstd to compress");
    }
    byte[] out = new byte[(int) bound];
    try {
      int length = compressors.use(ctx -> compressInto(ctx, input, out));
      return BoundedOutput.trimmed(out, length);
    } catch (ZstdException e) {
      throw new IOException("zstd compression failed: " + e.getMessage(), e);
    }
  }

  private static int compressInto(ZstdCompressCtx ctx, ByteBuffer input, byte[] out)
      throws IOException {
    int n = input.remaining();
    if (input.hasArray()) {
      return ctx.compressByteArray(out, 0, out.length,
          input.array(), input.arrayOffset() + input.position(), n);
    }
    if (input.isDirect()) {
      ByteBuffer src = input.duplicate();
      ByteBuffer dst = ByteBuffer.wrap(out);
      // One END call on a fresh frame writes the content size, like compressByteArray does.
      if (!ctx.compressByteBufferStream(dst, src, EndDirective.END) || src.hasRemaining()) {
        throw new IOException("zstd did not finish the frame within its size bound");
      }
      return dst.position();
    }
    byte[] copy = new byte[n]; // a read-only heap buffer: its array is out of reach
    input.duplicate().get(copy);
    return ctx.compressByteArray(out, 0, out.length, copy, 0, n);
  }

  /** Decodes a frame that declares {@code size} bytes (already checked against the limit). */
  ByteBuffer decompressKnownSize(boolean withDictionary, ByteBuffer input, int size)
      throws IOException {
    return decode(withDictionary, ctx -> decompressKnownSize(ctx, input, size));
  }

  /** Decodes a frame that declares no size, refusing it once it would exceed {@code limit}. */
  ByteBuffer decompressStreaming(boolean withDictionary, ByteBuffer input, int limit)
      throws IOException {
    return decode(withDictionary, ctx -> decompressStreaming(ctx, input, limit));
  }

  private ByteBuffer decode(boolean withDictionary,
      Pool.Work<ZstdDecompressCtx, ByteBuffer> work) throws IOException {
    try {
      return (withDictionary ? dictionaryDecompressors : decompressors).use(work);
    } catch (ZstdException e) {
      throw new ProtocolException("corrupt zstd frame: " + e.getMessage(), e);
    }
  }

  /**
   * One-shot decoding into an array of exactly the declared size. A frame that holds more than it
   * declares overflows that array: refused as a limit, since the size the peer declared is the
   * one it was allowed.
   */
  private static ByteBuffer decompressKnownSize(ZstdDecompressCtx ctx, ByteBuffer input, int size)
      throws ProtocolException {
    try {
      return decompressInto(ctx, input, size);
    } catch (ZstdException e) {
      if (e.getErrorCode() == Zstd.errDstSizeTooSmall()) {
        throw new LimitExceededException("zstd frame declares " + size
            + " bytes of content but holds more");
      }
      throw e;
    }
  }

  private static ByteBuffer decompressInto(ZstdDecompressCtx ctx, ByteBuffer input, int size)
      throws ProtocolException {
    byte[] out = new byte[size];
    int n;
    if (input.hasArray()) {
      n = ctx.decompressByteArray(out, 0, size,
          input.array(), input.arrayOffset() + input.position(), input.remaining());
    } else if (input.isDirect()) {
      n = ctx.decompressDirectByteBufferToByteArray(out, 0, size,
          input, input.position(), input.remaining());
    } else {
      byte[] copy = new byte[input.remaining()];
      input.duplicate().get(copy);
      n = ctx.decompressByteArray(out, 0, size, copy, 0, copy.length);
    }
    if (n != size) {
      throw new ProtocolException("corrupt zstd frame: it declares " + size + " bytes of content"
          + " but holds " + n);
    }
    return ByteBuffer.wrap(out);
  }

  /** Streaming decoding into a buffer that grows up to the limit and no further. */
  private static ByteBuffer decompressStreaming(ZstdDecompressCtx ctx, ByteBuffer input, int limit)
      throws ProtocolException {
    ByteBuffer src = input.isDirect() || input.hasArray() ? input.duplicate() : heapCopy(input);
    BoundedOutput out = BoundedOutput.growing(src.remaining(), limit);
    while (out.makeRoom()) {
      ByteBuffer dst = out.free();
      int consumedBefore = src.position();
      boolean frameDone = ctx.decompressByteBufferStream(dst, src);
      int produced = dst.position() - out.size();
      out.advance(produced);
      if (frameDone) {
        return finish(out, src);
      }
      if (produced == 0 && src.position() == consumedBefore) {
        throw truncated();
      }
    }
    // Exactly `limit` bytes so far: accept only if the frame ends here without another byte.
    byte[] probe = new byte[1];
    while (true) {
      ByteBuffer dst = ByteBuffer.wrap(probe);
      int consumedBefore = src.position();
      boolean frameDone = ctx.decompressByteBufferStream(dst, src);
      if (dst.position() > 0) {
        throw BoundedOutput.exceeded("zstd frame", limit);
      }
      if (frameDone) {
        return finish(out, src);
      }
      if (src.position() == consumedBefore) {
        throw truncated();
      }
    }
  }

  private static ByteBuffer finish(BoundedOutput out, ByteBuffer src) throws ProtocolException {
    if (src.hasRemaining()) {
      throw new ProtocolException("corrupt zstd data: " + src.remaining()
          + " bytes after the end of the frame");
    }
    return out.result();
  }

  private static ProtocolException truncated() {
    return new ProtocolException("truncated zstd frame: the input ends before the frame does");
  }

  private static ByteBuffer heapCopy(ByteBuffer input) {
    ByteBuffer copy = ByteBuffer.allocate(input.remaining());
    copy.put(input.duplicate()).flip();
    return copy;
  }

  /**
   * Trains a dictionary of at most {@code maxSize} bytes.
   *
   * @throws IllegalArgumentException with zstd's reason when it cannot
   */
  static byte[] train(byte[][] samples, int maxSize, int level) {
    byte[] buffer = new byte[maxSize];
    long size;
    String error;
    try {
      size = Zstd.trainFromBuffer(samples, buffer, false, level);
      error = Zstd.isError(size) ? Zstd.getErrorName(size) : null;
    } catch (ZstdException e) { // some refusals come as exceptions, others as error codes
      size = -1;
      error = e.getMessage();
    }
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
    return java.util.Arrays.copyOf(buffer, (int) size);
  }
}
