package io.protorpc.codec.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictCompress;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdException;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The {@code zstd} compressor (Zstandard through zstd-jni), optionally with a {@link
 * ZstdDictionary}.
 *
 * <p>Compression writes one zstd frame that declares its content size and, with a dictionary, the
 * dictionary id. Decompression is bounded: a frame that declares more than {@code maxOutputBytes}
 * is refused before anything is allocated; a frame that declares nothing is decoded into a buffer
 * that grows up to the limit and is refused the moment it would go past it, and its window (native
 * memory the decoder keeps) may not exceed {@code max(8 MiB, maxOutputBytes)}. A frame compressed
 * with a dictionary this side does not have is refused with both ids in the message.
 *
 * <p>Native contexts are reused from a small bounded pool (see {@link Pool}), never one per call
 * and never one per thread. Heap buffers are read in place through their arrays; direct buffers
 * are read in place through zstd-jni's direct-buffer methods. Results are heap buffers.
 *
 * <p>If the zstd-jni native library cannot load here, {@link #unavailableReason()} says why and
 * the plugin lookup refuses {@code "zstd"} with that reason. Thread-safe.
 */
public final class ZstdCompressor implements Compressor {
  public static final String NAME = "zstd";
  /** The level of the no-argument constructor: zstd's own default. */
  public static final int DEFAULT_LEVEL = 3;
  /** Windows up to this size are always accepted (RFC 8878 recommends decoders support 8 MB). */
  static final long MIN_WINDOW_LIMIT = 8L << 20;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
  private static final Cleaner CLEANER = Cleaner.create();

  private final int level;
  private final ZstdDictionary dictionary;
  private final Pool<ZstdCompressCtx> compressors;
  private final Pool<ZstdDecompressCtx> decompressors;
  private final Pool<ZstdDecompressCtx> dictionaryDecompressors;

  /** Level {@value #DEFAULT_LEVEL}, no dictionary. Does not touch the native library. */
  public ZstdCompressor() {
    this(DEFAULT_LEVEL, null, false);
  }

  /**
   * The given level, no dictionary.
   *
   * @throws IllegalArgumentException if the level is outside {@link #minLevel()}..{@link
   *     #maxLevel()}
   * @throws IllegalStateException if the zstd native library is unavailable here
   */
  public ZstdCompressor(int level) {
    this(level, null);
  }

  /**
   * The given level and dictionary; both sides of a connection must load the same dictionary.
   *
   * @param dictionary the dictionary, or null for none
   * @throws IllegalArgumentException if the level is outside {@link #minLevel()}..{@link
   *     #maxLevel()}
   * @throws IllegalStateException if the zstd native library is unavailable here
   */
  public ZstdCompressor(int level, ZstdDictionary dictionary) {
    this(level, dictionary, true);
  }

  private ZstdCompressor(int level, ZstdDictionary dictionary, boolean validate) {
    if (validate) {
      requireNative();
      if (level < minLevel() || level > maxLevel()) {
        throw new IllegalArgumentException("zstd level " + level + " is outside " + minLevel()
            + ".." + maxLevel());
      }
    }
    this.level = level;
    this.dictionary = dictionary;
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
    // Contexts hold native memory and have no finalizer: free the idle ones with this compressor.
    Pool<ZstdCompressCtx> c = compressors;
    Pool<ZstdDecompressCtx> d = decompressors;
    Pool<ZstdDecompressCtx> dd = dictionaryDecompressors;
    CLEANER.register(this, () -> {
      c.drain();
      d.drain();
      if (dd != null) {
        dd.drain();
      }
    });
  }

  /** The lowest level zstd accepts (negative levels trade ratio for speed). */
  public static int minLevel() {
    requireNative();
    return Zstd.minCompressionLevel();
  }

  /** The highest level zstd accepts. */
  public static int maxLevel() {
    requireNative();
    return Zstd.maxCompressionLevel();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<String> unavailableReason() {
    return NativeLibrary.PROBLEM;
  }

  public int level() {
    return level;
  }

  public Optional<ZstdDictionary> dictionary() {
    return Optional.ofNullable(dictionary);
  }

  @Override
  public ByteBuffer compress(ByteBuffer input) throws IOException {
    checkNative();
    int n = input.remaining();
    long bound = Zstd.compressBound(n);
    if (bound > MAX_ARRAY) {
      throw new IOException("a payload of " + n + " bytes is too large for zstd to compress");
    }
    byte[] out = new byte[(int) bound];
    int length;
    try {
      length = with(compressors, ctx -> compressInto(ctx, input, out));
    } catch (ZstdException e) {
      throw new IOException("zstd compression failed: " + e.getMessage(), e);
    }
    return BoundedOutput.trimmed(out, length);
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

  @Override
  public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) throws IOException {
    BoundedOutput.checkLimit(maxOutputBytes);
    checkNative();
    ZstdFrameHeader header = ZstdFrameHeader.read(input);
    Pool<ZstdDecompressCtx> pool = decompressorsFor(header.dictionaryId());
    try {
      if (header.contentSizeKnown()) {
        if (header.contentSize() > maxOutputBytes) {
          throw new LimitExceededException("zstd frame declares " + header.contentSize()
              + " bytes of content, more than the limit of " + maxOutputBytes + " bytes");
        }
        int size = (int) header.contentSize();
        return with(pool, ctx -> decompressKnownSize(ctx, input, size));
      }
      long windowLimit = Math.max(MIN_WINDOW_LIMIT, maxOutputBytes);
      if (header.windowSize() > windowLimit) {
        throw new LimitExceededException("zstd frame of undeclared size needs a window of "
            + header.windowSize() + " bytes, more than the limit of " + windowLimit + " bytes");
      }
      return with(pool, ctx -> decompressStreaming(ctx, input, maxOutputBytes));
    } catch (ZstdException e) {
      throw new ProtocolException("corrupt zstd frame: " + e.getMessage(), e);
    }
  }

  private Pool<ZstdDecompressCtx> decompressorsFor(long frameDictionaryId)
      throws ProtocolException {
    if (frameDictionaryId == 0) {
      return decompressors;
    }
    if (dictionary == null) {
      throw new ProtocolException("zstd frame was compressed with dictionary id "
          + frameDictionaryId + ", but this side has no zstd dictionary; load the same"
          + " dictionary on both sides");
    }
    if (frameDictionaryId != dictionary.id()) {
      throw new ProtocolException("zstd frame was compressed with dictionary id "
          + frameDictionaryId + ", but this side's dictionary has id " + dictionary.id()
          + "; load the same dictionary on both sides");
    }
    return dictionaryDecompressors;
  }

  /** One-shot decoding into an array of exactly the declared size. */
  private static ByteBuffer decompressKnownSize(ZstdDecompressCtx ctx, ByteBuffer input, int size)
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

  /** Streaming decoding for frames that do not declare their size, bounded by the limit. */
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

  /** Runs pooled work, keeping this compressor (whose cleaner drains the pools) reachable. */
  private <T, R> R with(Pool<T> pool, Pool.Work<? super T, ? extends R> work) throws IOException {
    try {
      return pool.use(work);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public String toString() {
    return "zstd(level " + level + (dictionary == null ? "" : ", dictionary id " + dictionary.id())
        + ")";
  }

  /** Throws IllegalStateException with the reason when the native library is unavailable. */
  static void requireNative() {
    NativeLibrary.PROBLEM.ifPresent(reason -> {
      throw new IllegalStateException("zstd is unavailable here: " + reason);
    });
  }

  private static void checkNative() throws IOException {
    if (NativeLibrary.PROBLEM.isPresent()) {
      throw new IOException("zstd is unavailable here: " + NativeLibrary.PROBLEM.get());
    }
  }

  /** Loads the native library once, on first need, and remembers why it failed if it did. */
  static final class NativeLibrary {
    static final Optional<String> PROBLEM = probe(() -> {
      com.github.luben.zstd.util.Native.load();
      Zstd.maxCompressionLevel(); // a real native call: loading alone may not bind the symbols
    });

    private NativeLibrary() {}

    /** Runs {@code load}; empty when it works, else why not. Never throws. */
    static Optional<String> probe(Runnable load) {
      try {
        load.run();
        return Optional.empty();
      } catch (LinkageError | RuntimeException e) {
        return Optional.of("the zstd-jni native library cannot be loaded on "
            + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + e);
      }
    }
  }
}
