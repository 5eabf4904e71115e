package io.protorpc.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Framing} must do, run against each built-in framing by a subclass, plus the
 * helpers those subclasses share.
 */
abstract class AbstractFramingTest {
  static final int[] BOUNDARY_SIZES = {0, 1, 2, 253, 254, 255, 256, 507, 508, 509, 64 * 1024};

  /** The framing under test; a new instance each call is fine. */
  abstract Framing framing();

  // ---- helpers -------------------------------------------------------------------------------

  /** The bytes {@code framing} writes for one frame made of {@code parts}. */
  static byte[] encode(Framing framing, byte[]... parts) {
    ByteBuffer[] in = new ByteBuffer[parts.length];
    for (int i = 0; i < parts.length; i++) {
      in[i] = ByteBuffer.wrap(parts[i]);
    }
    return concat(framing.encode(in));
  }

  /** The bytes for several frames, one after another on the wire. */
  static byte[] encodeAll(Framing framing, List<byte[]> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] f : frames) {
      out.writeBytes(encode(framing, f));
    }
    return out.toByteArray();
  }

  static byte[] concat(ByteBuffer... buffers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuffer b : buffers) {
      out.writeBytes(bytes(b));
    }
    return out.toByteArray();
  }

  /** The remaining bytes of {@code b}, leaving its position alone. */
  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** Feeds {@code pieces} to {@code decoder} one call each and returns the frames it emitted. */
  static List<byte[]> decode(FrameDecoder decoder, byte[]... pieces) throws ProtocolException {
    List<byte[]> frames = new ArrayList<>();
    for (byte[] piece : pieces) {
      ByteBuffer in = ByteBuffer.wrap(piece);
      decoder.decode(in, f -> frames.add(bytes(f)));
      assertFalse(in.hasRemaining(), "decode must consume all its input");
    }
    return frames;
  }

  /** Feeds {@code stream} one byte per call. */
  static List<byte[]> decodeByteByByte(FrameDecoder decoder, byte[] stream)
      throws ProtocolException {
    byte[][] pieces = new byte[stream.length][];
    for (int i = 0; i < stream.length; i++) {
      pieces[i] = new byte[] {stream[i]};
    }
    return decode(decoder, pieces);
  }

  static void assertFrames(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size(), "number of frames");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
    }
  }

  /** Bytes written as hex pairs separated by spaces, e.g. {@code "01 FF 00"}. */
  static byte[] hex(String s) {
    String[] parts = s.trim().split("\\s+");
    byte[] out = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return out;
  }

  /** {@code from, from + 1, ..., to}, as bytes. */
  static byte[] range(int from, int to) {
    byte[] out = new byte[to - from + 1];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) (from + i);
    }
    return out;
  }

  static byte[] join(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Random bytes with about one zero in eight, so stuffing has something to do. */
  static byte[] randomPayload(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    for (int i = 0; i < size; i++) {
      if (random.nextInt(8) == 0) {
        b[i] = 0;
      }
    }
    return b;
  }

  static byte[] filled(int size, int value) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) value);
    return b;
  }

  /** Payloads of one size with different shapes: random with zeros, all zero, no zero. */
  static List<byte[]> shapes(int size) {
    return List.of(randomPayload(new Random(size), size), filled(size, 0),
        filled(size, 0x5A));
  }

  void assertRoundTrips(byte[] payload) throws ProtocolException {
    byte[] wire = encode(framing(), payload);
    assertFrames(List.of(payload), decode(framing().newDecoder(payload.length), wire));
  }

  // ---- the contract --------------------------------------------------------------------------

  @Test
  void roundTripsPayloadsOfBoundarySizes() throws ProtocolException {
    for (int size : BOUNDARY_SIZES) {
      for (byte[] payload : shapes(size)) {
        assertRoundTrips(payload);
      }
    }
  }

  @Test
  void roundTripsRandomPayloads() throws ProtocolException {
    Random random = new Random(20240607L);
    for (int i = 0; i < 300; i++) {
      assertRoundTrips(randomPayload(random, random.nextInt(3000)));
    }
  }

  @Test
  void roundTripsEveryByteValue() throws ProtocolException {
    byte[] all = new byte[256];
    for (int v = 0; v < 256; v++) {
      all[v] = (byte) v;
      assertRoundTrips(new byte[] {(byte) v});
      assertRoundTrips(filled(600, v));
    }
    assertRoundTrips(all);
  }

  @Test
  void encodeConcatenatesPartsAndLeavesTheirPositionsUnchanged() throws ProtocolException {
    ByteBuffer heap = ByteBuffer.wrap(new byte[] {9, 9, 1, 0, 2, 9});
    heap.position(2).limit(5); // 1 0 2
    ByteBuffer empty = ByteBuffer.allocate(0);
    ByteBuffer direct = ByteBuffer.allocateDirect(300);
    direct.put(filled(300, 7)).put(0, (byte) 0).flip();
    ByteBuffer readOnly = ByteBuffer.wrap(new byte[] {0, 0, 3}).asReadOnlyBuffer();

    byte[] wire = concat(framing().encode(heap, empty, direct, readOnly));

    assertEquals(2, heap.position());
    assertEquals(5, heap.limit());
    assertEquals(0, direct.position());
    assertEquals(300, direct.limit());
    assertEquals(0, readOnly.position());
    byte[] expected = concat(ByteBuffer.wrap(new byte[] {1, 0, 2}), direct, readOnly);
    assertFrames(List.of(expected), decode(framing().newDecoder(1000), wire));
  }

  @Test
  void encodeWithNoPartsIsTheEmptyFrame() throws ProtocolException {
    byte[] wire = concat(framing().encode());
    assertFrames(List.of(new byte[0]), decode(framing().newDecoder(0), wire));
  }

  @Test
  void decodesIdenticallyWhenSplitAtEveryByteBoundary() throws ProtocolException {
    List<byte[]> frames = List.of(new byte[0], new byte[] {0}, filled(254, 1), new byte[0],
        randomPayload(new Random(7), 255), filled(3, 0), filled(300, 0xFF));
    byte[] wire = encodeAll(framing(), frames);

    for (int split = 0; split <= wire.length; split++) {
      byte[] head = Arrays.copyOfRange(wire, 0, split);
      byte[] tail = Arrays.copyOfRange(wire, split, wire.length);
      assertFrames(frames, decode(framing().newDecoder(1000), head, tail));
    }
    assertFrames(frames, decodeByteByByte(framing().newDecoder(1000), wire));
  }

  @Test
  void decodesManyFramesFromOneBuffer() throws ProtocolException {
    Random random = new Random(99);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      frames.add(randomPayload(random, random.nextInt(600)));
    }
    FrameDecoder decoder = framing().newDecoder(1000);
    assertFrames(frames, decode(decoder, encodeAll(framing(), frames)));
    assertFalse(decoder.hasPartialFrame());
  }

  @Test
  void decodesFromDirectBufferWithAnOffset() throws ProtocolException {
    byte[] payload = randomPayload(new Random(3), 700);
    byte[] wire = encode(framing(), payload);
    ByteBuffer in = ByteBuffer.allocateDirect(wire.length + 10);
    in.position(5);
    in.put(wire).flip().position(5);

    List<byte[]> frames = new ArrayList<>();
    framing().newDecoder(1000).decode(in, f -> frames.add(bytes(f)));

    assertFrames(List.of(payload), frames);
    assertEquals(wire.length + 5, in.position());
  }

  @Test
  void acceptsAFrameOfExactlyTheMaximumSize() throws ProtocolException {
    for (int max : new int[] {0, 1, 254, 255, 1000}) {
      for (byte[] payload : shapes(max)) {
        FrameDecoder decoder = framing().newDecoder(max);
        assertFrames(List.of(payload), decode(decoder, encode(framing(), payload)));
      }
    }
  }

  @Test
  void refusesAFrameOneByteOverTheMaximum() {
    for (int max : new int[] {0, 1, 254, 255, 1000}) {
      for (byte[] payload : shapes(max + 1)) {
        FrameDecoder decoder = framing().newDecoder(max);
        byte[] wire = encode(framing(), payload);
        LimitExceededException e =
            assertThrows(LimitExceededException.class, () -> decode(decoder, wire));
        assertTrue(e.getMessage().contains(String.valueOf(max)), e.getMessage());
      }
    }
  }

  @Test
  void refusesAnOversizeFrameBeforeItsEndArrives() throws ProtocolException {
    int max = 1000;
    byte[] wire = encode(framing(), randomPayload(new Random(5), 10 * max));
    FrameDecoder decoder = framing().newDecoder(max);
    for (int i = 0; i < wire.length; i++) {
      try {
        decoder.decode(ByteBuffer.wrap(wire, i, 1), f -> fail("no frame expected"));
      } catch (LimitExceededException e) {
        // The whole frame is ~10x the limit; refusing it must not wait for much past the limit.
        assertTrue(i < 2 * max, "refused only after " + i + " bytes");
        return;
      }
    }
    fail("an oversize frame was not refused");
  }

  @Test
  void decoderIsUnusableAfterAnError() {
    FrameDecoder decoder = framing().newDecoder(10);
    byte[] oversize = encode(framing(), filled(11, 1));
    assertThrows(LimitExceededException.class, () -> decode(decoder, oversize));

    byte[] valid = encode(framing(), filled(3, 1));
    ProtocolException again = assertThrowsExactly(ProtocolException.class,
        () -> decode(decoder, valid));
    assertTrue(again.getMessage().contains("failed"), again.getMessage());
  }

  @Test
  void hasPartialFrameIsTrueOnlyWhileAFrameIsUnfinished() throws ProtocolException {
    for (byte[] payload : List.of(new byte[0], new byte[] {0}, filled(300, 2))) {
      byte[] wire = encode(framing(), payload);
      for (int cut = 1; cut < wire.length; cut++) {
        FrameDecoder decoder = framing().newDecoder(1000);
        assertFalse(decoder.hasPartialFrame(), "fresh decoder");
        assertFrames(List.of(), decode(decoder, Arrays.copyOf(wire, cut)));
        assertTrue(decoder.hasPartialFrame(), "after " + cut + " of " + wire.length + " bytes");
        assertFrames(List.of(payload),
            decode(decoder, Arrays.copyOfRange(wire, cut, wire.length)));
        assertFalse(decoder.hasPartialFrame(), "after the whole frame");
      }
    }
  }

  @Test
  void emittedFramesBelongToTheConsumer() throws ProtocolException {
    FrameDecoder decoder = framing().newDecoder(1000);
    List<ByteBuffer> frames = new ArrayList<>();
    for (byte[] payload : List.of(new byte[] {1, 2, 3}, new byte[] {4, 5}, filled(700, 6),
        filled(600, 7))) {
      decoder.decode(ByteBuffer.wrap(encode(framing(), payload)), frames::add);
    }
    assertEquals(4, frames.size());
    // Later frames must not have been written into buffers handed out earlier.
    assertArrayEquals(new byte[] {1, 2, 3}, bytes(frames.get(0)));
    assertArrayEquals(new byte[] {4, 5}, bytes(frames.get(1)));
    assertArrayEquals(filled(700, 6), bytes(frames.get(2)));
    assertArrayEquals(filled(600, 7), bytes(frames.get(3)));
    assertNotSame(frames.get(0), frames.get(1));
  }

  @Test
  void rejectsANegativeMaximum() {
    assertThrows(IllegalArgumentException.class, () -> framing().newDecoder(-1));
  }

  @Test
  void isFoundByServiceLoaderAndRegistryUnderItsName() {
    String name = framing().name();
    Class<?> type = framing().getClass();
    assertTrue(ServiceLoader.load(Framing.class).stream().anyMatch(p -> p.type() == type),
        "ServiceLoader does not list " + type.getName());
    assertInstanceOf(type, PluginRegistry.find(Framing.class, name));
  }
}
