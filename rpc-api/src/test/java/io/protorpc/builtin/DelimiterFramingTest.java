package io.protorpc.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DelimiterFramingTest extends AbstractFramingTest {

  @Override
  Framing framing() {
    return new DelimiterFraming();
  }

  @Test
  void hasTheNameDelimiter() {
    assertEquals("delimiter", framing().name());
  }

  @Test
  void encodesKnownVectors() {
    assertArrayEquals(hex("01 00"), encode(framing(), new byte[0]));
    assertArrayEquals(hex("01 01 00"), encode(framing(), hex("00")));
    assertArrayEquals(hex("01 01 01 00"), encode(framing(), hex("00 00")));
    assertArrayEquals(hex("03 11 22 02 33 00"), encode(framing(), hex("11 22 00 33")));
    assertArrayEquals(hex("05 11 22 33 44 00"), encode(framing(), hex("11 22 33 44")));
    assertArrayEquals(hex("02 11 01 01 01 00"), encode(framing(), hex("11 00 00 00")));
    // A full block at the very end gets no empty block after it.
    assertArrayEquals(join(hex("FF"), range(1, 254), hex("00")), encode(framing(), range(1, 254)));
    assertArrayEquals(join(hex("FF"), range(1, 254), hex("02 FF 00")),
        encode(framing(), range(1, 255)));
    assertArrayEquals(join(hex("01 FF"), range(1, 254), hex("00")),
        encode(framing(), range(0, 254)));
    assertArrayEquals(join(hex("FF"), range(1, 254), hex("01 01 00")),
        encode(framing(), join(range(1, 254), hex("00"))));
  }

  @Test
  void encodingSpansPartBoundaries() {
    assertArrayEquals(hex("03 11 22 02 33 00"),
        encode(framing(), hex("11"), hex("22 00"), hex("33")));
    assertArrayEquals(encode(framing(), range(1, 255)),
        encode(framing(), range(1, 100), range(101, 254), range(255, 255)));
  }

  @Test
  void encodedFrameHasNoZeroButItsTerminatorAndBoundedOverhead() {
    for (int n : BOUNDARY_SIZES) {
      for (byte[] payload : shapes(n)) {
        byte[] wire = encode(framing(), payload);
        assertEquals(0, wire[wire.length - 1], "terminator");
        for (int i = 0; i < wire.length - 1; i++) {
          assertFalse(wire[i] == 0, "0x00 inside the frame at " + i + " of " + wire.length);
        }
        assertTrue(wire.length <= n + n / 254 + 2, n + " bytes encoded to " + wire.length);
      }
      // Without zeros the cost is exactly one code byte per started 254-byte block plus the
      // terminator: about 0.4%.
      int blocks = Math.max(1, (n + 253) / 254);
      assertEquals(n + blocks + 1, encode(framing(), filled(n, 0x5A)).length, "size " + n);
    }
  }

  @Test
  void decodesAFullLastBlockWithOrWithoutATrailingEmptyBlock() throws ProtocolException {
    // Some COBS encoders always close with an empty block after a full one; both forms are valid.
    byte[] withEmptyBlock = join(hex("FF"), range(1, 254), hex("01 00"));
    byte[] without = join(hex("FF"), range(1, 254), hex("00"));
    assertFrames(List.of(range(1, 254), range(1, 254)),
        decode(framing().newDecoder(254), withEmptyBlock, without));
  }

  @Test
  void refusesABlockThatEndsEarly() {
    // The code byte 05 announces four data bytes, but the frame ends after one.
    ProtocolException e = assertThrowsExactly(ProtocolException.class,
        () -> decode(framing().newDecoder(100), hex("05 11 00")));
    assertTrue(e.getMessage().contains("3 more data bytes expected"), e.getMessage());

    assertThrowsExactly(ProtocolException.class,
        () -> decode(framing().newDecoder(100), hex("05 11"), hex("22 00")));
    // A full block cut short.
    assertThrowsExactly(ProtocolException.class,
        () -> decode(framing().newDecoder(1000), join(hex("FF"), range(1, 100), hex("00"))));
  }

  @Test
  void refusesALoneTerminator() throws ProtocolException {
    ProtocolException e = assertThrowsExactly(ProtocolException.class,
        () -> decode(framing().newDecoder(100), hex("00")));
    assertTrue(e.getMessage().contains("empty encoded frame"), e.getMessage());

    // The same after a valid frame: that one is delivered, then the stray terminator is refused.
    FrameDecoder decoder = framing().newDecoder(100);
    List<ByteBuffer> frames = new ArrayList<>();
    assertThrowsExactly(ProtocolException.class,
        () -> decoder.decode(ByteBuffer.wrap(hex("02 07 00 00")), frames::add));
    assertEquals(1, frames.size());
    assertArrayEquals(hex("07"), bytes(frames.get(0)));
  }

  @Test
  void decoderIsUnusableAfterInvalidStuffing() {
    FrameDecoder decoder = framing().newDecoder(100);
    assertThrows(ProtocolException.class, () -> decode(decoder, hex("03 11 00")));
    List<ByteBuffer> frames = new ArrayList<>();
    assertThrows(ProtocolException.class,
        () -> decoder.decode(ByteBuffer.wrap(hex("01 00")), frames::add));
    assertEquals(List.of(), frames);
  }

  @Test
  void refusesAnEndlessFrameSoonAfterTheLimit() throws ProtocolException {
    int max = 1024 * 1024;
    long streamSize = 10L * 1024 * 1024;
    byte[] chunk = new byte[64 * 1024];
    new Random(11).nextBytes(chunk);
    for (int i = 0; i < chunk.length; i++) {
      if (chunk[i] == 0) {
        chunk[i] = 1;
      }
    }
    // Random non-zero bytes, all code bytes (each adds a zero), and full blocks only.
    for (byte[] pattern : List.of(chunk, filled(chunk.length, 0x01), filled(chunk.length, 0xFF))) {
      FrameDecoder decoder = framing().newDecoder(max);
      long fed = 0;
      LimitExceededException refused = null;
      while (fed < streamSize && refused == null) {
        try {
          decoder.decode(ByteBuffer.wrap(pattern), f -> fail("no frame expected"));
        } catch (LimitExceededException e) {
          refused = e;
        }
        fed += pattern.length;
      }
      assertTrue(refused != null, "10 MB without a terminator was not refused");
      assertTrue(refused.getMessage().contains(String.valueOf(max)), refused.getMessage());
      // Each encoded byte decodes to at most one byte, and at least 254 in 255 do: the decoder
      // stopped within the chunk that took the content past the limit, so it never held more.
      assertTrue(fed <= max + max / 254 + 1 + pattern.length, "refused only after " + fed);
    }
  }

  @Test
  void emptyFramesBetweenOthersAreKept() throws ProtocolException {
    assertFrames(List.of(new byte[0], hex("00"), new byte[0], new byte[0]),
        decode(framing().newDecoder(1), hex("01 00 01 01 00 01 00 01 00")));
  }

  @Test
  void aCodeByteOrAnOwedZeroIsAPartialFrame() throws ProtocolException {
    FrameDecoder decoder = framing().newDecoder(10);
    assertFrames(List.of(), decode(decoder, hex("01")));
    assertTrue(decoder.hasPartialFrame(), "code byte of the empty frame");
    assertFrames(List.of(new byte[0]), decode(decoder, hex("00")));
    assertFalse(decoder.hasPartialFrame());

    assertFrames(List.of(), decode(decoder, hex("02 41")));
    assertTrue(decoder.hasPartialFrame(), "a finished short block, zero owed");
    assertFrames(List.of(), decode(decoder, hex("01")));
    assertTrue(decoder.hasPartialFrame(), "an empty block after it");
    assertFrames(List.of(hex("41 00")), decode(decoder, hex("00")));
    assertFalse(decoder.hasPartialFrame());
  }

  /** Plain one-byte-at-a-time COBS, the definition the fast encoder must match byte for byte. */
  private static byte[] referenceEncode(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (byte b : content) {
      if (block.size() == 254) {
        out.write(0xFF);
        out.writeBytes(block.toByteArray());
        block.reset();
      }
      if (b == 0) {
        out.write(block.size() + 1);
        out.writeBytes(block.toByteArray());
        block.reset();
      } else {
        block.write(b);
      }
    }
    out.write(block.size() + 1);
    out.writeBytes(block.toByteArray());
    out.write(0);
    return out.toByteArray();
  }

  /** Zeros at every offset against every 8-byte alignment, from each kind of buffer. */
  @Test
  void matchesPlainCobsForZerosAtEveryPositionInEveryKindOfBuffer() throws ProtocolException {
    Random random = new Random(7);
    for (int size : new int[] {1, 7, 8, 9, 17, 40, 253, 254, 255, 600}) {
      for (int zeroAt = 0; zeroAt < Math.min(size, 40); zeroAt++) {
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++) {
          content[i] = (byte) (1 + random.nextInt(255)); // 0x01..0xFF: no accidental zero
        }
        content[zeroAt] = 0;
        content[size - 1 - zeroAt % size] = 0;
        byte[] expected = referenceEncode(content);
        for (ByteBuffer input : buffersHolding(content)) {
          int position = input.position();
          assertArrayEquals(expected, concat(framing().encode(input)),
              "size " + size + ", zero at " + zeroAt + ", " + input);
          assertEquals(position, input.position(), "encode moved the position");
        }
        for (ByteBuffer wire : buffersHolding(expected)) {
          List<byte[]> frames = new ArrayList<>();
          framing().newDecoder(size).decode(wire, f -> frames.add(bytes(f)));
          assertFrames(List.of(content), frames);
        }
      }
    }
  }

  @Test
  void refusesAZeroInsideABlockAtEveryAlignment() {
    for (int zeroAt = 0; zeroAt < 20; zeroAt++) {
      byte[] wire = filled(1 + 30, 0x5A); // one block announcing 30 data bytes (code 0x1F)
      wire[0] = 0x1F;
      wire[1 + zeroAt] = 0;
      for (ByteBuffer input : buffersHolding(wire)) {
        ProtocolException e = assertThrowsExactly(ProtocolException.class,
            () -> framing().newDecoder(100).decode(input, f -> fail("no frame expected")));
        assertTrue(e.getMessage().contains((30 - zeroAt) + " more data bytes expected"),
            e.getMessage());
      }
    }
  }

  /** {@code content} in a heap and a direct buffer, each big- and little-endian, at offset 3. */
  private static List<ByteBuffer> buffersHolding(byte[] content) {
    List<ByteBuffer> out = new ArrayList<>();
    for (boolean direct : new boolean[] {false, true}) {
      for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(content.length + 5)
            : ByteBuffer.allocate(content.length + 5);
        b.position(3);
        b.put(content).flip().position(3);
        out.add(b.order(order));
      }
    }
    return out;
  }
}
