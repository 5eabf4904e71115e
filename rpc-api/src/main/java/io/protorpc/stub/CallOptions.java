package io.protorpc.stub;

import io.protorpc.ClientController;
import io.protorpc.Metadata;
import java.time.Duration;
import java.util.Objects;

/**
 * The per-call settings a generated stub applies to every call it makes: a deadline, request
 * metadata, a compression override, wait-for-ready, and fanout. Each {@code with...} method returns a
 * changed copy; {@link #DEFAULT} sets nothing, so the {@link io.protorpc.RpcClient}'s defaults
 * apply.
 *
 * <p>Immutable and thread-safe.
 */
public final class CallOptions {
  /** No deadline, no metadata, the client's compression threshold and wait-for-ready setting. */
  public static final CallOptions DEFAULT =
      new CallOptions(null, Metadata.empty(), null, false, false);

  private final Duration deadline;
  private final Metadata metadata; // never mutated after construction
  private final Boolean compression;
  private final boolean waitForReady;
  private final boolean fanout;

  private CallOptions(Duration deadline, Metadata metadata, Boolean compression,
      boolean waitForReady, boolean fanout) {
    this.deadline = deadline;
    this.metadata = metadata;
    this.compression = compression;
    this.waitForReady = waitForReady;
    this.fanout = fanout;
  }

  /**
   * A copy whose calls must each end within {@code timeout} of their start: past it a call fails
   * with {@code DEADLINE_EXCEEDED}, and the server, which is told the deadline, sees it cancelled.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public CallOptions withDeadline(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("deadline must be positive: " + timeout);
    }
    return new CallOptions(timeout, metadata, compression, waitForReady, fanout);
  }

  /**
   * A copy that also sends these entries with every request (copied now; later changes to {@code
   * extra} are not seen). An entry replaces an earlier one with the same key.
   */
  public CallOptions withMetadata(Metadata extra) {
    Objects.requireNonNull(extra, "extra");
    Metadata merged = metadata.copy();
    for (String key : extra.keys()) {
      merged.putBytes(key, extra.getBytes(key));
    }
    return new CallOptions(deadline, merged, compression, waitForReady, fanout);
  }

  /**
   * A copy that compresses every request with the client's compressor whatever its size ({@code
   * true}) or sends every request uncompressed ({@code false}), instead of letting the client's
   * compression threshold decide.
   */
  public CallOptions withCompression(boolean compress) {
    return new CallOptions(deadline, metadata, compress, waitForReady, fanout);
  }

  /**
   * A copy whose calls, when the client has no connection, wait for one (until their deadline)
   * instead of failing at once with {@code UNAVAILABLE}.
   */
  public CallOptions withWaitForReady() {
    return new CallOptions(deadline, metadata, compression, true, fanout);
  }

  /**
   * A copy whose calls are fanouts ({@link ClientController#setFanout}): one-way, to every server
   * listening on the client's message target right now, once each; a call completes, with the
   * response type's default instance, once the broker has the request. Only a client built for a
   * message target can fan out; on others the calls fail with {@code INVALID_ARGUMENT}.
   */
  public CallOptions withFanout() {
    return new CallOptions(deadline, metadata, compression, waitForReady, true);
  }

  /** The per-call deadline, or null for the client's default timeout. */
  public Duration deadline() {
    return deadline;
  }

  /** A copy of the metadata sent with every request. */
  public Metadata metadata() {
    return metadata.copy();
  }

  /** The compression override, or null for the client's threshold. */
  public Boolean compression() {
    return compression;
  }

  public boolean isWaitForReady() {
    return waitForReady;
  }

  public boolean isFanout() {
    return fanout;
  }

  /** A fresh controller for one call of {@code method} with these settings. */
  ClientController newController(RpcMethod<?, ?> method) {
    ClientController c = new ClientController()
        .setTimeout(deadline)
        .setCompress(compression)
        .setOneWay(method.isOneWay());
    if (waitForReady) {
      c.setWaitForReady(true);
    }
    if (fanout) {
      c.setFanout(true);
    }
    Metadata request = c.requestMetadata();
    for (String key : metadata.keys()) {
      request.putBytes(key, metadata.getBytes(key));
    }
    return c;
  }

  @Override
  public String toString() {
    return "CallOptions{deadline=" + deadline + ", metadata=" + metadata.keys()
        + ", compression=" + compression + ", waitForReady=" + waitForReady
        + (fanout ? ", fanout" : "") + "}";
  }
}
