package io.protorpc.codec.protobuf;

import static io.protorpc.codec.protobuf.Frames.concat;
import static io.protorpc.codec.protobuf.Frames.frame;
import static io.protorpc.codec.protobuf.Frames.frameWithRawHeader;
import static io.protorpc.codec.protobuf.Frames.varint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.StatusCode;
import io.protorpc.codec.protobuf.wire.Header;
import io.protorpc.codec.protobuf.wire.Kind;
import io.protorpc.codec.protobuf.wire.MetadataEntry;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtobufCodecRejectsTest {
  private static final ProtobufCodec CODEC = new ProtobufCodec();
  private static final int MAX_HEADER = 1024;
  private static final byte[] NO_PAYLOAD = {};

  private static ProtocolException rejects(byte[] frame) {
    return rejects(frame, MAX_HEADER);
  }

  /** Asserts a plain ProtocolException (not a limit) and returns it. */
  private static ProtocolException rejects(byte[] frame, int maxHeaderSize) {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> CODEC.decode(ByteBuffer.wrap(frame), maxHeaderSize));
    assertFalse(e instanceof LimitExceededException, "not a limit: " + e);
    return e;
  }

  private static Header.Builder request() {
    return Header.newBuilder().setKind(Kind.REQUEST).setCallId(1).setService("s").setMethod("m");
  }

  private static void assertMessageContains(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' lacks " + part);
    }
  }

  @Test
  void rejectsEmptyFrame() {
    assertMessageContains(rejects(NO_PAYLOAD), "empty frame");
  }

  @Test
  void rejectsFrameEndingInsideTheVarint() {
    assertMessageContains(rejects(new byte[] {(byte) 0x80}), "truncated header length");
    assertMessageContains(rejects(new byte[] {(byte) 0xFF, (byte) 0xFF}), "truncated header length");
  }

  @Test
  void rejectsVarintLongerThanFiveBytes() {
    byte[] frame = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0, 0};
    assertMessageContains(rejects(frame, Integer.MAX_VALUE), "malformed header length");
  }

  @Test
  void rejectsVarintBeyond32Bits() {
    byte[] frame = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F, 0, 0};
    assertMessageContains(rejects(frame, Integer.MAX_VALUE), "exceeds 32 bits");
  }

  @Test
  void rejectsHeaderOverMaxHeaderSize() {
    Header header = request().build();
    int size = header.getSerializedSize();
    byte[] frame = frame(header, new byte[] {1});

    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> CODEC.decode(ByteBuffer.wrap(frame), size - 1));

    assertMessageContains(e, "header of " + size + " bytes", "maximum of " + (size - 1) + " bytes");
  }

  @Test
  void rejectsHugeHeaderLengthBeforeLookingFurther() {
    // 0xFFFFFFFF: well formed, and nothing follows it; the limit is what fails, with no allocation.
    byte[] frame = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> CODEC.decode(ByteBuffer.wrap(frame), 4096));
    assertMessageContains(e, "4294967295", "4096");
  }

  @Test
  void rejectsHeaderLengthBeyondTheFrame() {
    byte[] frame = concat(varint(100), new byte[10]);
    assertMessageContains(rejects(frame), "truncated header", "100", "10 bytes follow");
  }

  @Test
  void rejectsGarbageHeaderBytes() {
    byte[] frame = frameWithRawHeader(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, NO_PAYLOAD);
    ProtocolException e = rejects(frame);
    assertMessageContains(e, "unparseable header");
  }

  @Test
  void rejectsHeaderCutShortInsideAField() {
    byte[] whole = request().build().toByteArray();
    byte[] cut = Arrays.copyOf(whole, whole.length - 1);
    // The length prefix says the header is shorter, so its last field is cut off; the bytes that
    // follow (the payload) must not be read as header.
    assertMessageContains(rejects(frameWithRawHeader(cut, new byte[] {'m'})), "unparseable header");
  }

  @Test
  void rejectsStrayEndGroupTag() {
    // kind = REQUEST, then an end-group tag for field 1, then a service field. A parser that
    // stopped at the end-group tag would accept a header whose rest went unread.
    byte[] header = {0x08, 0x01, 0x0C, 0x1A, 0x01, 'x'};
    assertMessageContains(rejects(frameWithRawHeader(header, NO_PAYLOAD)), "unparseable header");
  }

  @Test
  void rejectsInvalidUtf8InAStringField() {
    byte[] header = {0x08, 0x01, 0x1A, 0x02, (byte) 0xC3, 0x28};
    assertMessageContains(rejects(frameWithRawHeader(header, NO_PAYLOAD)), "unparseable header");
  }

  @ParameterizedTest
  @ValueSource(ints = {7, 99, 1 << 20, -1})
  void rejectsUnknownKind(int kind) {
    byte[] frame = frame(request().setKindValue(kind).build(), NO_PAYLOAD);
    assertMessageContains(rejects(frame), "unknown envelope kind " + kind);
  }

  @Test
  void rejectsMissingKind() {
    byte[] frame = frame(Header.newBuilder().setCallId(5).build(), NO_PAYLOAD);
    assertMessageContains(rejects(frame), "no kind");
    assertMessageContains(rejects(frame(Header.getDefaultInstance(), NO_PAYLOAD)), "no kind");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Upper", "has space", "colon:", "é", "line\nbreak"})
  void rejectsInvalidMetadataKey(String key) {
    Header header = request()
        .addMetadata(MetadataEntry.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v")))
        .build();
    ProtocolException e = rejects(frame(header, NO_PAYLOAD));
    assertMessageContains(e, "invalid metadata key");
    assertFalse(e.getMessage().contains("\n"), "the peer's key is escaped in the message");
  }

  @Test
  void quotesOnlyTheStartOfALongInvalidKey() {
    String key = "X".repeat(500);
    Header header = request().addMetadata(MetadataEntry.newBuilder().setKey(key)).build();
    ProtocolException e = rejects(frame(header, NO_PAYLOAD));
    assertMessageContains(e, "500 chars, truncated");
    assertTrue(e.getMessage().length() < 300, e.getMessage());
  }

  @Test
  void rejectsRepeatedMetadataKey() {
    Header header = request()
        .addMetadata(MetadataEntry.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("1")))
        .addMetadata(MetadataEntry.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("2")))
        .build();
    assertMessageContains(rejects(frame(header, NO_PAYLOAD)), "'k' appears more than once");
  }

  @Test
  void rejectsStatusDetailsThatAreNotAnAny() {
    Header header = Header.newBuilder().setKind(Kind.RESPONSE).setCallId(1)
        .setStatusCode(StatusCode.INTERNAL.number())
        .setStatusDetails(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01}))
        .build();
    assertMessageContains(rejects(frame(header, NO_PAYLOAD)), "status details");
  }

  @Test
  void rejectsNegativeMaxHeaderSize() {
    assertThrows(IllegalArgumentException.class,
        () -> CODEC.decode(ByteBuffer.wrap(frame(request().build(), NO_PAYLOAD)), -1));
  }

  // Not rejections: what the codec tolerates, so that the protocol can grow.

  @Test
  void unknownStatusCodeDecodesAsUnknown() throws Exception {
    Header header = Header.newBuilder().setKind(Kind.GOAWAY).setStatusCode(1000)
        .setStatusMessage("from the future").build();
    Envelope got = CODEC.decode(ByteBuffer.wrap(frame(header, NO_PAYLOAD)), MAX_HEADER);
    assertEquals(StatusCode.UNKNOWN, got.status().code());
    assertEquals("from the future", got.status().message());
  }

  @Test
  void statusFieldsOfOtherKindsAreIgnored() throws Exception {
    Header header = request().setStatusCode(13).setStatusMessage("ignored")
        .setStatusDetails(ByteString.copyFrom(new byte[] {(byte) 0xFF})).build();
    Envelope got = CODEC.decode(ByteBuffer.wrap(frame(header, NO_PAYLOAD)), MAX_HEADER);
    assertEquals(Envelope.Kind.REQUEST, got.kind());
    assertNull(got.status());
  }

  @Test
  void unknownHeaderFieldsAreIgnored() throws Exception {
    // field 20 (varint) = 1, as a later version might add
    byte[] header = concat(request().build().toByteArray(), new byte[] {(byte) 0xA0, 0x01, 0x01});
    Envelope got = CODEC.decode(ByteBuffer.wrap(frameWithRawHeader(header, new byte[] {7})),
        MAX_HEADER);
    assertEquals("m", got.method());
    assertEquals(1, got.payload().remaining());
  }
}
