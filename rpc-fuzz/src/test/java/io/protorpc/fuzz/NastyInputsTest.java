package io.protorpc.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The inputs that would hurt most if a decoder trusted them: lengths a peer claims but never
 * sends, a frame that never ends, a compression bomb. Each must be refused (or, where the claim is
 * within the limit, buffered only as far as bytes really arrive) while memory stays small: the
 * thread's allocations are measured, and the run's small heap ({@code -Xmx128m}) turns an attempt
 * to allocate a claimed gigabyte into a failure even without that counter. The preface's case (a
 * body length of 65535) is in {@code io.protorpc.PrefaceFuzzTest}, beside its package-private
 * decoder. Each of these inputs is also a seed of the matching fuzz target.
 */
class NastyInputsTest {
  private static final int MAX_FRAME = 64 * 1024;
  private static final Framing LENGTH = PluginRegistry.find(Framing.class, "length");
  private static final Framing DELIMITER = PluginRegistry.find(Framing.class, "delimiter");
  private static final Codec CODEC = PluginRegistry.find(Codec.class, "protobuf");

  private static void noFrame(ByteBuffer frame) {
    throw new AssertionError("no frame expected, got " + frame.remaining() + " bytes");
  }

  @Test
  void lengthPrefix7fffffffIsRefused() throws Exception {
    assertRefused(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, MAX_FRAME);
  }

  @Test
  void lengthPrefixFfffffffIsRefusedEvenWithTheLargestLimit() throws Exception {
    byte[] prefix = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    assertRefused(prefix, MAX_FRAME);
    assertRefused(prefix, Integer.MAX_VALUE); // 4 GiB - 1 is more than any int limit
  }

  private static void assertRefused(byte[] prefix, int maxFrameSize) throws Exception {
    for (int split = 0; split <= prefix.length; split++) {
      int at = split;
      Allocations.assertEachRunAtMost(Allocations.SLACK, () -> "refusing a length prefix", () -> {
        FrameDecoder decoder = LENGTH.newDecoder(maxFrameSize);
        ByteBuffer first = ByteBuffer.wrap(prefix, 0, at);
        ByteBuffer second = ByteBuffer.wrap(prefix, at, prefix.length - at);
        assertThrows(LimitExceededException.class, () -> {
          decoder.decode(first, NastyInputsTest::noFrame);
          decoder.decode(second, NastyInputsTest::noFrame);
        });
      });
    }
  }

  /** Within a 2 GiB limit, a 2 GiB claim costs only what really arrives, not 2 GiB up front. */
  @Test
  void lengthPrefix7fffffffWithinTheLimitBuffersOnlyWhatArrives() throws Exception {
    byte[] chunk = new byte[64 * 1024];
    // Growth by four: buffers of 64 KiB, 256 KiB, then 1 MiB, about 1.3 MiB allocated in all.
    Allocations.assertEachRunAtMost(4L << 20, () -> "buffering 1 MiB of a claimed 2 GiB frame",
        () -> {
          FrameDecoder decoder = LENGTH.newDecoder(Integer.MAX_VALUE);
          decoder.decode(ByteBuffer.wrap(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}),
              NastyInputsTest::noFrame);
          for (int i = 0; i < 16; i++) { // 1 MiB of the 2 GiB
            decoder.decode(ByteBuffer.wrap(chunk), NastyInputsTest::noFrame);
          }
          assertTrue(decoder.hasPartialFrame());
        });
  }

  /**
   * The other side of growing by four: an honest frame just over a power of four (a 64 KiB or
   * 1 MiB message plus a small header) goes into a buffer of its declared length at its first or
   * its last growth, instead of being copied whole once more for its last 40 bytes.
   */
  @Test
  void aFrameJustOverAPowerOfFourIsCopiedIntoItsFinalBufferOnce() throws Exception {
    // the frame, plus the smaller buffers it outgrew (none at 64 KiB; 64 + 256 KiB at 1 MiB)
    assertOneFrameAllocatesAtMost((64 << 10) + 40, 0);
    assertOneFrameAllocatesAtMost((1 << 20) + 40, 320L << 10);
  }

  private static void assertOneFrameAllocatesAtMost(int length, long outgrown) throws Exception {
    byte[] wire = new byte[4 + length];
    ByteBuffer.wrap(wire).putInt(length);
    int[] frames = new int[1];
    // 16 KiB for the decoder and the wrappers around each read: far less than a wasted copy
    Allocations.assertEachRunAtMost(length + outgrown + (16 << 10),
        () -> "decoding one frame of " + length + " bytes", () -> {
          FrameDecoder decoder = LENGTH.newDecoder(2 << 20);
          for (int at = 0; at < wire.length; at += 64 * 1024) {
            decoder.decode(ByteBuffer.wrap(wire, at, Math.min(64 * 1024, wire.length - at)),
                frame -> frames[0] = frame.remaining());
          }
        });
    assertTrue(frames[0] == length, "decoded " + frames[0] + " bytes");
  }

  /** Full COBS blocks (code 0xFF) with no terminator, ever: refused once past the limit. */
  @Test
  void endlessDelimiterFrameOfFullBlocksIsRefused() throws Exception {
    byte[] block = new byte[255];
    Arrays.fill(block, (byte) 0x42);
    block[0] = (byte) 0xFF;
    assertEndlessFrameRefused(block);
  }

  /** Short blocks, each standing for one byte and a zero: the same, through the other path. */
  @Test
  void endlessDelimiterFrameOfShortBlocksIsRefused() throws Exception {
    assertEndlessFrameRefused(new byte[] {0x02, 0x42});
  }

  private static void assertEndlessFrameRefused(byte[] block) throws Exception {
    byte[] chunk = new byte[block.length * (4096 / block.length)];
    for (int i = 0; i < chunk.length; i += block.length) {
      System.arraycopy(block, 0, chunk, i, block.length);
    }
    Allocations.assertEachRunAtMost(4L * MAX_FRAME, () -> "refusing an endless frame", () -> {
      FrameDecoder decoder = DELIMITER.newDecoder(MAX_FRAME);
      long sent = 0;
      try {
        while (sent < 64L * 1024 * 1024) { // far beyond the limit; must stop long before
          decoder.decode(ByteBuffer.wrap(chunk), NastyInputsTest::noFrame);
          sent += chunk.length;
        }
        throw new AssertionError("64 MiB of one frame were accepted with a 64 KiB limit");
      } catch (LimitExceededException expected) {
        // The content passed 64 KiB, so about that much was sent, plus at most one read.
        assertTrue(sent <= 2L * MAX_FRAME + chunk.length, "refused only after " + sent + " bytes");
      }
    });
  }

  /** A varint header length of 2^31 (and 2^32 - 1): refused, not allocated, whatever the limit. */
  @Test
  void headerLengthOf2pow31IsRefused() throws Exception {
    byte[] twoPow31 = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 1, 2, 3};
    byte[] max32 = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 1, 2, 3};
    for (byte[] frame : new byte[][] {twoPow31, max32}) {
      for (int maxHeaderSize : new int[] {64 * 1024, Integer.MAX_VALUE}) {
        Allocations.assertEachRunAtMost(Allocations.SLACK, () -> "refusing a 2 GiB header",
            () -> assertThrows(LimitExceededException.class,
                () -> CODEC.decode(ByteBuffer.wrap(frame), maxHeaderSize)));
      }
    }
  }

  /** 2^31 - 1 is within the largest limit, but the 8-byte frame cannot hold it: truncated. */
  @Test
  void headerLengthBeyondTheFrameIsTruncatedNotAllocated() throws Exception {
    byte[] frame = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3};
    Allocations.assertEachRunAtMost(Allocations.SLACK, () -> "refusing a truncated header", () -> {
      ProtocolException e = assertThrows(ProtocolException.class,
          () -> CODEC.decode(ByteBuffer.wrap(frame), Integer.MAX_VALUE));
      assertFalse(e instanceof LimitExceededException, e.toString());
    });
  }

  /** Varints past 32 bits or 5 bytes are malformed, whatever the limit. */
  @Test
  void overlongHeaderLengthIsMalformed() {
    byte[] twoPow32 = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10};
    byte[] sixBytes = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
    for (byte[] frame : new byte[][] {twoPow32, sixBytes}) {
      ProtocolException e = assertThrows(ProtocolException.class,
          () -> CODEC.decode(ByteBuffer.wrap(frame), Integer.MAX_VALUE));
      assertFalse(e instanceof LimitExceededException, e.toString());
    }
  }

  /** 8 MiB of zeros, compressed, against a 1 MiB limit: refused, with memory near the limit. */
  @Test
  void decompressionBombIsRefusedByEveryCompressor() throws Exception {
    ByteBuffer zeros = ByteBuffer.allocate(8 << 20);
    int limit = 1 << 20;
    assertFalse(DecompressionFuzzTest.COMPRESSORS.isEmpty());
    for (Compressor compressor : DecompressionFuzzTest.COMPRESSORS) {
      ByteBuffer bomb = compressor.compress(zeros);
      Allocations.assertEachRunAtMost(4L * limit, () -> compressor.name() + " refusing a bomb",
          () -> assertThrows(LimitExceededException.class,
              () -> compressor.decompress(bomb, limit), compressor.name()));
    }
  }
}
