package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Duration;
import com.google.protobuf.StringValue;
import io.protorpc.Metadata;
import io.protorpc.PluginRegistry;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every {@link Codec} must do: each {@link Envelope.Kind} round-trips with every field that
 * kind uses (metadata in text and binary, a status with typed details), the header limit is
 * enforced with {@link LimitExceededException}, and no frame, however truncated, mutated or random,
 * gets anything out of {@link Codec#decode} but an envelope or a {@link ProtocolException}.
 *
 * <p>Extend it in your codec's tests and implement {@link #codec()}:
 *
 * <pre>{@code
 * public class MyCodecConformanceTest extends CodecConformanceSuite {
 *   @Override protected Codec codec() { return new MyCodec(); }
 * }
 * }</pre>
 *
 * <p>Which fields a kind uses follows {@link Envelope}: a request carries call id, service,
 * method, timeout, metadata, compression and payload; a response call id, status, metadata,
 * compression and payload; a cancel its call id; ping and pong a payload; a go-away a status. A
 * codec may drop the fields a kind does not use, so the suite neither sets nor checks them. Whether
 * the codec copies the payload is its own business: only the bytes are checked. Deterministic
 * (fixed seeds) and bounded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class CodecConformanceSuite extends RequiresJUnitPlatform {
  /** The header limit used where the test is not about the limit. */
  private static final int MAX_HEADER = 64 * 1024;

  /** The codec under test. A new instance per call is fine; so is a shared one. */
  protected abstract Codec codec();

  // ---------------------------------------------------------------------- round trips

  @ParameterizedTest
  @EnumSource(Envelope.Kind.class)
  void everyKindRoundTripsWithEveryFieldItUses(Envelope.Kind kind) throws ProtocolException {
    Envelope sent = fullEnvelope(kind, new byte[] {9, 0, 8, (byte) 0xFF, 7});
    assertSameEnvelope(sent, roundTrip(sent));
  }

  @ParameterizedTest
  @EnumSource(Envelope.Kind.class)
  void everyKindRoundTripsWithNothingSet(Envelope.Kind kind) throws ProtocolException {
    Envelope got = roundTrip(new Envelope(kind, 0, null, null, 0, null, null, null, null));
    assertEquals(kind, got.kind());
    assertEquals(0, got.callId());
    assertEquals("", got.service());
    assertEquals("", got.method());
    assertEquals(0, got.timeoutMicros());
    assertTrue(got.metadata().isEmpty(), "metadata " + got.metadata());
    assertEquals("", got.compression());
    assertEquals(0, got.payload().remaining(), "payload bytes");
    if (carriesStatus(kind)) {
      assertEquals(Status.OK, got.status(), "a " + kind + " without a status is OK");
    }
  }

  @Test
  void requestFieldsRoundTripAtTheirExtremes() throws ProtocolException {
    for (long callId : new long[] {1, 127, 128, 1L << 32, Long.MAX_VALUE}) {
      for (long timeout : new long[] {0, 1, 999_999, Long.MAX_VALUE}) {
        Envelope sent = Envelope.request(callId, "a.b.c.VeryLongServiceName" + "x".repeat(200),
            "M", timeout, null, "", null);
        assertSameEnvelope(sent, roundTrip(sent));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StatusCode.class)
  void everyStatusCodeRoundTripsWithItsMessage(StatusCode code) throws ProtocolException {
    Status status = code == StatusCode.OK ? Status.OK : Status.of(code, "because " + code);
    Envelope got = roundTrip(Envelope.response(42, status, null, "", null));
    assertEquals(status, got.status());
    assertTrue(got.status().details().isEmpty(), "a status without details has none");
  }

  @Test
  void statusDetailsArriveAsTheTypedMessage() throws ProtocolException {
    Duration retryAfter = Duration.newBuilder().setSeconds(3).setNanos(500).build();
    Status status = Status.of(StatusCode.UNAVAILABLE, "try later").withDetails(retryAfter);
    for (Envelope sent : List.of(Envelope.response(5, status, null, "", null),
        Envelope.control(Envelope.Kind.GOAWAY, 0, status, null))) {
      Status got = roundTrip(sent).status();
      assertEquals(retryAfter, got.details(Duration.class).orElseThrow());
      assertTrue(got.details(StringValue.class).isEmpty(), "details of another type");
    }
  }

  @Test
  void metadataRoundTripsTextBinaryEmptyAndMany() throws ProtocolException {
    Metadata many = new Metadata();
    byte[] every = new byte[256];
    for (int i = 0; i < 256; i++) {
      every[i] = (byte) i;
    }
    many.putBytes("every-byte.bin", every).put("empty", "").put("text", "naïve café ✓ 日本")
        .putBytes("zeros", new byte[100]);
    for (int i = 0; i < 100; i++) {
      many.put("key-" + i, "value-" + i);
    }
    Envelope request = Envelope.request(1, "s.S", "m", 0, many, "", null);
    assertSameEnvelope(request, roundTrip(request));
    Envelope response = Envelope.response(1, Status.OK, many, "", null);
    assertSameEnvelope(response, roundTrip(response));
  }

  @Test
  void payloadsOfManySizesAndEveryByteRoundTrip() throws ProtocolException {
    Random random = new Random(0xC0DE_0001L);
    for (int size : new int[] {0, 1, 2, 127, 128, 255, 256, 16_384, 1024 * 1024}) {
      byte[] payload = new byte[size];
      random.nextBytes(payload);
      assertSameEnvelope(fullEnvelope(Envelope.Kind.REQUEST, payload),
          roundTrip(fullEnvelope(Envelope.Kind.REQUEST, payload)));
      assertSameEnvelope(fullEnvelope(Envelope.Kind.RESPONSE, payload),
          roundTrip(fullEnvelope(Envelope.Kind.RESPONSE, payload)));
    }
  }

  @Test
  void encodeLeavesThePayloadUnchanged() throws ProtocolException {
    byte[] backing = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ByteBuffer sliced = ByteBuffer.wrap(backing, 3, 4);
    ByteBuffer direct = ByteBuffer.allocateDirect(6).put(new byte[] {6, 5, 4, 3, 2, 1});
    direct.flip().position(1);
    ByteBuffer readOnly = ByteBuffer.wrap(backing).asReadOnlyBuffer();
    for (ByteBuffer payload : List.of(sliced, direct, readOnly)) {
      int position = payload.position();
      int limit = payload.limit();
      byte[] expected = bytes(payload);
      Envelope got = decode(join(codec().encode(
          Envelope.request(1, "s.S", "m", 0, null, "", payload))), MAX_HEADER);
      assertEquals(position, payload.position(), "the payload's position");
      assertEquals(limit, payload.limit(), "the payload's limit");
      assertArrayEquals(expected, bytes(got.payload()), "payload from " + payload);
    }
  }

  @Test
  void decodesFramesInDirectReadOnlyAndOffsetBuffers() throws ProtocolException {
    Envelope sent = fullEnvelope(Envelope.Kind.RESPONSE, new byte[] {1, 2, 3, 0, 4});
    byte[] frame = bytes(join(codec().encode(sent)));
    ByteBuffer direct = ByteBuffer.allocateDirect(frame.length).put(frame).flip();
    byte[] padded = new byte[frame.length + 7];
    Arrays.fill(padded, (byte) 0xEE);
    System.arraycopy(frame, 0, padded, 4, frame.length);
    ByteBuffer offset = ByteBuffer.wrap(padded, 4, frame.length);
    for (ByteBuffer buffer : List.of(direct, ByteBuffer.wrap(frame).asReadOnlyBuffer(), offset)) {
      assertSameEnvelope(sent, decode(buffer, MAX_HEADER));
    }
  }

  @Test
  void isSafeForConcurrentUse() throws Exception {
    Codec codec = codec();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(pool.submit((Callable<Void>) () -> {
          for (int i = 0; i < 500; i++) {
            Metadata metadata = new Metadata().put("thread", "t" + thread).put("i", "" + i);
            Envelope sent = Envelope.request(thread * 1000L + i, "s.S", "m" + i, i, metadata,
                "", ByteBuffer.wrap(new byte[] {(byte) thread, (byte) i}));
            assertSameEnvelope(sent, codec.decode(join(codec.encode(sent)), MAX_HEADER));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------- the header limit

  @Test
  void aHeaderOverTheLimitIsRefusedWithLimitExceeded() {
    Metadata big = new Metadata().putBytes("big", new byte[8 * 1024]);
    ByteBuffer frame = join(codec().encode(Envelope.request(1, "s.S", "m", 0, big, "", null)));
    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> codec().decode(frame.duplicate(), 1024));
    assertTrue(e.getMessage() != null && e.getMessage().contains("1024"),
        "the message should name the limit: " + e.getMessage());
  }

  @Test
  void theLimitIsExactAndCountsTheHeaderNotThePayload() throws ProtocolException {
    byte[] payload = new byte[100 * 1024];
    new Random(7).nextBytes(payload);
    Metadata metadata = new Metadata().put("k", "v".repeat(300));
    Envelope sent = Envelope.request(77, "s.S", "m", 5, metadata, "", ByteBuffer.wrap(payload));
    ByteBuffer frame = join(codec().encode(sent));
    // The smallest limit that lets this frame through is the header's size, whatever the codec
    // counts as header: far below the frame's size, since the payload does not count.
    int lo = 0;
    int hi = frame.remaining();
    assertSameEnvelope(sent, decode(frame.duplicate(), hi));
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (decodesWithin(frame, mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    int exact = lo;
    assertTrue(exact > 300, "a 300-byte metadata value fit a header limit of " + exact);
    assertTrue(exact < 4096, "the payload counted toward the header limit: " + exact);
    assertSameEnvelope(sent, decode(frame.duplicate(), exact));
    assertThrows(LimitExceededException.class, () -> codec().decode(frame.duplicate(), exact - 1));
    assertThrows(LimitExceededException.class, () -> codec().decode(frame.duplicate(), 0));
  }

  /** Decodes or is refused for the header limit; any other failure fails the test. */
  private boolean decodesWithin(ByteBuffer frame, int maxHeaderSize) {
    try {
      codec().decode(frame.duplicate(), maxHeaderSize);
      return true;
    } catch (LimitExceededException e) {
      return false;
    } catch (ProtocolException e) {
      return fail("a valid frame was refused for something other than its header size with a "
          + "limit of " + maxHeaderSize + ": " + e, e);
    }
  }

  // ---------------------------------------------------------------------- bad input

  @Test
  void everyTruncationOfAFrameDecodesOrThrowsProtocolException() {
    byte[] frame = bytes(join(codec().encode(fullEnvelope(Envelope.Kind.RESPONSE,
        new byte[] {1, 2, 3}))));
    for (int length = 0; length < frame.length; length++) {
      survives(Arrays.copyOf(frame, length), MAX_HEADER, "first " + length + " bytes of a frame");
    }
  }

  @Test
  void mutatedFramesDecodeOrThrowProtocolException() {
    Random random = new Random(0xC0DE_0002L);
    List<byte[]> frames = new ArrayList<>();
    for (Envelope.Kind kind : Envelope.Kind.values()) {
      frames.add(bytes(join(codec().encode(fullEnvelope(kind, new byte[] {1, 2, 3, 4})))));
    }
    for (int round = 0; round < 3000; round++) {
      byte[] frame = frames.get(round % frames.size()).clone();
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        int at = random.nextInt(frame.length);
        frame[at] = (byte) (frame[at] + 1 + random.nextInt(255)); // always a different value
      }
      survives(frame, random.nextBoolean() ? MAX_HEADER : random.nextInt(64),
          "mutation round " + round);
    }
  }

  @Test
  void randomBytesDecodeOrThrowProtocolException() {
    Random random = new Random(0xC0DE_0003L);
    for (int round = 0; round < 3000; round++) {
      byte[] frame = new byte[random.nextInt(300)];
      random.nextBytes(frame);
      if (frame.length > 0 && random.nextBoolean()) {
        frame[0] = (byte) random.nextInt(Math.min(frame.length, 128)); // a plausible small prefix
      }
      survives(frame, MAX_HEADER, "random round " + round);
    }
  }

  /** Decodes {@code frame}; an envelope or a ProtocolException are fine, anything else fails. */
  private void survives(byte[] frame, int maxHeaderSize, String what) {
    try {
      Envelope got = codec().decode(ByteBuffer.wrap(frame), maxHeaderSize);
      assertNotNull(got.kind(), what + ": decoded an envelope without a kind");
    } catch (ProtocolException expected) {
      // refused: fine
    } catch (AssertionError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      fail(what + ": threw " + e + " instead of ProtocolException, for " + Arrays.toString(frame),
          e);
    }
  }

  // ---------------------------------------------------------------------- discovery

  /**
   * Declared for ServiceLoader on both paths: in {@code META-INF/services} (class path) and, in a
   * named module, with {@code provides} (module path), whichever path this suite runs on.
   */
  @Test
  void isDeclaredWhereServiceLoaderLooks() {
    PluginDeclarations.assertDeclared(Codec.class, codec().getClass());
  }

  @Test
  void isFoundInThePluginRegistryByItsName() {
    Codec codec = codec();
    String name = codec.name();
    assertNotNull(name, "name()");
    assertEquals(name.toLowerCase(java.util.Locale.ROOT), name, "names are lower case");
    assertTrue(codec.isAvailable(), () -> "unavailable: " + codec.unavailableReason());
    assertInstanceOf(codec.getClass(), PluginRegistry.find(Codec.class, name),
        "PluginRegistry.find(Codec.class, \"" + name + "\")");
  }

  // ---------------------------------------------------------------------- helpers

  /** Whether an envelope of this kind carries a status. */
  public static boolean carriesStatus(Envelope.Kind kind) {
    return kind == Envelope.Kind.RESPONSE || kind == Envelope.Kind.GOAWAY;
  }

  /** Metadata with text (non-ASCII included), binary (zeros and 0xFF) and empty values. */
  public static Metadata fullMetadata() {
    return new Metadata()
        .put("user-agent", "protorpc-testkit/1 (ünïcode ✓)")
        .putBytes("trace.bin", new byte[] {0, 1, (byte) 0x80, (byte) 0xFF, 0, 42})
        .put("x_empty", "");
  }

  /** A failure status with typed details. */
  public static Status fullStatus() {
    return Status.of(StatusCode.FAILED_PRECONDITION, "account is frozen ✗")
        .withDetails(StringValue.of("since 2024-01-01"));
  }

  /** An envelope of {@code kind} with every field that kind uses set to a non-default value. */
  public static Envelope fullEnvelope(Envelope.Kind kind, byte[] payload) {
    ByteBuffer p = ByteBuffer.wrap(payload);
    switch (kind) {
      case REQUEST:
        return Envelope.request(0x7EDC_BA98_7654_3210L, "pkg.sub.Accounts", "Withdraw",
            1_500_000, fullMetadata(), "zstd", p);
      case RESPONSE:
        return Envelope.response(0x7EDC_BA98_7654_3210L, fullStatus(), fullMetadata(), "gzip", p);
      case CANCEL:
        return Envelope.control(kind, 0x7EDC_BA98_7654_3210L, null, null);
      case PING:
      case PONG:
        return Envelope.control(kind, 0, null, p);
      case GOAWAY:
        return Envelope.control(kind, 0, fullStatus(), null);
      default:
        throw new IllegalArgumentException("a kind this suite does not know: " + kind);
    }
  }

  /** Asserts that {@code got} has every field of {@code sent} that its kind uses. */
  public static void assertSameEnvelope(Envelope sent, Envelope got) {
    Envelope.Kind kind = sent.kind();
    assertEquals(kind, got.kind(), "kind");
    assertEquals(sent.callId(), got.callId(), "callId of a " + kind);
    switch (kind) {
      case REQUEST:
        assertEquals(sent.service(), got.service(), "service");
        assertEquals(sent.method(), got.method(), "method");
        assertEquals(sent.timeoutMicros(), got.timeoutMicros(), "timeoutMicros");
        assertEquals(sent.metadata(), got.metadata(), "metadata of a " + kind);
        assertEquals(sent.compression(), got.compression(), "compression");
        assertNull(got.status(), "a request has no status");
        break;
      case RESPONSE:
        assertEquals(sent.status(), got.status(), "status of a " + kind);
        assertEquals(sent.metadata(), got.metadata(), "metadata of a " + kind);
        assertEquals(sent.compression(), got.compression(), "compression");
        break;
      case GOAWAY:
        assertEquals(sent.status(), got.status(), "status of a " + kind);
        break;
      default:
        break;
    }
    assertArrayEquals(bytes(sent.payload()), bytes(got.payload()), "payload of a " + kind);
  }

  /** Encodes and decodes {@code envelope} with the suite's header limit. */
  protected Envelope roundTrip(Envelope envelope) throws ProtocolException {
    return decode(join(codec().encode(envelope)), MAX_HEADER);
  }

  private Envelope decode(ByteBuffer frame, int maxHeaderSize) throws ProtocolException {
    Envelope got = codec().decode(frame, maxHeaderSize);
    assertNotNull(got, "decode returned null");
    return got;
  }

  /** The encoded parts joined into one heap buffer, as a framing delivers a frame. */
  public static ByteBuffer join(ByteBuffer[] parts) {
    int total = 0;
    for (ByteBuffer p : parts) {
      total += p.remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(total);
    for (ByteBuffer p : parts) {
      out.put(p.duplicate());
    }
    return out.flip();
  }

  /** The remaining bytes of {@code b}, its position left alone. */
  public static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
