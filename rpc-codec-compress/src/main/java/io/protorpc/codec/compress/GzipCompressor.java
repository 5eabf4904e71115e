package io.protorpc.codec.compress;

import io.protorpc.spi.Compressor;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The {@code gzip} compressor, with the JDK's {@link Deflater} and {@link Inflater}: the payload
 * becomes one gzip member (RFC 1952: header, deflate data, CRC-32 and size trailer), readable by
 * {@link java.util.zip.GZIPInputStream} and any gzip tool.
 *
 * <p>Decompression is bounded: the output grows up to {@code maxOutputBytes} and is refused the
 * moment it would go past it; the CRC-32 and size in the trailer are checked. Only a single member
 * is accepted (bytes after it are refused).
 *
 * <p>Deflaters and inflaters are reused from a small bounded pool (reset between uses). Direct
 * input buffers are read in place. Results are heap buffers. Thread-safe.
 */
public final class GzipCompressor implements Compressor {
  public static final String NAME = "gzip";
  /** The level of the no-argument constructor (zlib's default). */
  public static final int DEFAULT_LEVEL = 6;

  private static final int ID1 = 0x1f;
  private static final int ID2 = 0x8b;
  private static final int CM_DEFLATE = 8;
  private static final int FHCRC = 0x02;
  private static final int FEXTRA = 0x04;
  private static final int FNAME = 0x08;
  private static final int FCOMMENT = 0x10;
  private static final int FRESERVED = 0xE0;
  private static final int OS_UNKNOWN = 255;
  private static final int HEADER_BYTES = 10;
  private static final int TRAILER_BYTES = 8;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

  private final int level;
  private final Pool<Deflater> deflaters;
  private final Pool<Inflater> inflaters;

  /** Level {@value #DEFAULT_LEVEL}. */
  public GzipCompressor() {
    this(DEFAULT_LEVEL);
  }

  /**
   * The given deflate level.
   *
   * @throws IllegalArgumentException unless {@code 0 <= level <= 9}
   */
  public GzipCompressor(int level) {
    if (level < Deflater.NO_COMPRESSION || level > Deflater.BEST_COMPRESSION) {
      throw new IllegalArgumentException("gzip level " + level + " is outside 0..9");
    }
    this.level = level;
    // nowrap: raw deflate; this class writes the gzip header and trailer itself
    this.deflaters = new Pool<>(Pool.DEFAULT_CAPACITY, () -> new Deflater(level, true),
        Deflater::end);
    this.inflaters = new Pool<>(Pool.DEFAULT_CAPACITY, () -> new Inflater(true), Inflater::end);
  }

  @Override
  public String name() {
    return NAME;
  }

  public int level() {
    return level;
  }

  @Override
  public ByteBuffer compress(ByteBuffer input) throws IOException {
    int n = input.remaining();
    // zlib's deflateBound for the default memory level, plus gzip's header and trailer
    long bound = (long) n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + HEADER_BYTES + TRAILER_BYTES;
    if (bound > MAX_ARRAY) {
      throw new IOException("a payload of " + n + " bytes is too large for gzip to compress");
    }
    CRC32 crc = new CRC32();
    crc.update(input.duplicate());
    ByteBuffer out = deflaters.use(deflater -> deflate(deflater, input, (int) bound));
    int end = out.limit();
    out.limit(end + TRAILER_BYTES);
    putIntLittleEndian(out, end, (int) crc.getValue());
    putIntLittleEndian(out, end + 4, n); // ISIZE: the size modulo 2^32
    return BoundedOutput.trimmed(out.array(), out.limit());
  }

  /** Header and deflate data; the returned buffer has room for the trailer after its limit. */
  private ByteBuffer deflate(Deflater deflater, ByteBuffer input, int bound) throws IOException {
    deflater.reset();
    deflater.setInput(input.duplicate()); // read in place, direct or heap
    deflater.finish();
    byte[] out = new byte[bound];
    out[0] = (byte) ID1;
    out[1] = (byte) ID2;
    out[2] = CM_DEFLATE;
    // out[3] FLG = 0 and out[4..7] MTIME = 0 (none): the payload is no file
    out[8] = (byte) (level == Deflater.BEST_COMPRESSION ? 2 : level == Deflater.BEST_SPEED ? 4 : 0);
    out[9] = (byte) OS_UNKNOWN;
    int length = HEADER_BYTES;
    while (!deflater.finished()) {
      if (out.length - length - TRAILER_BYTES < 64) { // never with zlib's bound; cheap insurance
        if (out.length >= MAX_ARRAY) {
          throw new IOException("gzip output would exceed the largest array");
        }
        out = Arrays.copyOf(out, (int) Math.min(MAX_ARRAY, 2L * out.length));
      }
      length += deflater.deflate(out, length, out.length - length - TRAILER_BYTES);
    }
    return ByteBuffer.wrap(out, 0, length);
  }

  @Override
  public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) throws IOException {
    BoundedOutput.checkLimit(maxOutputBytes);
    int dataStart = skipHeader(input);
    int end = input.limit();
    if (end - dataStart < 2 + TRAILER_BYTES) { // the shortest deflate stream is 2 bytes
      throw truncated();
    }
    // ISIZE (the size modulo 2^32, unverified until the end) only sizes the first buffer.
    long sizeHint = Integer.toUnsignedLong(getIntLittleEndian(input, end - 4));
    return inflaters.use(inflater -> inflate(inflater, input, dataStart, sizeHint,
        maxOutputBytes));
  }

  private static ByteBuffer inflate(Inflater inflater, ByteBuffer input, int dataStart,
      long sizeHint, int limit) throws ProtocolException {
    inflater.reset();
    ByteBuffer src = input.duplicate();
    src.position(dataStart);
    inflater.setInput(src); // read in place, direct or heap; advances src as it goes
    BoundedOutput out = BoundedOutput.hinted(sizeHint, src.remaining(), limit);
    try {
      while (!inflater.finished()) {
        if (!out.makeRoom()) {
          probeBeyondLimit(inflater, limit);
          break;
        }
        long readBefore = inflater.getBytesRead();
        int n = inflater.inflate(out.array(), out.size(), out.room());
        out.advance(n);
        if (n == 0) {
          checkProgress(inflater, readBefore);
        }
      }
    } catch (DataFormatException e) {
      throw new ProtocolException("corrupt gzip data: " + e.getMessage(), e);
    }
    checkTrailer(input, src.position(), out);
    return out.result();
  }

  /** At the limit: the stream must end without producing another byte. */
  private static void probeBeyondLimit(Inflater inflater, int limit)
      throws DataFormatException, ProtocolException {
    byte[] probe = new byte[1];
    while (!inflater.finished()) {
      long readBefore = inflater.getBytesRead();
      if (inflater.inflate(probe) > 0) {
        throw BoundedOutput.exceeded("gzip data", limit);
      }
      checkProgress(inflater, readBefore);
    }
  }

  /** After an inflate call that produced nothing: fails unless it at least consumed input. */
  private static void checkProgress(Inflater inflater, long readBefore) throws ProtocolException {
    if (inflater.finished()) {
      return;
    }
    if (inflater.needsInput()) {
      throw truncated();
    }
    if (inflater.needsDictionary()) {
      throw new ProtocolException("corrupt gzip data: it asks for a preset dictionary");
    }
    if (inflater.getBytesRead() == readBefore) {
      throw new ProtocolException("corrupt gzip data: the inflater makes no progress");
    }
  }

  private static void checkTrailer(ByteBuffer input, int trailerStart, BoundedOutput out)
      throws ProtocolException {
    int left = input.limit() - trailerStart;
    if (left < TRAILER_BYTES) {
      throw truncated();
    }
    if (left > TRAILER_BYTES) {
      throw new ProtocolException("corrupt gzip data: " + (left - TRAILER_BYTES)
          + " bytes after the member (only one gzip member is accepted)");
    }
    CRC32 crc = new CRC32();
    crc.update(out.array(), 0, out.size());
    long expectedCrc = Integer.toUnsignedLong(getIntLittleEndian(input, trailerStart));
    if (crc.getValue() != expectedCrc) {
      throw new ProtocolException(String.format("corrupt gzip data: CRC-32 of the output is"
          + " 0x%08X, the trailer says 0x%08X", crc.getValue(), expectedCrc));
    }
    long expectedSize = Integer.toUnsignedLong(getIntLittleEndian(input, trailerStart + 4));
    if ((out.size() & 0xFFFFFFFFL) != expectedSize) {
      throw new ProtocolException("corrupt gzip data: the output is " + out.size()
          + " bytes, the trailer says " + expectedSize + " (modulo 2^32)");
    }
  }

  /**
   * Checks the gzip header at {@code in}'s position and returns the absolute index where the
   * deflate data starts.
   */
  private static int skipHeader(ByteBuffer in) throws ProtocolException {
    int p = in.position();
    int end = in.limit();
    if (end - p < HEADER_BYTES) {
      throw new ProtocolException("not gzip data: " + (end - p) + " bytes is shorter than a gzip"
          + " header");
    }
    int id1 = in.get(p) & 0xFF;
    int id2 = in.get(p + 1) & 0xFF;
    if (id1 != ID1 || id2 != ID2) {
      throw new ProtocolException(String.format("not gzip data: it starts with 0x%02X 0x%02X,"
          + " not 0x1F 0x8B", id1, id2));
    }
    int method = in.get(p + 2) & 0xFF;
    if (method != CM_DEFLATE) {
      throw new ProtocolException("gzip compression method " + method + " is not deflate (8)");
    }
    int flags = in.get(p + 3) & 0xFF;
    if ((flags & FRESERVED) != 0) {
      throw new ProtocolException(String.format("corrupt gzip header: reserved flags 0x%02X",
          flags & FRESERVED));
    }
    int q = p + HEADER_BYTES;
    if ((flags & FEXTRA) != 0) {
      if (end - q < 2) {
        throw truncated();
      }
      q += 2 + ((in.get(q) & 0xFF) | (in.get(q + 1) & 0xFF) << 8);
    }
    if ((flags & FNAME) != 0) {
      q = skipZeroTerminated(in, q);
    }
    if ((flags & FCOMMENT) != 0) {
      q = skipZeroTerminated(in, q);
    }
    if ((flags & FHCRC) != 0) {
      if (q > end - 2) {
        throw truncated();
      }
      CRC32 crc = new CRC32();
      ByteBuffer header = in.duplicate();
      header.position(p).limit(q);
      crc.update(header);
      int expected = (in.get(q) & 0xFF) | (in.get(q + 1) & 0xFF) << 8;
      if ((crc.getValue() & 0xFFFF) != expected) {
        throw new ProtocolException("corrupt gzip header: its CRC-16 does not match");
      }
      q += 2;
    }
    if (q > end) {
      throw truncated();
    }
    return q;
  }

  private static int skipZeroTerminated(ByteBuffer in, int from) throws ProtocolException {
    for (int i = from; i < in.limit(); i++) {
      if (in.get(i) == 0) {
        return i + 1;
      }
    }
    throw truncated();
  }

  private static ProtocolException truncated() {
    return new ProtocolException("truncated gzip data: the input ends before the member does");
  }

  private static int getIntLittleEndian(ByteBuffer in, int at) {
    return Integer.reverseBytes(in.getInt(at));
  }

  private static void putIntLittleEndian(ByteBuffer out, int at, int value) {
    out.putInt(at, Integer.reverseBytes(value));
  }

  @Override
  public String toString() {
    return "gzip(level " + level + ")";
  }
}
