package io.protorpc.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LengthFramingTest extends AbstractFramingTest {

  @Override
  Framing framing() {
    return new LengthFraming();
  }

  @Test
  void hasTheNameLength() {
    assertEquals("length", framing().name());
  }

  @Test
  void encodeWritesABigEndianPrefixAndSharesTheParts() {
    byte[] first = {9, 1, 2};
    byte[] second = new byte[300];
    ByteBuffer[] out = framing().encode(ByteBuffer.wrap(first, 1, 2), ByteBuffer.wrap(second));

    assertEquals(3, out.length);
    assertArrayEquals(hex("00 00 01 2E"), bytes(out[0]));
    assertArrayEquals(hex("01 02"), bytes(out[1]));
    // No copy: a later change to a part shows in what encode returned.
    first[2] = 7;
    second[299] = 5;
    assertArrayEquals(hex("01 07"), bytes(out[1]));
    assertEquals(5, bytes(out[2])[299]);
  }

  @Test
  void decodesZeroLengthFrames() throws ProtocolException {
    assertFrames(List.of(new byte[0], hex("41"), new byte[0]),
        decode(framing().newDecoder(0 + 1), hex("00 00 00 00  00 00 00 01 41  00 00 00 00")));
  }

  @Test
  void refusesAHugeDeclaredLengthFromThePrefixAlone() {
    int max = 4 * 1024 * 1024;
    for (String prefix : List.of("7F FF FF FF", "FF FF FF FF", "00 40 00 01")) {
      FrameDecoder decoder = framing().newDecoder(max);
      List<ByteBuffer> frames = new ArrayList<>();
      // Only the four prefix bytes are fed. Allocating 2 GiB or more for the claimed content
      // would end in OutOfMemoryError under the tests' 1 GiB heap, not in this exception.
      LimitExceededException e = assertThrows(LimitExceededException.class,
          () -> decoder.decode(ByteBuffer.wrap(hex(prefix)), frames::add));
      assertTrue(e.getMessage().contains(String.valueOf(max)), e.getMessage());
      long claimed = Integer.toUnsignedLong(ByteBuffer.wrap(hex(prefix)).getInt());
      assertTrue(e.getMessage().contains(String.valueOf(claimed)), e.getMessage());
      assertEquals(List.of(), frames);
    }
  }

  @Test
  void offersTheFrameBufferAsAReadTargetOnlyInsideALargeEnoughFrame() throws ProtocolException {
    FrameDecoder decoder = framing().newDecoder(1 << 20);
    assertNull(decoder.readTarget(1), "no frame begun");
    List<byte[]> frames = new ArrayList<>();
    byte[] payload = filled(200_000, 0x42);
    byte[] wire = encode(framing(), payload);
    decoder.decode(ByteBuffer.wrap(wire, 0, 2), f -> frames.add(bytes(f)));
    assertNull(decoder.readTarget(1), "inside the length prefix");
    decoder.decode(ByteBuffer.wrap(wire, 2, 100_000), f -> frames.add(bytes(f)));
    int due = wire.length - 100_002;
    assertNull(decoder.readTarget(due + 1), "less than minBytes of the frame still to come");

    ByteBuffer target = decoder.readTarget(due);
    assertNotNull(target);
    // the buffer has jumped to the declared length, so the target is exactly what is due
    assertEquals(due, target.remaining());
    assertThrows(IllegalStateException.class, () -> decoder.readInto(target.remaining() + 1,
        f -> fail("no frame expected")));
    int n = target.remaining();
    target.put(wire, 100_002, n);
    decoder.readInto(n, f -> frames.add(bytes(f)));
    assertFrames(List.of(payload), frames);
    assertNull(decoder.readTarget(1), "between frames");
  }

  @Test
  void aReadTargetGrowsTheBufferNoFasterThanBytesArrive() throws ProtocolException {
    FrameDecoder decoder = framing().newDecoder(Integer.MAX_VALUE);
    decoder.decode(ByteBuffer.wrap(hex("7F FF FF FF")), f -> fail("no frame expected"));
    long arrived = 0;
    for (int i = 0; i < 40; i++) {
      ByteBuffer target = decoder.readTarget(1);
      // the buffer is at most four times what arrived (or the first 64 KiB)
      assertTrue(target.capacity() <= Math.max(64 * 1024, 4 * arrived),
          target.capacity() + " bytes buffered for " + arrived + " arrived");
      int n = Math.min(target.remaining(), 50_000);
      target.position(target.position() + n);
      decoder.readInto(n, f -> fail("no frame expected"));
      arrived += n;
    }
  }
}
