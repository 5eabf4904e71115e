package io.protorpc.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns fuzzer bytes into what a decoder sees from a peer: limits picked from a short list, the
 * input cut into reads of arbitrary sizes, each read in one of several kinds of buffer.
 *
 * <p>Every choice takes exactly one byte from the end of the input: each is a {@code
 * consumeInt(0, max)} with {@code max < 256}, which maps a byte {@code b <= max} to {@code b}
 * itself (and a larger one to {@code b % (max + 1)}). Ranges start at 0 on purpose: for other
 * ranges Jazzer's mapping has changed between versions. The rest of the input, from the front, is
 * the byte stream itself. So a seed file is simply {@code stream ++ reverse(choice bytes)}, which
 * is how {@link SeedWriter} writes them.
 */
public final class Inputs {
  /** How many buffer kinds {@link #buffer} knows. */
  public static final int STYLES = 5;

  /** At most this many read sizes in a plan; they are used in turn until the input is used up. */
  public static final int MAX_READS = 16;

  /** Filler around a heap buffer's window: a decoder that reads outside it sees this. */
  private static final byte JUNK = (byte) 0xA5;

  private Inputs() {}

  /** One of {@code values}, chosen by one input byte (the first value when the input is empty). */
  public static int pick(FuzzedDataProvider data, int... values) {
    return values[data.consumeInt(0, values.length - 1)];
  }

  /** A buffer kind for {@link #buffer}, chosen by one input byte. */
  public static int style(FuzzedDataProvider data) {
    return data.consumeInt(0, STYLES - 1);
  }

  /**
   * {@code bytes[from, from + length)} as a buffer of kind {@code style}:
   *
   * <ol start="0">
   *   <li>a heap buffer wrapping exactly these bytes;
   *   <li>a window (position and limit) in a larger array with junk before and after;
   *   <li>a slice of such a window: position 0 but a non-zero array offset;
   *   <li>a direct buffer (no array);
   *   <li>a read-only heap buffer (no accessible array).
   * </ol>
   *
   * The content is a copy, so a decoder that writes to its input cannot corrupt the test's data.
   */
  public static ByteBuffer buffer(byte[] bytes, int from, int length, int style) {
    switch (style) {
      case 1, 2 -> {
        byte[] padded = new byte[length + 16];
        java.util.Arrays.fill(padded, JUNK);
        System.arraycopy(bytes, from, padded, 7, length);
        ByteBuffer window = ByteBuffer.wrap(padded, 7, length);
        return style == 1 ? window : window.slice();
      }
      case 3 -> {
        return ByteBuffer.allocateDirect(length).put(bytes, from, length).flip();
      }
      case 4 -> {
        return ByteBuffer.wrap(java.util.Arrays.copyOfRange(bytes, from, from + length))
            .asReadOnlyBuffer();
      }
      default -> {
        return ByteBuffer.wrap(java.util.Arrays.copyOfRange(bytes, from, from + length));
      }
    }
  }

  /** All of {@code bytes} as a buffer of kind {@code style}. */
  public static ByteBuffer buffer(byte[] bytes, int style) {
    return buffer(bytes, 0, bytes.length, style);
  }

  /** The remaining bytes of {@code parts}, concatenated; the parts' positions are unchanged. */
  public static byte[] concat(ByteBuffer... parts) {
    int n = 0;
    for (ByteBuffer p : parts) {
      n += p.remaining();
    }
    byte[] out = new byte[n];
    int at = 0;
    for (ByteBuffer p : parts) {
      p.duplicate().get(out, at, p.remaining());
      at += p.remaining();
    }
    return out;
  }

  /** The remaining bytes of {@code buffer}; its position is unchanged. */
  public static byte[] bytes(ByteBuffer buffer) {
    return concat(buffer);
  }

  /**
   * Overwrites a buffer's whole backing memory (not just its window) with junk, as a reader that
   * reuses its buffer would; read-only buffers are left alone.
   */
  public static void scribble(ByteBuffer buffer) {
    if (buffer.isReadOnly()) {
      return;
    }
    if (buffer.hasArray()) {
      java.util.Arrays.fill(buffer.array(), JUNK);
    } else {
      for (int i = 0; i < buffer.capacity(); i++) {
        buffer.put(i, JUNK);
      }
    }
  }

  /** How an input is cut into reads: sizes used in turn, and one buffer kind for all of them. */
  public record Reads(int[] sizes, int style) {

    /** A plan read from the input: a count less one, that many sizes (0..255), a buffer kind. */
    public static Reads plan(FuzzedDataProvider data) {
      int[] sizes = new int[1 + data.consumeInt(0, MAX_READS - 1)];
      for (int i = 0; i < sizes.length; i++) {
        sizes[i] = data.consumeInt(0, 255);
      }
      return new Reads(sizes, Inputs.style(data));
    }

    /**
     * Cuts {@code bytes} into buffers. A size of 0 gives an empty read, which decoders must accept
     * too. If every size is 0, one round of empty reads is followed by the rest in one read.
     */
    public List<ByteBuffer> cut(byte[] bytes) {
      List<ByteBuffer> out = new ArrayList<>();
      lazily(bytes, 1).forEach(out::add);
      return out;
    }

    /**
     * Like {@link #cut}, but each buffer is made only when asked for (a long stream in one-byte
     * reads would not fit in memory at once), and every size is multiplied by {@code scale}.
     */
    public Iterable<ByteBuffer> lazily(byte[] bytes, int scale) {
      boolean allEmpty = java.util.Arrays.stream(sizes).allMatch(s -> s == 0);
      return () -> new java.util.Iterator<>() {
        private int at;
        private int i;

        @Override
        public boolean hasNext() {
          return at < bytes.length || (allEmpty && i < sizes.length);
        }

        @Override
        public ByteBuffer next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          int n = allEmpty && i >= sizes.length
              ? bytes.length - at
              : (int) Math.min((long) sizes[i % sizes.length] * scale, bytes.length - at);
          i++;
          ByteBuffer b = buffer(bytes, at, n, style);
          at += n;
          return b;
        }
      };
    }
  }
}
