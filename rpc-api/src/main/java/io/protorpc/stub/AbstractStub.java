package io.protorpc.stub;

import com.google.protobuf.Message;
import io.protorpc.ClientController;
import io.protorpc.Metadata;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The base of every generated client stub: an {@link RpcClient} and the {@link CallOptions} its
 * calls use. A stub is immutable; each {@code with...} method returns a new stub with changed
 * options, sharing the client:
 *
 * <pre>{@code
 * CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client)
 *     .withDeadline(Duration.ofSeconds(1));
 * }</pre>
 *
 * <p>Thread-safe: share one stub among threads. Closing the client ends the stub's use; calls
 * then fail with {@code UNAVAILABLE}.
 *
 * @param <S> the concrete stub type, which the {@code with...} methods return
 */
public abstract class AbstractStub<S extends AbstractStub<S>> {
  private final RpcClient client;
  private final CallOptions options;

  protected AbstractStub(RpcClient client, CallOptions options) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** A stub of the same kind over the same client with {@code options}. */
  protected abstract S withOptions(CallOptions options);

  /** The client this stub calls through. */
  public final RpcClient client() {
    return client;
  }

  /** The options every call of this stub uses. */
  public final CallOptions callOptions() {
    return options;
  }

  /** See {@link CallOptions#withDeadline(Duration)}. */
  public final S withDeadline(Duration timeout) {
    return withOptions(options.withDeadline(timeout));
  }

  /** See {@link CallOptions#withMetadata(Metadata)}. */
  public final S withMetadata(Metadata extra) {
    return withOptions(options.withMetadata(extra));
  }

  /** See {@link CallOptions#withCompression(boolean)}. */
  public final S withCompression(boolean compress) {
    return withOptions(options.withCompression(compress));
  }

  /** See {@link CallOptions#withWaitForReady()}. */
  public final S withWaitForReady() {
    return withOptions(options.withWaitForReady());
  }

  /** See {@link CallOptions#withFanout()}. */
  public final S withFanout() {
    return withOptions(options.withFanout());
  }

  /**
   * Makes a call and waits for its response; what a generated blocking stub's methods do.
   * Interrupting the waiting thread cancels the call. A one-way call returns the response type's
   * default instance once its request is written.
   *
   * @throws RpcException with the call's {@link io.protorpc.Status} if it failed
   */
  protected final <Q extends Message, R extends Message> R blockingCall(RpcMethod<Q, R> method,
      Q request) throws RpcException {
    ClientController c = options.newController(method);
    @SuppressWarnings("unchecked") // the client parses the response with this prototype
    R response = (R) client.callBlockingMethod(method.descriptor(), c, request,
        method.responsePrototype());
    return response;
  }

  /**
   * Starts a call; what a generated future stub's methods do. The future completes on the
   * client's callback executor, with the response or exceptionally with {@link RpcException}.
   * {@link CompletableFuture#cancel(boolean) Cancelling} it cancels the call, which the server
   * sees as {@code isCanceled()}.
   */
  protected final <Q extends Message, R extends Message> CompletableFuture<R> futureCall(
      RpcMethod<Q, R> method, Q request) {
    ClientController c = options.newController(method);
    CallFuture<R> future = new CallFuture<>(c);
    client.callMethod(method.descriptor(), c, request, method.responsePrototype(), response -> {
      if (response == null) {
        future.completeExceptionally(new RpcException(c.status()));
      } else {
        @SuppressWarnings("unchecked") // parsed with the method's response prototype
        R r = (R) response;
        future.complete(r);
      }
    });
    return future;
  }

  /** A call's future: cancelling it cancels the call. */
  private static final class CallFuture<R> extends CompletableFuture<R> {
    private final ClientController controller;

    CallFuture(ClientController controller) {
      this.controller = controller;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        controller.startCancel();
      }
      return cancelled;
    }
  }

  @Override
  public String toString() {
    Object server = client.address() != null ? client.address() : client.target().orElse("");
    return getClass().getSimpleName() + "{" + server + ", " + options + "}";
  }
}
