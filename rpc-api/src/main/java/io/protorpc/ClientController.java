package io.protorpc;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import java.time.Duration;
import java.util.Objects;

/**
 * The client side of one call: its timeout and request metadata going in, its {@link Status} and
 * response metadata coming out, and {@link #startCancel()}. Pass a fresh (or {@link #reset()})
 * controller to each call made through an {@link RpcClient}.
 *
 * <p>Thread-safety: configure it before the call on one thread; the outcome is safe to read from
 * any thread once the call's callback has run (or the blocking call has returned or thrown).
 * {@link #startCancel()} may be called from any thread at any time.
 */
public final class ClientController implements RpcController {
  private Duration timeout;
  private boolean oneWay;
  private boolean fanout;
  private Boolean compress;
  private Boolean waitForReady;
  private Metadata requestMetadata = new Metadata();
  private volatile Metadata responseMetadata = Metadata.empty();
  private volatile Status status = Status.OK;
  private volatile boolean cancelRequested;
  private volatile Runnable canceller;

  /** A controller for one call, with no timeout (the client's default applies) and no metadata. */
  public ClientController() {}

  /**
   * Sets how long the call may take, from when it starts; past that it fails with {@code
   * DEADLINE_EXCEEDED} whether or not the server answers. The server is told the deadline. Null
   * uses the client's default.
   */
  public ClientController setTimeout(Duration timeout) {
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.timeout = timeout;
    return this;
  }

  /** The timeout set on this call, or null for the client's default. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * Makes the call one-way: the server runs it but sends no response, and the call completes
   * (with the response type's default instance) as soon as the request is written. Failures on the
   * server are not reported.
   */
  public ClientController setOneWay(boolean oneWay) {
    this.oneWay = oneWay;
    return this;
  }

  /** Whether this call was made one-way. */
  public boolean isOneWay() {
    return oneWay;
  }

  /**
   * Makes the call a fanout: one-way, to every server listening on the client's message target
   * right now, once each (docs/broker.md). Only a client built for a message target can fan out;
   * on others the call fails with {@code INVALID_ARGUMENT}. {@link RpcClient#fanout()} gives a
   * channel whose every call is one.
   */
  public ClientController setFanout(boolean fanout) {
    this.fanout = fanout;
    return this;
  }

  /** Whether this call was made a fanout. */
  public boolean isFanout() {
    return fanout;
  }

  /**
   * Whether the call, when the client has no connection, waits for one (retrying with the
   * client's backoff until the call's deadline) instead of failing at once with {@code
   * UNAVAILABLE}. Null (the default) uses the client's setting.
   */
  public ClientController setWaitForReady(Boolean waitForReady) {
    this.waitForReady = waitForReady;
    return this;
  }

  /** This call's wait-for-ready setting, or null for the client's. */
  public Boolean waitForReady() {
    return waitForReady;
  }

  /**
   * Overrides the compression threshold for this call's request: true compresses it with the
   * client's compressor whatever its size, false sends it uncompressed; null (the default) lets
   * the threshold decide. A compressed request is sent only if it came out smaller.
   */
  public ClientController setCompress(Boolean compress) {
    this.compress = compress;
    return this;
  }

  /** This call's compression override, or null for the threshold. */
  public Boolean compress() {
    return compress;
  }

  /** Metadata sent with the request; mutable until the call starts. */
  public Metadata requestMetadata() {
    return requestMetadata;
  }

  /** Metadata the server sent with its response; empty until the call completes. */
  public Metadata responseMetadata() {
    return responseMetadata;
  }

  /** The call's outcome: {@link Status#OK} until it fails. */
  public Status status() {
    return status;
  }

  @Override
  public boolean failed() {
    return !status.isOk();
  }

  /** The failure's message (the status code's name when it has none), or null if not failed. */
  @Override
  public String errorText() {
    Status s = status;
    if (s.isOk()) {
      return null;
    }
    return s.message().isEmpty() ? s.code().name() : s.message();
  }

  /** Makes this controller reusable for another call. Do not call it while a call is running. */
  @Override
  public void reset() {
    timeout = null;
    oneWay = false;
    fanout = false;
    compress = null;
    waitForReady = null;
    requestMetadata = new Metadata();
    responseMetadata = Metadata.empty();
    status = Status.OK;
    cancelRequested = false;
    canceller = null;
  }

  /**
   * Asks to cancel the call: it completes at once with {@code CANCELLED} (if it has not completed
   * already) and the server is told, so its controller reports {@link ServerController#isCanceled()}.
   */
  @Override
  public void startCancel() {
    cancelRequested = true;
    Runnable c = canceller;
    if (c != null) {
      c.run();
    }
  }

  /** Whether {@link #startCancel()} was called. */
  @Override
  public boolean isCanceled() {
    return cancelRequested;
  }

  /**
   * Marks the call failed with {@code UNKNOWN} and this reason. For channels other than {@link
   * RpcClient} and for {@link ClientInterceptor}s; an RpcClient sets the status itself.
   */
  @Override
  public void setFailed(String reason) {
    status = Status.of(StatusCode.UNKNOWN, reason);
  }

  /**
   * Marks the call failed with this status: how a {@link ClientInterceptor} rejects a call before
   * it is sent (then it runs the call's callback with null instead of proceeding).
   *
   * @throws IllegalArgumentException if {@code status} is OK
   */
  public void setFailed(Status status) {
    Objects.requireNonNull(status, "status");
    if (status.isOk()) {
      throw new IllegalArgumentException("setFailed needs a non-OK status");
    }
    this.status = status;
  }

  /** Server-side only: always throws {@link UnsupportedOperationException}. */
  @Override
  public void notifyOnCancel(RpcCallback<Object> callback) {
    throw new UnsupportedOperationException("notifyOnCancel is for the server side");
  }

  // --- called by RpcClient ---

  /** Binds the running call's cancel action; runs it at once if cancel was already asked. */
  void begin(Runnable cancelAction) {
    this.canceller = Objects.requireNonNull(cancelAction);
    if (cancelRequested) {
      cancelAction.run();
    }
  }

  /** Drops the cancel action of a call that has completed. */
  void end() {
    this.canceller = null;
  }

  void complete(Status outcome, Metadata metadata) {
    this.responseMetadata = metadata == null ? Metadata.empty() : metadata;
    this.status = outcome;
    this.canceller = null;
  }
}
