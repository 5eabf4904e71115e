package io.protorpc.codec.compress;

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
  private static final Cleaner CLEANER = Cleaner.create();

  private final int level;
  private final ZstdDictionary dictionary;
  /** Created on first use, so that a missing native library or jar is reported, not thrown. */
  private volatile ZstdContexts contexts;

  /** Level {@value #DEFAULT_LEVEL}, no dictionary. Does not touch the native library. */
  public ZstdCompressor() {
    this.level = DEFAULT_LEVEL;
    this.dictionary = null;
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
    requireNative();
    if (level < minLevel() || level > maxLevel()) {
      throw new IllegalArgumentException("zstd level " + level + " is outside " + minLevel()
          + ".." + maxLevel());
    }
    this.level = level;
    this.dictionary = dictionary;
    contexts(); // digest the dictionary now: a bad one fails here, not on the first call
  }

  private ZstdContexts contexts() {
    ZstdContexts c = contexts;
    if (c == null) {
      synchronized (this) { // once per compressor
        c = contexts;
        if (c == null) {
          c = new ZstdContexts(level, dictionary);
          CLEANER.register(this, c::drain); // c must not refer to this compressor
          contexts = c;
        }
      }
    }
    return c;
  }

  /** The lowest level zstd accepts (negative levels trade ratio for speed). */
  public static int minLevel() {
    requireNative();
    return ZstdContexts.minLevel();
  }

  /** The highest level zstd accepts. */
  public static int maxLevel() {
    requireNative();
    return ZstdContexts.maxLevel();
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
    try {
      return contexts().compress(input);
    } finally {
      Reference.reachabilityFence(this); // its cleaner drains the pool the call is using
    }
  }

  @Override
  public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) throws IOException {
    BoundedOutput.checkLimit(maxOutputBytes);
    checkNative();
    ZstdFrameHeader header = ZstdFrameHeader.read(input);
    boolean withDictionary = checkDictionary(header.dictionaryId());
    try {
      if (header.contentSizeKnown()) {
        if (header.contentSize() > maxOutputBytes) {
          throw new LimitExceededException("zstd frame declares " + header.contentSize()
              + " bytes of content, more than the limit of " + maxOutputBytes + " bytes");
        }
        return contexts().decompressKnownSize(withDictionary, input, (int) header.contentSize());
      }
      long windowLimit = Math.max(MIN_WINDOW_LIMIT, maxOutputBytes);
      if (header.windowSize() > windowLimit) {
        throw new LimitExceededException("zstd frame of undeclared size needs a window of "
            + header.windowSize() + " bytes, more than the limit of " + windowLimit + " bytes");
      }
      return contexts().decompressStreaming(withDictionary, input, maxOutputBytes);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /**
   * Whether a frame with this dictionary id is decoded with this side's dictionary (false: without
   * any); refuses a frame whose dictionary this side does not have.
   */
  private boolean checkDictionary(long frameDictionaryId) throws ProtocolException {
    if (frameDictionaryId == 0) {
      return false;
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
    return true;
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
      ZstdContexts.maxLevel(); // a real native call: loading alone may not bind the symbols
    });

    private NativeLibrary() {}

    /** Runs {@code load}; empty when it works, else why not. Never throws. */
    static Optional<String> probe(Runnable load) {
      try {
        load.run();
        return Optional.empty();
      } catch (LinkageError | RuntimeException e) { // NoClassDefFoundError too: no zstd-jni jar
        return Optional.of("the zstd-jni native library cannot be loaded on "
            + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + e);
      }
    }
  }
}
