package io.protorpc.codec.compress;

import io.protorpc.spi.LimitExceededException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Where a decoder puts decompressed bytes: an array that grows on demand (doubling) but never past
 * a hard limit, so a stream that claims or produces more than the limit costs at most the limit.
 * When the array is full at the limit the decoder must find out whether more output follows (by
 * decoding into a one-byte probe) and, if it does, refuse with {@link #exceeded}.
 */
final class BoundedOutput {
  /** The first array for an unknown size is at least this big (or the limit, if smaller). */
  private static final int MIN_CAPACITY = 256;
  /** ... and at most this big: beyond it the array grows only as output actually arrives. */
  private static final int MAX_GUESS = 1 << 20;

  private final int limit;
  private byte[] buf;
  private int size;

  private BoundedOutput(int capacity, int limit) {
    this.limit = limit;
    this.buf = new byte[capacity];
  }

  /** For output whose size is known in advance (already checked against the limit). */
  static BoundedOutput exactly(int size) {
    return new BoundedOutput(size, size);
  }

  /** For output of unknown size: starts from a guess based on the compressed size. */
  static BoundedOutput growing(int compressedSize, int limit) {
    long guess = Math.min(MAX_GUESS, Math.max(MIN_CAPACITY, 4L * compressedSize));
    return new BoundedOutput((int) Math.min(limit, guess), limit);
  }

  /** For output whose size the input hints at (unverified): starts there if within the limit. */
  static BoundedOutput hinted(long hint, int compressedSize, int limit) {
    return hint >= 0 && hint <= limit
        ? new BoundedOutput((int) hint, limit) : growing(compressedSize, limit);
  }

  /**
   * Makes room for at least one more byte, growing the array up to the limit. Returns false when
   * the output already holds {@code limit} bytes.
   */
  boolean makeRoom() {
    if (size < buf.length) {
      return true;
    }
    if (buf.length >= limit) {
      return false;
    }
    buf = Arrays.copyOf(buf, (int) Math.min(limit, Math.max(MIN_CAPACITY, 2L * buf.length)));
    return true;
  }

  byte[] array() {
    return buf;
  }

  /** Bytes written so far: the next byte goes to {@code array()[size()]}. */
  int size() {
    return size;
  }

  /** Free bytes after {@link #size()} in the current array. */
  int room() {
    return buf.length - size;
  }

  /** Records that {@code n} more bytes were written after {@link #size()}. */
  void advance(int n) {
    if (n < 0 || n > room()) {
      throw new IllegalStateException("advance(" + n + ") with " + room() + " bytes of room");
    }
    size += n;
  }

  /** The free part of the array as a buffer (position = {@link #size()}), for decoders that fill one. */
  ByteBuffer free() {
    return ByteBuffer.wrap(buf, size, room());
  }

  /** The output so far, positioned at 0. */
  ByteBuffer result() {
    return ByteBuffer.wrap(buf, 0, size).slice();
  }

  /**
   * The first {@code length} bytes of {@code array}, copied into a right-sized array when the
   * original (sized for the worst case) would hold on to more than 1 KiB it does not need.
   */
  static ByteBuffer trimmed(byte[] array, int length) {
    byte[] a = array.length - length > 1024 ? Arrays.copyOf(array, length) : array;
    return ByteBuffer.wrap(a, 0, length).slice();
  }

  /** The refusal for output beyond the limit; {@code what} names the input, e.g. "zstd frame". */
  static LimitExceededException exceeded(String what, int limit) {
    return new LimitExceededException(what + " decompresses to more than the limit of " + limit
        + " bytes");
  }

  /** Checks a caller's limit argument. */
  static void checkLimit(int maxOutputBytes) {
    if (maxOutputBytes < 0) {
      throw new IllegalArgumentException("maxOutputBytes must be >= 0, got " + maxOutputBytes);
    }
  }
}
