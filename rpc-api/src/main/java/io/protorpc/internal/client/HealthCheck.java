package io.protorpc.internal.client;

import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.health.Health;
import io.protorpc.health.HealthCheckRequest;
import io.protorpc.health.HealthCheckResponse;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import io.protorpc.spi.Envelope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One client-side health check: a {@code protorpc.health.v1.Health/Check} call for one service
 * on one subchannel's connection, and its verdict. A server answering {@code SERVING} serves; one
 * without the health service ({@code UNIMPLEMENTED}) counts as serving, since it cannot say
 * otherwise; any other answer or failure (another status, {@code NOT_FOUND} for a service it does
 * not know, no answer by the check's deadline) means not serving. Immutable; thread-safe.
 */
public final class HealthCheck {
  /** Shortest interval between checks of one server. */
  public static final Duration MIN_INTERVAL = Duration.ofMillis(10);
  /** Longest interval between checks of one server. */
  public static final Duration MAX_INTERVAL = Duration.ofHours(1);
  private static final long MIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long MAX_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Turns a response's payload back into the encoded message (decompressing it). */
  @FunctionalInterface
  public interface Decoder {
    ByteBuffer decode(Envelope response) throws IOException;
  }

  private final String service;
  private final long intervalNanos;
  private final long timeoutNanos;
  private final Clock clock;
  private final Decoder decoder;
  private final byte[] request;

  /**
   * @param service the service whose status counts ("" for the server as a whole)
   * @param interval between the end of one check and the start of the next; each check's
   *     deadline is the interval too, at least 1 s and at most 10 s
   * @throws IllegalArgumentException if the interval is outside {@link #MIN_INTERVAL} to {@link
   *     #MAX_INTERVAL}
   */
  public HealthCheck(String service, Duration interval, Clock clock, Decoder decoder) {
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
      throw new IllegalArgumentException("a health check interval is from " + MIN_INTERVAL
          + " to " + MAX_INTERVAL + ", not " + interval);
    }
    this.service = service;
    this.intervalNanos = interval.toNanos();
    this.timeoutNanos = Math.min(MAX_TIMEOUT_NANOS, Math.max(MIN_TIMEOUT_NANOS, intervalNanos));
    this.clock = clock;
    this.decoder = decoder;
    this.request = HealthCheckRequest.newBuilder().setService(service).build().toByteArray();
  }

  public long intervalNanos() {
    return intervalNanos;
  }

  public String service() {
    return service;
  }

  /**
   * Asks the server behind {@code subchannel} once; {@code verdict} gets whether it serves, once,
   * on whichever thread ends the check (by the check's deadline at the latest). Returns at once.
   */
  public void check(Subchannel subchannel, Consumer<Boolean> verdict) {
    ClientCall call = new ClientCall(Health.SERVICE_NAME, "Check", Metadata.empty(),
        ByteBuffer.wrap(request), "", request.length, false, false, timeoutNanos, clock,
        (status, response) -> verdict.accept(serving(status, response)));
    call.start(c -> {
      if (!subchannel.startIfReady(c)) {
        c.closedBy(Status.of(StatusCode.UNAVAILABLE, "not connected"), null,
            ClientCall.Delivery.NOT_SENT);
      }
    });
  }

  private boolean serving(Status status, Envelope response) {
    if (status.code() == StatusCode.UNIMPLEMENTED) {
      return true; // no health service there: nothing says it does not serve
    }
    if (!status.isOk() || response == null) {
      return false;
    }
    try {
      return HealthCheckResponse.parseFrom(decoder.decode(response)).getStatus()
          == ServingStatus.SERVING;
    } catch (IOException | RuntimeException e) {
      return false; // an answer we cannot read says nothing of serving
    }
  }
}
