package io.protorpc.codec.protobuf;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.codec.protobuf.wire.Header;
import io.protorpc.codec.protobuf.wire.MetadataEntry;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The {@code protobuf} codec: an {@link Envelope}'s call header as a protobuf message
 * ({@code protorpc.Header}, see {@code protorpc/envelope.proto}), its payload as raw bytes after it.
 *
 * <h2>Frame layout</h2>
 *
 * <pre>
 * +---------------------+---------------------+---------------------------------+
 * | header_length       | Header              | payload                         |
 * | varint32, 1-5 bytes | header_length bytes | the rest of the frame, 0+ bytes |
 * +---------------------+---------------------+---------------------------------+
 * </pre>
 *
 * <p>{@code header_length} is an unsigned base-128 varint of at most 5 bytes (protobuf's
 * {@code uint32} encoding). The header carries kind, call id, service, method, timeout, metadata,
 * compression and, for {@link Envelope.Kind#RESPONSE RESPONSE} and {@link Envelope.Kind#GOAWAY
 * GOAWAY} only, the status (code, message, details as a serialized {@code google.protobuf.Any}).
 * The payload has no length of its own: the frame's end, which the framing knows, ends it.
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>{@link #encode} copies no payload bytes: it returns two parts, a new buffer holding the
 *       length prefix and the header, and a {@link ByteBuffer#duplicate() duplicate} of the
 *       payload. Neither the envelope's payload position nor its content is changed.
 *   <li>{@link #decode} copies no payload bytes either: the envelope's payload is a slice of the
 *       frame, so it is valid as long as the frame's content is. The frame's position and limit
 *       are left unchanged.
 *   <li>{@link #decode} validates before it allocates: a malformed or truncated length prefix, a
 *       header longer than {@code maxHeaderSize} ({@link LimitExceededException}) or longer than
 *       the frame, an unparseable header, a missing or unknown kind, an invalid or repeated
 *       metadata key, or status details that are not an {@code Any} all end in a {@link
 *       ProtocolException}; no other exception escapes for any input.
 *   <li>A decoded RESPONSE or GOAWAY always has a non-null {@link Status} (an encoded envelope of
 *       these kinds without a status decodes as {@link Status#OK}); every other kind decodes with a
 *       null status, and a status given to {@code encode} for those kinds is not sent. A status
 *       code this version does not know decodes as {@link StatusCode#UNKNOWN}.
 *   <li>Decoded metadata is {@link Metadata#empty()} (immutable) when the frame carries none, and a
 *       new mutable {@link Metadata} otherwise.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ProtobufCodec implements Codec {
  /** The name this codec is looked up by. */
  public static final String NAME = "protobuf";

  /** A {@code uint32} varint never needs more bytes than this. */
  private static final int MAX_VARINT32_BYTES = 5;

  /** How much of a peer's invalid metadata key an error message quotes. */
  private static final int MAX_QUOTED_KEY = 64;

  /** Creates the codec; ServiceLoader calls this, and so may a user registering it explicitly. */
  public ProtobufCodec() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ByteBuffer[] encode(Envelope envelope) {
    Objects.requireNonNull(envelope, "envelope");
    Header header = toHeader(envelope);
    int headerLength = header.getSerializedSize();
    byte[] prefixAndHeader =
        new byte[CodedOutputStream.computeUInt32SizeNoTag(headerLength) + headerLength];
    CodedOutputStream out = CodedOutputStream.newInstance(prefixAndHeader);
    try {
      out.writeUInt32NoTag(headerLength);
      header.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      // Writing into an array of exactly the computed size cannot fail.
      throw new IllegalStateException("header serialization did not fit its computed size", e);
    }
    return new ByteBuffer[] {ByteBuffer.wrap(prefixAndHeader), envelope.payload().duplicate()};
  }

  @Override
  public Envelope decode(ByteBuffer frame, int maxHeaderSize) throws ProtocolException {
    Objects.requireNonNull(frame, "frame");
    if (maxHeaderSize < 0) {
      throw new IllegalArgumentException("maxHeaderSize must be >= 0: " + maxHeaderSize);
    }
    int start = frame.position();
    int end = frame.limit();
    if (start == end) {
      throw new ProtocolException("empty frame: no header length");
    }

    // The length prefix, read with absolute gets so that the frame's position stays put.
    long headerLength = 0;
    int index = start;
    for (int shift = 0; ; shift += 7) {
      if (index == end) {
        throw new ProtocolException("truncated header length: the frame ends inside its varint");
      }
      byte b = frame.get(index++);
      headerLength |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        break;
      }
      if (index - start == MAX_VARINT32_BYTES) {
        throw new ProtocolException(
            "malformed header length: varint longer than " + MAX_VARINT32_BYTES + " bytes");
      }
    }
    if (headerLength > 0xFFFF_FFFFL) {
      throw new ProtocolException("malformed header length: varint exceeds 32 bits");
    }
    if (headerLength > maxHeaderSize) {
      throw new LimitExceededException("header of " + headerLength
          + " bytes exceeds the maximum of " + maxHeaderSize + " bytes");
    }
    int afterPrefix = end - index;
    if (headerLength > afterPrefix) {
      throw new ProtocolException("truncated header: header length is " + headerLength
          + " bytes but only " + afterPrefix + " bytes follow");
    }

    int length = (int) headerLength;
    Header header = parseHeader(frame.slice(index, length));
    ByteBuffer payload = frame.slice(index + length, afterPrefix - length);
    return toEnvelope(header, payload);
  }

  private static boolean carriesStatus(Envelope.Kind kind) {
    return kind == Envelope.Kind.RESPONSE || kind == Envelope.Kind.GOAWAY;
  }

  private static Header toHeader(Envelope envelope) {
    Header.Builder header = Header.newBuilder()
        .setKindValue(envelope.kind().number())
        .setCallId(envelope.callId())
        .setService(envelope.service())
        .setMethod(envelope.method())
        .setTimeoutMicros(envelope.timeoutMicros())
        .setCompression(envelope.compression())
        .setFlags(envelope.flags());
    Metadata metadata = envelope.metadata();
    for (String key : metadata.keys()) {
      // getBytes returns a fresh copy that nothing else holds, so wrapping it is safe.
      header.addMetadata(MetadataEntry.newBuilder()
          .setKey(key)
          .setValue(UnsafeByteOperations.unsafeWrap(metadata.getBytes(key))));
    }
    Status status = envelope.status();
    if (status != null && carriesStatus(envelope.kind())) {
      header.setStatusCode(status.code().number()).setStatusMessage(status.message());
      status.details().ifPresent(details -> header.setStatusDetails(details.toByteString()));
    }
    return header.build();
  }

  /** Parses exactly {@code bytes} as a Header, without copying them when they are in an array. */
  private static Header parseHeader(ByteBuffer bytes) throws ProtocolException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    try {
      Header header = Header.parseFrom(in);
      // A stray end-group tag must not end the header early with the rest unread. protobuf-java
      // 4.x already rejects one while parsing; parseFrom(ByteBuffer) checks this too, so do the
      // same rather than depend on the runtime version.
      in.checkLastTagWas(0);
      return header;
    } catch (IOException e) {
      throw new ProtocolException("unparseable header: " + e.getMessage(), e);
    }
  }

  private static Envelope toEnvelope(Header header, ByteBuffer payload) throws ProtocolException {
    int kindNumber = header.getKindValue();
    Envelope.Kind kind = Envelope.Kind.forNumber(kindNumber);
    if (kind == null) {
      throw new ProtocolException(
          kindNumber == 0 ? "header has no kind" : "unknown envelope kind " + kindNumber);
    }
    return new Envelope(
        kind,
        header.getCallId(),
        header.getService(),
        header.getMethod(),
        header.getTimeoutMicros(),
        toMetadata(header),
        carriesStatus(kind) ? toStatus(header) : null,
        header.getCompression(),
        payload,
        header.getFlags());
  }

  private static Metadata toMetadata(Header header) throws ProtocolException {
    if (header.getMetadataCount() == 0) {
      return Metadata.empty();
    }
    Metadata metadata = new Metadata();
    for (MetadataEntry entry : header.getMetadataList()) {
      String key = entry.getKey();
      if (metadata.containsKey(key)) {
        throw new ProtocolException("metadata key " + quote(key) + " appears more than once");
      }
      try {
        metadata.putBytes(key, entry.getValue().toByteArray());
      } catch (IllegalArgumentException e) {
        throw new ProtocolException("invalid metadata key " + quote(key)
            + ": keys may hold only a-z 0-9 - _ . and must not be empty", e);
      }
    }
    return metadata;
  }

  private static Status toStatus(Header header) throws ProtocolException {
    StatusCode code = StatusCode.forNumber(header.getStatusCode());
    String message = header.getStatusMessage();
    ByteString details = header.getStatusDetails();
    if (details.isEmpty()) {
      return code == StatusCode.OK && message.isEmpty() ? Status.OK : Status.of(code, message);
    }
    try {
      Any any = Any.parseFrom(details);
      // An empty Any encodes to no bytes at all, so it cannot be told from "no details": read it
      // as none, as a re-encoding would.
      return any.equals(Any.getDefaultInstance())
          ? Status.of(code, message) : Status.of(code, message).withDetails(any);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(
          "status details are not a valid google.protobuf.Any: " + e.getMessage(), e);
    }
  }

  /** A peer's string, made safe and short enough for an error message. */
  private static String quote(String s) {
    int shown = Math.min(s.length(), MAX_QUOTED_KEY);
    StringBuilder out = new StringBuilder(shown + 16).append('\'');
    for (int i = 0; i < shown; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    out.append('\'');
    if (s.length() > shown) {
      out.append(" (").append(s.length()).append(" chars, truncated)");
    }
    return out.toString();
  }
}
