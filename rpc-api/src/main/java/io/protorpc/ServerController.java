package io.protorpc;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import java.net.SocketAddress;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The server side of one call, handed to the service's handler: the request metadata and
 * deadline coming in; failure status and response metadata going out; and whether the client has
 * gone away ({@link #isCanceled()}, {@link #notifyOnCancel}).
 *
 * <p>Thread-safety: all methods may be called from any thread. Set the failure and response
 * metadata before running the call's done callback (or returning from a blocking handler). An
 * async handler that {@linkplain #setFailed fails} the call and returns without running {@code
 * done} is answered with that failure as it returns; the call is answered once, so a {@code done}
 * run later is ignored.
 */
public final class ServerController implements RpcController {
  private static final System.Logger LOG = System.getLogger(ServerController.class.getName());

  private final String service;
  private final String method;
  private final SocketAddress remoteAddress;
  private final Metadata requestMetadata;
  private final long deadlineNanos; // System.nanoTime() based; Long.MAX_VALUE for none
  private final SSLSession sslSession; // null: plaintext
  private final Metadata responseMetadata = new Metadata();
  private volatile Status status = Status.OK;
  private final List<RpcCallback<Object>> cancelCallbacks = new ArrayList<>(0);
  private boolean canceled; // guarded by cancelCallbacks

  ServerController(String service, String method, SocketAddress remoteAddress,
      SSLSession sslSession, Metadata requestMetadata, long deadlineNanos) {
    this.sslSession = sslSession;
    this.service = service;
    this.method = method;
    this.remoteAddress = remoteAddress;
    this.requestMetadata = requestMetadata;
    this.deadlineNanos = deadlineNanos;
  }

  /** Full name of the called service, e.g. {@code "calc.Calculator"}. */
  public String serviceName() {
    return service;
  }

  /** Name of the called method. */
  public String methodName() {
    return method;
  }

  /** The client's address. */
  public SocketAddress remoteAddress() {
    return remoteAddress;
  }

  /** The connection's TLS session, or empty for plaintext. */
  public Optional<SSLSession> sslSession() {
    return Optional.ofNullable(sslSession);
  }

  /**
   * The client's identity from its TLS certificate (mutual TLS), or empty when the connection is
   * plaintext or the client presented no certificate. For authorization in a {@link
   * ServerInterceptor}.
   */
  public Optional<Principal> peerPrincipal() {
    if (sslSession == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(sslSession.getPeerPrincipal());
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** Metadata the client sent. Treat as read-only. */
  public Metadata requestMetadata() {
    return requestMetadata;
  }

  /** Metadata to send back with the response; mutable until the response is sent. */
  public Metadata responseMetadata() {
    return responseMetadata;
  }

  /** Time left until the client's deadline, or empty when the client set none. Negative once passed. */
  public Optional<Duration> timeRemaining() {
    return deadlineNanos == Long.MAX_VALUE
        ? Optional.empty() : Optional.of(Duration.ofNanos(deadlineNanos - System.nanoTime()));
  }

  /** Fails the call with {@code UNKNOWN} and this reason (the protobuf generic-service way). */
  @Override
  public void setFailed(String reason) {
    setFailed(Status.of(StatusCode.UNKNOWN, reason));
  }

  /**
   * Fails the call with this status, which may carry typed details (see {@link
   * Status#withDetails}).
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

  /** Whether the handler failed the call. */
  @Override
  public boolean failed() {
    return !status.isOk();
  }

  /** The status the call will be answered with (OK unless failed). */
  public Status status() {
    return status;
  }

  @Override
  public String errorText() {
    Status s = status;
    return s.isOk() ? null : s.message();
  }

  /**
   * True once the client cancelled the call, its deadline passed, or its connection closed: the
   * result will not be delivered, so the handler may stop working.
   */
  @Override
  public boolean isCanceled() {
    synchronized (cancelCallbacks) {
      return canceled;
    }
  }

  /**
   * Runs {@code callback} (with a null argument) once when the call is cancelled; at once if it
   * already is. Callbacks run on the thread that observes the cancellation.
   */
  @Override
  public void notifyOnCancel(RpcCallback<Object> callback) {
    Objects.requireNonNull(callback, "callback");
    synchronized (cancelCallbacks) {
      if (!canceled) {
        cancelCallbacks.add(callback);
        return;
      }
    }
    runCallback(callback);
  }

  /** Client-side only: always throws {@link UnsupportedOperationException}. */
  @Override
  public void reset() {
    throw new UnsupportedOperationException("reset is for the client side");
  }

  /** Client-side only: always throws {@link UnsupportedOperationException}. */
  @Override
  public void startCancel() {
    throw new UnsupportedOperationException("startCancel is for the client side");
  }

  /** Marks the call cancelled and runs the callbacks; returns false if it already was. */
  boolean cancel() {
    List<RpcCallback<Object>> toRun;
    synchronized (cancelCallbacks) {
      if (canceled) {
        return false;
      }
      canceled = true;
      toRun = new ArrayList<>(cancelCallbacks);
      cancelCallbacks.clear();
    }
    toRun.forEach(ServerController::runCallback);
    return true;
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  private static void runCallback(RpcCallback<Object> callback) {
    try {
      callback.run(null);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "notifyOnCancel callback threw", e);
    }
  }
}
