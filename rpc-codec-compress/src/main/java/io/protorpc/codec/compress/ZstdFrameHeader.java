package io.protorpc.codec.compress;

import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;

/**
 * The parts of a zstd frame header (RFC 8878, section 3.1.1) that decide how, and whether, to
 * decode the frame: the declared content size, the dictionary id and the window the decoder must
 * hold. Read in Java, from any kind of buffer, before any native code or allocation.
 *
 * @param contentSize the declared decompressed size, or {@link #UNKNOWN}; a declared size beyond
 *     {@code Long.MAX_VALUE} is reported as {@code Long.MAX_VALUE}
 * @param dictionaryId the dictionary id the frame was compressed with, 0 for none (unsigned 32 bit)
 * @param windowSize bytes of history the decoder must keep while streaming
 */
record ZstdFrameHeader(long contentSize, long dictionaryId, long windowSize) {
  static final long UNKNOWN = -1;
  static final int MAGIC = 0xFD2FB528;
  private static final int SKIPPABLE_MAGIC_MASK = 0xFFFFFFF0;
  private static final int SKIPPABLE_MAGIC = 0x184D2A50;
  private static final int[] DICT_ID_BYTES = {0, 1, 2, 4};
  private static final int[] CONTENT_SIZE_BYTES = {0, 2, 4, 8};

  /** Reads the header at the start of {@code in}'s remaining bytes (position unchanged). */
  static ZstdFrameHeader read(ByteBuffer in) throws ProtocolException {
    int p = in.position();
    int end = in.limit();
    if (end - p < 5) {
      throw new ProtocolException("not a zstd frame: " + (end - p) + " bytes is shorter than a"
          + " frame header");
    }
    int magic = Integer.reverseBytes(in.getInt(p));
    if (magic != MAGIC) {
      throw new ProtocolException((magic & SKIPPABLE_MAGIC_MASK) == SKIPPABLE_MAGIC
          ? "zstd skippable frames are not accepted"
          : String.format("not a zstd frame: magic number 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    int descriptor = in.get(p + 4) & 0xFF;
    int contentSizeFlag = descriptor >>> 6;
    boolean singleSegment = (descriptor & 0x20) != 0;
    if ((descriptor & 0x08) != 0) {
      throw new ProtocolException("corrupt zstd frame header: reserved bit set");
    }
    int dictIdBytes = DICT_ID_BYTES[descriptor & 0x03];
    int contentSizeBytes = contentSizeFlag == 0 && singleSegment
        ? 1 : CONTENT_SIZE_BYTES[contentSizeFlag];
    int headerSize = 5 + (singleSegment ? 0 : 1) + dictIdBytes + contentSizeBytes;
    if (end - p < headerSize) {
      throw new ProtocolException("truncated zstd frame: " + (end - p) + " bytes, its header"
          + " alone needs " + headerSize);
    }
    int q = p + 5;
    long window = 0;
    if (!singleSegment) {
      int wd = in.get(q++) & 0xFF;
      long base = 1L << (10 + (wd >>> 3));
      window = base + (base >>> 3) * (wd & 0x07);
    }
    long dictId = littleEndian(in, q, dictIdBytes);
    q += dictIdBytes;
    long contentSize = UNKNOWN;
    if (contentSizeBytes > 0) {
      contentSize = littleEndian(in, q, contentSizeBytes);
      if (contentSizeBytes == 2) {
        contentSize += 256;
      } else if (contentSize < 0) {
        contentSize = Long.MAX_VALUE; // an 8-byte size above 2^63: "more than any limit" is enough
      }
    }
    return new ZstdFrameHeader(contentSize, dictId, singleSegment ? contentSize : window);
  }

  private static long littleEndian(ByteBuffer in, int at, int bytes) {
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = (v << 8) | (in.get(at + i) & 0xFF);
    }
    return v;
  }

  boolean contentSizeKnown() {
    return contentSize != UNKNOWN;
  }
}
