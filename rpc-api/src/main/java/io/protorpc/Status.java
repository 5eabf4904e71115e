package io.protorpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a call: a {@link StatusCode}, a human-readable message, and optional typed
 * details (any protobuf message, carried as {@link Any}) so that an application error, say an
 * {@code InvalidOperation}, reaches the caller as something it can inspect. Immutable and
 * thread-safe.
 */
public final class Status {
  /** The success status. */
  public static final Status OK = new Status(StatusCode.OK, "", null);

  private final StatusCode code;
  private final String message;
  private final Any details;

  private Status(StatusCode code, String message, Any details) {
    this.code = Objects.requireNonNull(code, "code");
    this.message = message == null ? "" : message;
    this.details = details;
  }

  /** A status with a code and a message. */
  public static Status of(StatusCode code, String message) {
    return new Status(code, message, null);
  }

  /** A copy carrying {@code details}, packed as {@link Any}. */
  public Status withDetails(Message details) {
    Objects.requireNonNull(details, "details");
    return new Status(code, message, details instanceof Any any ? any : Any.pack(details));
  }

  /** A copy with the given already-packed details (null for none). */
  public Status withDetails(Any details) {
    return new Status(code, message, details);
  }

  public StatusCode code() {
    return code;
  }

  /** Never null; empty when there is none. */
  public String message() {
    return message;
  }

  public boolean isOk() {
    return code == StatusCode.OK;
  }

  /** The packed details, if any. */
  public Optional<Any> details() {
    return Optional.ofNullable(details);
  }

  /**
   * The details unpacked as {@code type}, or empty when there are none or they are of another
   * type.
   *
   * @throws IllegalStateException if the details claim to be {@code type} but do not parse
   */
  public <T extends Message> Optional<T> details(Class<T> type) {
    if (details == null || !details.is(type)) {
      return Optional.empty();
    }
    try {
      return Optional.of(details.unpack(type));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("status details are not a valid " + type.getName(), e);
    }
  }

  /** This status as an exception (for blocking calls). */
  public RpcException asException() {
    return new RpcException(this);
  }

  /** {@code "CODE: message"}, the form {@link ClientController#errorText()} reports. */
  @Override
  public String toString() {
    return message.isEmpty() ? code.name() : code.name() + ": " + message;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Status s
        && s.code == code && s.message.equals(message) && Objects.equals(s.details, details);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, message, details);
  }
}
