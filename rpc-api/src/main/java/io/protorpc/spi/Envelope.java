package io.protorpc.spi;

import io.protorpc.Metadata;
import io.protorpc.Status;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One message on a connection, as the core hands it to a {@link Codec}: a kind, the call it
 * belongs to, the call header fields that kind uses, and the (possibly compressed) payload.
 *
 * @param kind what the message is
 * @param callId the call it belongs to; unique per connection among calls in flight; 0 for
 *     connection-level messages ({@link Kind#PING}, {@link Kind#PONG}, {@link Kind#GOAWAY})
 * @param service full name of the protobuf service (requests only, else empty)
 * @param method method name (requests only, else empty)
 * @param timeoutMicros time the caller still waits, in microseconds; 0 for no deadline (requests)
 * @param metadata request or response metadata; never null, may be empty
 * @param status outcome of the call (responses) or the reason (go-away); null elsewhere. A
 *     response or go-away built with a null status is given {@link Status#OK}
 * @param compression name of the {@link Compressor} that compressed the payload; empty for none
 * @param payload the serialized (and maybe compressed) message; empty when there is none
 * @param flags bit flags, see {@link #FLAG_ONE_WAY} and {@link #FLAG_UNPROCESSED}; unknown bits
 *     are ignored
 */
public record Envelope(
    Kind kind,
    long callId,
    String service,
    String method,
    long timeoutMicros,
    Metadata metadata,
    Status status,
    String compression,
    ByteBuffer payload,
    int flags) {

  /** On a {@link Kind#REQUEST}: a one-way call; the server runs it and sends no response. */
  public static final int FLAG_ONE_WAY = 1;

  /**
   * On a {@link Kind#RESPONSE}: the server refused the call without starting it (it was going
   * away when the request arrived), so sending it again, to a new connection, is safe.
   */
  public static final int FLAG_UNPROCESSED = 2;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

  /** What an envelope is. The numbers are the wire values. */
  public enum Kind {
    /** A call: service, method, deadline, metadata and request payload. */
    REQUEST(1),
    /** The answer to a call: status, response metadata and, on success, the response payload. */
    RESPONSE(2),
    /** The client gave up on a call; the server may stop working on it. */
    CANCEL(3),
    /** Liveness probe; answered with {@link #PONG} carrying the same payload. */
    PING(4),
    /** Answer to {@link #PING}. */
    PONG(5),
    /** The sender will close the connection; {@code status} says why. */
    GOAWAY(6);

    private static final Kind[] BY_NUMBER = {null, REQUEST, RESPONSE, CANCEL, PING, PONG, GOAWAY};

    private final int number;

    Kind(int number) {
      this.number = number;
    }

    /** The wire value. */
    public int number() {
      return number;
    }

    /** The kind with this wire value, or null if there is none. */
    public static Kind forNumber(int number) {
      return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }
  }

  public Envelope {
    Objects.requireNonNull(kind, "kind");
    service = service == null ? "" : service;
    method = method == null ? "" : method;
    metadata = metadata == null ? Metadata.empty() : metadata;
    compression = compression == null ? "" : compression;
    payload = payload == null ? EMPTY : payload;
    if (status == null && (kind == Kind.RESPONSE || kind == Kind.GOAWAY)) {
      status = Status.OK;
    }
  }

  /** An envelope without flags. */
  public Envelope(Kind kind, long callId, String service, String method, long timeoutMicros,
      Metadata metadata, Status status, String compression, ByteBuffer payload) {
    this(kind, callId, service, method, timeoutMicros, metadata, status, compression, payload, 0);
  }

  /** A request envelope. */
  public static Envelope request(
      long callId, String service, String method, long timeoutMicros, Metadata metadata,
      String compression, ByteBuffer payload) {
    return request(callId, service, method, timeoutMicros, metadata, compression, payload, 0);
  }

  /** A request envelope with flags (e.g. {@link #FLAG_ONE_WAY}). */
  public static Envelope request(
      long callId, String service, String method, long timeoutMicros, Metadata metadata,
      String compression, ByteBuffer payload, int flags) {
    return new Envelope(Kind.REQUEST, callId, service, method, timeoutMicros, metadata, null,
        compression, payload, flags);
  }

  /** Whether {@link #FLAG_ONE_WAY} is set. */
  public boolean isOneWay() {
    return (flags & FLAG_ONE_WAY) != 0;
  }

  /** A response envelope; {@code payload} is empty unless {@code status} is OK. */
  public static Envelope response(
      long callId, Status status, Metadata metadata, String compression, ByteBuffer payload) {
    return response(callId, status, metadata, compression, payload, 0);
  }

  /** A response envelope with flags (e.g. {@link #FLAG_UNPROCESSED}). */
  public static Envelope response(long callId, Status status, Metadata metadata,
      String compression, ByteBuffer payload, int flags) {
    return new Envelope(Kind.RESPONSE, callId, "", "", 0, metadata, status, compression, payload,
        flags);
  }

  /** Whether {@link #FLAG_UNPROCESSED} is set. */
  public boolean isUnprocessed() {
    return (flags & FLAG_UNPROCESSED) != 0;
  }

  /** A control envelope ({@link Kind#CANCEL}, {@link Kind#PING}, {@link Kind#PONG}, {@link Kind#GOAWAY}). */
  public static Envelope control(Kind kind, long callId, Status status, ByteBuffer payload) {
    return new Envelope(kind, callId, "", "", 0, null, status, "", payload);
  }
}
