package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link Framing} must do: frames round-trip whatever their bytes and however the
 * stream is split, the decoder enforces its maximum frame size before the oversize frame has
 * arrived, and no input, however corrupt, gets anything out of it but frames or a {@link
 * ProtocolException}.
 *
 * <p>Extend it in your framing's tests and implement {@link #framing()}:
 *
 * <pre>{@code
 * public class MyFramingConformanceTest extends FramingConformanceSuite {
 *   @Override protected Framing framing() { return new MyFraming(); }
 * }
 * }</pre>
 *
 * <p>The tests are deterministic (fixed seeds) and bounded in size and time; the whole suite runs
 * in well under a second for the built-in framings.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class FramingConformanceSuite extends RequiresJUnitPlatform {
  /** Sizes around the usual block and prefix boundaries (COBS runs of 254, varint groups of 7 bits). */
  private static final int[] SIZES = {0, 1, 2, 3, 126, 127, 128, 129, 253, 254, 255, 256, 508,
      509, 1000, 16_383, 16_384, 65_536};

  /** Maximum frame sizes the limit tests use, small and large. */
  private static final int[] LIMITS = {0, 1, 127, 128, 254, 255, 1000, 70_000};

  /** The framing under test. A new instance per call is fine; so is a shared one. */
  protected abstract Framing framing();

  // ---------------------------------------------------------------------- round trips

  @Test
  void roundTripsPayloadsOfBoundarySizesAndShapes() throws ProtocolException {
    for (int size : SIZES) {
      for (byte[] payload : shapes(size)) {
        byte[] wire = encode(payload);
        assertFrames(List.of(payload), decodeAll(decoder(size), wire), "size " + size);
      }
    }
  }

  @Test
  void roundTripsRandomPayloadsSplitAtEveryByteBoundary() throws ProtocolException {
    Random random = new Random(0xF4A3_0001L);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      frames.add(randomPayload(random, random.nextInt(300)));
    }
    frames.add(2, new byte[0]);
    byte[] wire = encodeAll(frames);
    for (int split = 0; split <= wire.length; split++) {
      FrameDecoder decoder = decoder(1000);
      assertFrames(frames, decodeAll(decoder, Arrays.copyOfRange(wire, 0, split),
          Arrays.copyOfRange(wire, split, wire.length)), "split at " + split);
      assertFalse(decoder.hasPartialFrame(), "partial frame left after split at " + split);
    }
    assertFrames(frames, decodeAll(decoder(1000), pieces(wire, 1)), "one byte per call");
  }

  @Test
  void roundTripsRandomPayloadsInRandomPieces() throws ProtocolException {
    Random random = new Random(0xF4A3_0002L);
    for (int round = 0; round < 50; round++) {
      List<byte[]> frames = new ArrayList<>();
      int count = 1 + random.nextInt(20);
      for (int i = 0; i < count; i++) {
        frames.add(randomPayload(random, random.nextInt(4000)));
      }
      byte[] wire = encodeAll(frames);
      List<byte[]> split = new ArrayList<>();
      for (int at = 0; at < wire.length; ) {
        int n = Math.min(wire.length - at, random.nextInt(700));
        split.add(Arrays.copyOfRange(wire, at, at + n));
        at += n;
      }
      assertFrames(frames, decodeAll(decoder(4000), split.toArray(new byte[0][])),
          "round " + round);
    }
  }

  /**
   * A reader that takes the decoder's read target whenever one is offered (the socket transport
   * does, for large frames) must get the same frames as one that only calls decode; a target that
   * ran past its frame would mix the next frame's bytes in. Decoders that offer none pass as is.
   */
  @Test
  void readingIntoTheOfferedTargetYieldsTheSameFrames() throws ProtocolException {
    Random random = new Random(0xF4A3_0005L);
    int max = 300_000;
    for (int round = 0; round < 20; round++) {
      List<byte[]> frames = new ArrayList<>();
      for (int i = 0, count = 1 + random.nextInt(6); i < count; i++) {
        int size = random.nextBoolean() ? random.nextInt(4000) : 70_000 + random.nextInt(230_000);
        frames.add(randomPayload(random, size));
      }
      byte[] wire = encodeAll(frames);
      FrameDecoder decoder = decoder(max);
      List<byte[]> got = new ArrayList<>();
      int minBytes = new int[] {1, 1000, 64 * 1024}[random.nextInt(3)];
      for (int at = 0; at < wire.length; ) {
        int n = Math.min(wire.length - at, 1 + random.nextInt(100_000));
        ByteBuffer target = decoder.readTarget(minBytes);
        if (target == null) {
          ByteBuffer in = ByteBuffer.wrap(wire, at, n);
          decoder.decode(in, f -> got.add(bytes(f)));
          assertFalse(in.hasRemaining(), "decode must consume all of its input");
        } else {
          assertTrue(target.hasArray() && target.hasRemaining(), "a read target: " + target);
          n = Math.min(n, target.remaining());
          target.put(wire, at, n);
          decoder.readInto(n, f -> got.add(bytes(f)));
        }
        at += n;
      }
      assertFrames(frames, got, "round " + round + ", minBytes " + minBytes);
      assertFalse(decoder.hasPartialFrame(), "round " + round);
    }
  }

  @Test
  void roundTripsEveryByteValue() throws ProtocolException {
    byte[] all = new byte[256];
    for (int v = 0; v < 256; v++) {
      all[v] = (byte) v;
      assertFrames(List.of(new byte[] {(byte) v}, filled(300, v)),
          decodeAll(decoder(300), encodeAll(List.of(new byte[] {(byte) v}, filled(300, v)))),
          "byte value " + v);
    }
    assertFrames(List.of(all), decodeAll(decoder(256), encode(all)), "all 256 values");
  }

  @Test
  void emptyFramesRoundTripAloneAndBetweenOthers() throws ProtocolException {
    byte[] empty = new byte[0];
    assertFrames(List.of(empty), decodeAll(decoder(0), encode(empty)), "alone, max 0");
    assertFrames(List.of(empty), decodeAll(decoder(0), concat(framing().encode())), "no parts");
    List<byte[]> frames = List.of(empty, empty, new byte[] {0}, empty, filled(3, 0xFF), empty);
    assertFrames(frames, decodeAll(decoder(10), encodeAll(frames)), "between others");
  }

  @Test
  void decodesManyFramesFromOneBuffer() throws ProtocolException {
    Random random = new Random(0xF4A3_0003L);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      frames.add(randomPayload(random, random.nextInt(200)));
    }
    FrameDecoder decoder = decoder(200);
    assertFrames(frames, decodeAll(decoder, encodeAll(frames)), "2000 frames in one buffer");
    assertFalse(decoder.hasPartialFrame());
  }

  @Test
  void encodeJoinsItsPartsAndLeavesThemUnchanged() throws ProtocolException {
    ByteBuffer sliced = ByteBuffer.wrap(new byte[] {9, 9, 1, 0, 2, 9});
    sliced.position(2).limit(5);
    ByteBuffer empty = ByteBuffer.allocate(0);
    ByteBuffer direct = ByteBuffer.allocateDirect(400).put(randomPayload(new Random(1), 400));
    direct.flip();
    ByteBuffer readOnly = ByteBuffer.wrap(new byte[] {0, 0, 3}).asReadOnlyBuffer();

    byte[] wire = concat(framing().encode(sliced, empty, direct, readOnly));

    assertEquals(2, sliced.position(), "position of a part");
    assertEquals(5, sliced.limit(), "limit of a part");
    assertEquals(0, direct.position());
    assertEquals(400, direct.limit());
    assertEquals(0, readOnly.position());
    byte[] expected = concat(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 0, 2}), direct,
        readOnly});
    assertFrames(List.of(expected), decodeAll(decoder(1000), wire), "parts joined");
  }

  @Test
  void decodesFromDirectAndOffsetBuffersAndConsumesAllInput() throws ProtocolException {
    byte[] payload = randomPayload(new Random(2), 700);
    byte[] wire = encode(payload);
    ByteBuffer direct = ByteBuffer.allocateDirect(wire.length + 16);
    direct.position(7);
    direct.put(wire).flip().position(7);
    ByteBuffer offset = ByteBuffer.wrap(concat(new byte[][] {filled(5, 0xEE), wire}), 5,
        wire.length);

    for (ByteBuffer in : List.of(direct, offset)) {
      int end = in.limit();
      List<byte[]> frames = new ArrayList<>();
      decoder(1000).decode(in, f -> frames.add(bytes(f)));
      assertFrames(List.of(payload), frames, in.isDirect() ? "direct input" : "offset input");
      assertEquals(end, in.position(), "decode consumes every remaining byte");
    }
  }

  @Test
  void inputIsNotRetainedAfterDecodeReturns() throws ProtocolException {
    byte[] payload = randomPayload(new Random(3), 900);
    byte[] wire = encode(payload);
    FrameDecoder decoder = decoder(1000);
    List<byte[]> frames = new ArrayList<>();
    for (int at = 0; at < wire.length; at += 100) {
      byte[] piece = Arrays.copyOfRange(wire, at, Math.min(wire.length, at + 100));
      decoder.decode(ByteBuffer.wrap(piece), f -> frames.add(bytes(f)));
      Arrays.fill(piece, (byte) 0x55); // the caller reuses its buffer for the next read
    }
    assertFrames(List.of(payload), frames, "decoded from a reused input buffer");
  }

  @Test
  void emittedFramesAreNotTouchedByLaterDecoding() throws ProtocolException {
    List<byte[]> payloads = mixedPayloads();
    FrameDecoder decoder = decoder(5000);
    List<ByteBuffer> kept = new ArrayList<>();
    for (byte[] payload : payloads) {
      decoder.decode(ByteBuffer.wrap(encode(payload)), kept::add);
    }
    // The buffers themselves, read only now: a decoder that reused one for a later frame shows.
    List<byte[]> frames = new ArrayList<>();
    kept.forEach(f -> frames.add(bytes(f)));
    assertFrames(payloads, frames, "frames kept by the consumer");
  }

  @Test
  void aConsumerMayWriteIntoTheFramesItGets() throws ProtocolException {
    List<byte[]> payloads = mixedPayloads();
    FrameDecoder decoder = decoder(5000);
    List<byte[]> frames = new ArrayList<>();
    for (byte[] payload : payloads) {
      decoder.decode(ByteBuffer.wrap(encode(payload)), frame -> {
        frames.add(bytes(frame));
        if (!frame.isReadOnly()) {
          ByteBuffer scribble = frame.duplicate();
          while (scribble.hasRemaining()) {
            scribble.put((byte) 0x77);
          }
        }
      });
    }
    assertFrames(payloads, frames, "frames decoded after the consumer wrote into earlier ones");
  }

  private static List<byte[]> mixedPayloads() {
    Random random = new Random(4);
    List<byte[]> payloads = new ArrayList<>();
    for (int size : new int[] {3, 2, 700, 600, 0, 1, 5000, 40, 4999}) {
      payloads.add(randomPayload(random, size));
    }
    return payloads;
  }

  @Test
  void hasPartialFrameIsTrueExactlyWhileAFrameIsUnfinished() throws ProtocolException {
    for (byte[] payload : List.of(new byte[0], new byte[] {0}, filled(300, 2))) {
      byte[] wire = encode(payload);
      for (int cut = 1; cut < wire.length; cut++) {
        FrameDecoder decoder = decoder(1000);
        assertFalse(decoder.hasPartialFrame(), "a fresh decoder");
        assertFrames(List.of(), decodeAll(decoder, Arrays.copyOf(wire, cut)), "cut at " + cut);
        assertTrue(decoder.hasPartialFrame(), cut + " of " + wire.length + " bytes fed");
        assertFrames(List.of(payload),
            decodeAll(decoder, Arrays.copyOfRange(wire, cut, wire.length)), "rest after " + cut);
        assertFalse(decoder.hasPartialFrame(), "after the whole frame");
      }
    }
  }

  // ---------------------------------------------------------------------- limits

  @Test
  void acceptsAFrameOfExactlyTheMaximumSize() throws ProtocolException {
    for (int max : LIMITS) {
      for (byte[] payload : shapes(max)) {
        assertFrames(List.of(payload), decodeAll(decoder(max), encode(payload)), "max " + max);
      }
    }
  }

  @Test
  void refusesAFrameOneByteOverTheMaximumBeforeItsEndArrives() {
    for (int max : LIMITS) {
      for (byte[] payload : shapes(max + 1)) {
        byte[] wire = encode(payload);
        FrameDecoder decoder = decoder(max);
        int fed = feedUntilRefused(decoder, wire, max);
        assertTrue(fed < wire.length, "max " + max + ": an oversize frame of " + wire.length
            + " bytes on the wire was refused only after its last byte arrived");
      }
    }
  }

  @Test
  void refusesALargeOversizeFrameSoonAfterTheLimit() {
    int max = 4096;
    for (byte[] payload : shapes(64 * max)) {
      byte[] wire = encode(payload);
      int fed = feedUntilRefused(decoder(max), wire, max);
      // A decoder that buffered the claimed frame would read all of it; one that checks the size
      // first stops at the prefix, and one without a prefix stops soon after the limit.
      assertTrue(fed <= 2 * max + 16, "refused only after " + fed + " of " + wire.length
          + " bytes, with a maximum of " + max);
    }
  }

  @Test
  void rejectsANegativeMaximum() {
    assertThrows(IllegalArgumentException.class, () -> framing().newDecoder(-1));
  }

  // ---------------------------------------------------------------------- corrupt input

  @Test
  void decoderIsUnusableAfterAnError() {
    FrameDecoder decoder = decoder(10);
    assertThrows(LimitExceededException.class, () -> decodeAll(decoder, encode(filled(11, 1))));
    List<ByteBuffer> frames = new ArrayList<>();
    ProtocolException again = assertThrows(ProtocolException.class,
        () -> decoder.decode(ByteBuffer.wrap(encode(filled(3, 1))), frames::add));
    assertNotNull(again.getMessage(), "an error message");
    assertEquals(List.of(), frames, "a failed decoder emitted a frame");
    assertThrows(ProtocolException.class,
        () -> decoder.decode(ByteBuffer.wrap(encode(new byte[0])), frames::add));
    assertEquals(List.of(), frames, "a failed decoder emitted a frame");
  }

  @Test
  void randomGarbageYieldsOnlyBoundedFramesOrProtocolException() {
    Random random = new Random(0xF4A3_0004L);
    for (int round = 0; round < 1500; round++) {
      byte[] garbage = new byte[random.nextInt(600)];
      random.nextBytes(garbage);
      if (garbage.length > 0 && random.nextInt(4) == 0) {
        garbage[random.nextInt(garbage.length)] = 0; // delimiters and small prefixes occur too
      }
      survives(garbage, 1 + random.nextInt(300), random, "garbage round " + round);
    }
  }

  @Test
  void mutatedAndTruncatedStreamsYieldOnlyBoundedFramesOrProtocolException() {
    Random random = new Random(0xF4A3_0005L);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      frames.add(randomPayload(random, random.nextInt(300)));
    }
    byte[] valid = encodeAll(frames);
    for (int round = 0; round < 1500; round++) {
      byte[] wire = valid.clone();
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations; m++) {
        int at = random.nextInt(wire.length);
        wire[at] = (byte) (wire[at] + 1 + random.nextInt(255)); // always a different value
      }
      if (random.nextBoolean()) {
        wire = Arrays.copyOf(wire, random.nextInt(wire.length + 1));
      }
      survives(wire, 300, random, "mutation round " + round);
    }
  }

  /**
   * Feeds {@code wire} in random pieces to a decoder with maximum {@code max}: every frame it
   * emits must be within the maximum, and the only exception allowed is {@link
   * ProtocolException}, after which the decoder must keep refusing.
   */
  private void survives(byte[] wire, int max, Random random, String what) {
    FrameDecoder decoder = decoder(max);
    int at = 0;
    try {
      while (at < wire.length) {
        int n = Math.min(wire.length - at, 1 + random.nextInt(64));
        decoder.decode(ByteBuffer.wrap(wire, at, n), frame -> {
          if (frame.remaining() > max) {
            fail(what + ": emitted a frame of " + frame.remaining() + " bytes over the maximum of "
                + max);
          }
        });
        at += n;
      }
    } catch (ProtocolException expected) {
      assertThrows(ProtocolException.class,
          () -> decoder.decode(ByteBuffer.wrap(encode(new byte[] {1})), f -> fail(what
              + ": a failed decoder emitted a frame")), what + ": decoder usable after an error");
    } catch (AssertionError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      fail(what + ": threw " + e + " instead of ProtocolException, for input "
          + Arrays.toString(wire), e);
    }
  }

  /**
   * Feeds {@code wire} one byte per call until the decoder refuses it with {@link
   * LimitExceededException} (its message naming the maximum); returns how many bytes were fed,
   * the refused one included.
   */
  private static int feedUntilRefused(FrameDecoder decoder, byte[] wire, int max) {
    for (int i = 0; i < wire.length; i++) {
      try {
        decoder.decode(ByteBuffer.wrap(wire, i, 1), f -> fail("no frame expected with maximum "
            + max + ", got one of " + f.remaining() + " bytes"));
      } catch (LimitExceededException e) {
        assertTrue(e.getMessage() != null && e.getMessage().contains(String.valueOf(max)),
            "the message should name the maximum " + max + ": " + e.getMessage());
        return i + 1;
      } catch (ProtocolException e) {
        fail("an oversize frame must be refused with LimitExceededException, not " + e, e);
      }
    }
    fail("a frame over the maximum of " + max + " bytes was not refused");
    return wire.length; // not reached
  }

  // ---------------------------------------------------------------------- memory

  /** The frame size the memory test claims: far beyond what the first bytes may cost. */
  private static final int CLAIMED_FRAME = 8 << 20;

  /**
   * A frame's buffer grows only as its bytes arrive (docs/security.md): a peer that sends the
   * start of a large frame, its length prefix say, gets no buffer of the claimed size. Checked
   * after 16 bytes, 4 KiB, 64 KiB and 1 MiB of an 8 MiB frame, fed through {@code decode} and
   * through {@code readTarget}/{@code readInto} as the socket transport does: the bytes allocated
   * must stay within 16 times those that arrived, plus a fixed allowance.
   */
  @Test
  void buffersGrowOnlyAsBytesArrive() throws Exception {
    byte[] wire = encode(new byte[CLAIMED_FRAME]);
    for (boolean readTargets : new boolean[] {false, true}) {
      for (int arrived : new int[] {16, 4 << 10, 64 << 10, 1 << 20}) {
        long allocated = AllocationMeter.bytesAllocatedBy(
            () -> feed(decoder(CLAIMED_FRAME), wire, arrived, readTargets));
        long bound = 16L * arrived + AllocationMeter.SLACK;
        assertTrue(allocated <= bound, "after " + arrived + " bytes of a frame of "
            + CLAIMED_FRAME + " bytes" + (readTargets ? " (through readTarget)" : "")
            + ", the decoder had allocated " + allocated + " bytes, over the bound of " + bound
            + ": buffers must grow as bytes arrive, not to the size the frame claims");
      }
    }
  }

  /** Gives the decoder the first {@code arrived} bytes of {@code wire}, as a reader would. */
  private static void feed(FrameDecoder decoder, byte[] wire, int arrived, boolean readTargets)
      throws ProtocolException {
    int chunk = 8 << 10;
    for (int at = 0; at < arrived; ) {
      int n = Math.min(chunk, arrived - at);
      ByteBuffer target = readTargets ? decoder.readTarget(1) : null;
      if (target != null) {
        n = Math.min(n, target.remaining());
        target.put(wire, at, n);
        decoder.readInto(n, f -> fail("no frame is complete yet"));
      } else {
        decoder.decode(ByteBuffer.wrap(wire, at, n), f -> fail("no frame is complete yet"));
      }
      at += n;
    }
  }

  // ---------------------------------------------------------------------- discovery

  /**
   * Declared for ServiceLoader on both paths: in {@code META-INF/services} (class path) and, in a
   * named module, with {@code provides} (module path), whichever path this suite runs on.
   */
  @Test
  void isDeclaredWhereServiceLoaderLooks() {
    PluginDeclarations.assertDeclared(Framing.class, framing().getClass());
  }

  @Test
  void isFoundInThePluginRegistryByItsName() {
    Framing framing = framing();
    String name = framing.name();
    assertNotNull(name, "name()");
    assertEquals(name.toLowerCase(java.util.Locale.ROOT), name, "names are lower case");
    assertTrue(framing.isAvailable(), () -> "unavailable: " + framing.unavailableReason());
    assertInstanceOf(framing.getClass(), PluginRegistry.find(Framing.class, name),
        "PluginRegistry.find(Framing.class, \"" + name + "\")");
  }

  // ---------------------------------------------------------------------- helpers

  /** A new decoder of the framing under test with this maximum. */
  protected FrameDecoder decoder(int maxFrameSize) {
    return framing().newDecoder(maxFrameSize);
  }

  /** The bytes the framing writes for one frame holding {@code payload}. */
  protected byte[] encode(byte[] payload) {
    return concat(framing().encode(ByteBuffer.wrap(payload)));
  }

  /** The bytes for several frames, one after another. */
  protected byte[] encodeAll(List<byte[]> payloads) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    payloads.forEach(p -> out.writeBytes(encode(p)));
    return out.toByteArray();
  }

  /** Feeds each piece in one decode call and returns the frames emitted, as arrays. */
  protected static List<byte[]> decodeAll(FrameDecoder decoder, byte[]... pieces)
      throws ProtocolException {
    List<byte[]> frames = new ArrayList<>();
    for (byte[] piece : pieces) {
      ByteBuffer in = ByteBuffer.wrap(piece);
      decoder.decode(in, f -> frames.add(bytes(f)));
      assertFalse(in.hasRemaining(), "decode must consume all of its input");
    }
    return frames;
  }

  protected static void assertFrames(List<byte[]> expected, List<byte[]> actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": number of frames");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), what + ": frame " + i);
    }
  }

  /** The remaining bytes of {@code b}, its position left alone. */
  protected static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static byte[] concat(ByteBuffer[] buffers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuffer b : buffers) {
      out.writeBytes(bytes(b));
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[][] arrays) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] a : arrays) {
      out.writeBytes(a);
    }
    return out.toByteArray();
  }

  /** {@code wire} cut into pieces of {@code size} bytes (the last may be shorter). */
  private static byte[][] pieces(byte[] wire, int size) {
    byte[][] out = new byte[(wire.length + size - 1) / size][];
    for (int i = 0; i < out.length; i++) {
      out[i] = Arrays.copyOfRange(wire, i * size, Math.min(wire.length, (i + 1) * size));
    }
    return out;
  }

  /** Random bytes where about one in eight is zero, so delimiter-based framings have work. */
  protected static byte[] randomPayload(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    for (int i = 0; i < size; i++) {
      if (random.nextInt(8) == 0) {
        b[i] = 0;
      }
    }
    return b;
  }

  protected static byte[] filled(int size, int value) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) value);
    return b;
  }

  /** Payloads of one size in three shapes: random with zeros, all zeros, no zeros. */
  private static List<byte[]> shapes(int size) {
    return List.of(randomPayload(new Random(size), size), filled(size, 0), filled(size, 0x5A));
  }
}
