package io.protorpc.codec.protobuf;

import static io.protorpc.codec.protobuf.Frames.assertSameMetadata;
import static io.protorpc.testkit.CodecConformanceSuite.bytes;
import static io.protorpc.testkit.CodecConformanceSuite.fullMetadata;
import static io.protorpc.testkit.CodecConformanceSuite.fullStatus;
import static io.protorpc.testkit.CodecConformanceSuite.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.codec.protobuf.wire.Kind;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProtobufCodecRoundTripTest {
  private static final ProtobufCodec CODEC = new ProtobufCodec();
  private static final int MAX_HEADER = 64 * 1024;

  // fullMetadata() and fullStatus() are the testkit codec suite's fixtures.

  /** An envelope of {@code kind} with every field set, whether or not the kind uses it. */
  private static Envelope fullEnvelope(Envelope.Kind kind, byte[] payload) {
    return new Envelope(kind, 0xFEDC_BA98_7654_3210L, "pkg.sub.Accounts", "Withdraw",
        Long.MAX_VALUE, fullMetadata(), fullStatus(), "zstd", ByteBuffer.wrap(payload));
  }

  private static Envelope roundTrip(Envelope envelope) throws ProtocolException {
    return CODEC.decode(join(CODEC.encode(envelope)), MAX_HEADER);
  }

  @ParameterizedTest
  @EnumSource(Envelope.Kind.class)
  void everyKindRoundTripsWithAllFields(Envelope.Kind kind) throws Exception {
    byte[] payload = {9, 8, 7, 6, 5};
    Envelope sent = fullEnvelope(kind, payload);

    Envelope got = roundTrip(sent);

    assertEquals(kind, got.kind());
    assertEquals(sent.callId(), got.callId());
    assertEquals("pkg.sub.Accounts", got.service());
    assertEquals("Withdraw", got.method());
    assertEquals(Long.MAX_VALUE, got.timeoutMicros());
    assertSameMetadata(sent.metadata(), got.metadata());
    assertEquals(fullMetadata().get("user-agent"), got.metadata().get("user-agent"));
    assertEquals("zstd", got.compression());
    assertArrayEquals(payload, bytes(got.payload()));
    if (kind == Envelope.Kind.RESPONSE || kind == Envelope.Kind.GOAWAY) {
      assertEquals(sent.status(), got.status());
      assertEquals(fullStatus().details(StringValue.class).orElseThrow(),
          got.status().details(StringValue.class).orElseThrow());
      assertTrue(got.status().details(Int64Value.class).isEmpty(), "details of another type");
    } else {
      assertNull(got.status(), "only RESPONSE and GOAWAY carry a status");
    }
  }

  @ParameterizedTest
  @EnumSource(Envelope.Kind.class)
  void minimalEnvelopeHasTheSharedOkStatusOrNone(Envelope.Kind kind) throws Exception {
    // The rest of a minimal envelope's round trip is checked by the testkit's codec suite
    // (ProtobufCodecConformanceTest); this is the protobuf codec's own promise about the status.
    Envelope got = roundTrip(new Envelope(kind, 0, null, null, 0, null, null, null, null));

    assertEquals(kind, got.kind());
    if (kind == Envelope.Kind.RESPONSE || kind == Envelope.Kind.GOAWAY) {
      assertSame(Status.OK, got.status(), "a missing status decodes as OK");
    } else {
      assertNull(got.status());
    }
  }

  @Test
  void factoryMethodsRoundTrip() throws Exception {
    Envelope request = Envelope.request(7, "a.B", "c", 1_500_000, new Metadata().put("k", "v"),
        "", ByteBuffer.wrap(new byte[] {1, 2}));
    Envelope gotRequest = roundTrip(request);
    assertEquals(Envelope.Kind.REQUEST, gotRequest.kind());
    assertEquals(1_500_000, gotRequest.timeoutMicros());
    assertEquals("v", gotRequest.metadata().get("k"));

    Envelope gotResponse = roundTrip(Envelope.response(7, Status.OK, null, "", null));
    assertSame(Status.OK, gotResponse.status());

    Envelope gotGoaway = roundTrip(Envelope.control(Envelope.Kind.GOAWAY, 0,
        Status.of(StatusCode.UNAVAILABLE, "shutting down"), null));
    assertEquals(Status.of(StatusCode.UNAVAILABLE, "shutting down"), gotGoaway.status());
  }

  @Test
  void statusWithoutDetailsHasNone() throws Exception {
    Envelope got = roundTrip(Envelope.response(1, Status.of(StatusCode.NOT_FOUND, "no such"),
        null, "", null));
    assertEquals(StatusCode.NOT_FOUND, got.status().code());
    assertEquals("no such", got.status().message());
    assertTrue(got.status().details().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1024 * 1024})
  void payloadsOfEverySizeRoundTrip(int size) throws Exception {
    byte[] payload = new byte[size];
    new Random(size).nextBytes(payload);

    Envelope got = roundTrip(fullEnvelope(Envelope.Kind.REQUEST, payload));

    assertEquals(size, got.payload().remaining());
    assertArrayEquals(payload, bytes(got.payload()));
  }

  @Test
  void encodeDoesNotCopyHeapPayload() {
    byte[] backing = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ByteBuffer payload = ByteBuffer.wrap(backing, 3, 4); // position 3, limit 7

    ByteBuffer[] parts = CODEC.encode(Envelope.request(1, "s", "m", 0, null, "", payload));

    assertEquals(2, parts.length);
    ByteBuffer part = parts[1];
    assertSame(backing, part.array(), "the payload part is backed by the caller's array");
    assertEquals(3, part.position());
    assertEquals(7, part.limit());
    backing[4] = 99;
    assertEquals(99, part.get(4), "a change to the original shows through: shared content");
    assertEquals(3, payload.position(), "the payload's position is unchanged");
    assertEquals(7, payload.limit());
  }

  @Test
  void encodeDoesNotCopyDirectPayload() {
    ByteBuffer payload = ByteBuffer.allocateDirect(16);
    payload.put(0, (byte) 1).position(2);

    ByteBuffer part = CODEC.encode(Envelope.request(1, "s", "m", 0, null, "", payload))[1];

    assertTrue(part.isDirect());
    payload.put(5, (byte) 77);
    assertEquals(77, part.get(5), "shared content");
    assertEquals(2, part.position());
    assertEquals(2, payload.position());
  }

  @Test
  void decodedPayloadIsASliceOfTheFrame() throws Exception {
    ByteBuffer frame = join(CODEC.encode(Envelope.request(1, "s", "m", 0, null, "",
        ByteBuffer.wrap(new byte[] {10, 20, 30}))));

    Envelope got = CODEC.decode(frame, MAX_HEADER);

    assertSame(frame.array(), got.payload().array(), "no copy: same backing array");
    int payloadIndex = frame.limit() - 3;
    frame.put(payloadIndex, (byte) 11);
    assertEquals(11, got.payload().get(0));
    assertEquals(0, frame.position(), "decode leaves the frame's position alone");
  }

  @Test
  void decodesFrameInTheMiddleOfALargerBuffer() throws Exception {
    byte[] frame = bytes(join(CODEC.encode(fullEnvelope(Envelope.Kind.RESPONSE,
        new byte[] {1, 2, 3}))));
    byte[] padded = Frames.concat(new byte[] {(byte) 0xEE, (byte) 0xEE}, frame,
        new byte[] {(byte) 0xDD});
    ByteBuffer buffer = ByteBuffer.wrap(padded, 2, frame.length);

    Envelope got = CODEC.decode(buffer, MAX_HEADER);

    assertArrayEquals(new byte[] {1, 2, 3}, bytes(got.payload()));
    assertEquals(fullStatus(), got.status());
    assertEquals(2, buffer.position());
    assertEquals(2 + frame.length, buffer.limit());
  }

  @Test
  void decodesDirectAndReadOnlyFrames() throws Exception {
    byte[] frame = bytes(join(CODEC.encode(fullEnvelope(Envelope.Kind.REQUEST,
        new byte[] {4, 5}))));
    ByteBuffer direct = ByteBuffer.allocateDirect(frame.length).put(frame).flip();

    for (ByteBuffer buffer : new ByteBuffer[] {direct, ByteBuffer.wrap(frame).asReadOnlyBuffer()}) {
      Envelope got = CODEC.decode(buffer, MAX_HEADER);
      assertEquals("Withdraw", got.method());
      assertSameMetadata(fullMetadata(), got.metadata());
      assertArrayEquals(new byte[] {4, 5}, bytes(got.payload()));
      assertEquals(buffer.isDirect(), got.payload().isDirect());
    }
  }

  @Test
  void decodedMetadataIsMutableWhenPresent() throws Exception {
    Envelope got = roundTrip(fullEnvelope(Envelope.Kind.REQUEST, new byte[0]));
    got.metadata().put("added", "later");
    assertEquals("later", got.metadata().get("added"));
  }

  @Test
  void headerFitsExactlyAtTheLimit() throws Exception {
    ByteBuffer[] parts = CODEC.encode(fullEnvelope(Envelope.Kind.REQUEST, new byte[] {1}));
    int headerLength = CodedInputStream.newInstance(parts[0].duplicate()).readRawVarint32();
    assertEquals(parts[0].remaining(),
        CodedOutputStream.computeUInt32SizeNoTag(headerLength) + headerLength,
        "the first part is exactly prefix and header");

    Envelope got = CODEC.decode(join(parts), headerLength);
    assertArrayEquals(new byte[] {1}, bytes(got.payload()));

    assertThrows(LimitExceededException.class, () -> CODEC.decode(join(parts), headerLength - 1));
  }

  @Test
  void wireKindNumbersMatchEnvelopeKinds() {
    for (Envelope.Kind kind : Envelope.Kind.values()) {
      assertEquals(kind.name(), Kind.forNumber(kind.number()).name());
    }
    assertEquals(Envelope.Kind.values().length + 2, Kind.values().length,
        "wire Kind has the envelope kinds plus KIND_UNSPECIFIED and UNRECOGNIZED");
    assertEquals(0, Kind.KIND_UNSPECIFIED.getNumber());
  }
}
