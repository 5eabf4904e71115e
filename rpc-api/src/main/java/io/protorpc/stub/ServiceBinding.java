package io.protorpc.stub;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import com.google.protobuf.Service;
import io.protorpc.RpcException;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A service implementation bound to its descriptor, as the {@link Service} that {@link
 * io.protorpc.RpcServer.Builder#addService(Service)} serves: what a generated {@code
 * FooRpc.bindService(impl)} returns. Each method of the service has one handler, blocking or
 * async:
 *
 * <ul>
 *   <li>a {@link BlockingHandler} returns the response or throws {@link RpcException} to answer
 *       with that status;
 *   <li>an {@link AsyncHandler} returns a {@link CompletableFuture}; completing it exceptionally
 *       with an {@link RpcException} answers with its status, with anything else {@code UNKNOWN}.
 *       When the call is cancelled (client cancel, deadline, lost connection) the future is
 *       cancelled too.
 * </ul>
 *
 * <p>Both get the call's {@link ServerController}: its metadata, deadline ({@code
 * timeRemaining()}), cancellation ({@code isCanceled()}, {@code notifyOnCancel}) and response
 * metadata. A handler's runtime exception is answered {@code UNKNOWN}, as for any service.
 *
 * <p>Immutable and thread-safe; handlers run on the server's handler threads, concurrently.
 */
public final class ServiceBinding implements Service {
  private final ServiceDescriptor descriptor;
  private final Handler<?, ?>[] handlers; // by method index

  private ServiceBinding(ServiceDescriptor descriptor, Handler<?, ?>[] handlers) {
    this.descriptor = descriptor;
    this.handlers = handlers;
  }

  /** Starts binding handlers to the methods of {@code service}. */
  public static Builder builder(ServiceDescriptor service) {
    return new Builder(service);
  }

  /** The server side of one method, answering with its response or an exception. */
  @FunctionalInterface
  public interface BlockingHandler<Q extends Message, R extends Message> {
    R handle(Q request, ServerController call) throws RpcException;
  }

  /** The server side of one method, answering through a future. */
  @FunctionalInterface
  public interface AsyncHandler<Q extends Message, R extends Message> {
    CompletableFuture<R> handle(Q request, ServerController call);
  }

  /** The exception an unimplemented blocking method throws: {@code UNIMPLEMENTED}. */
  public static RpcException unimplemented(RpcMethod<?, ?> method) {
    return new RpcException(StatusCode.UNIMPLEMENTED,
        "method " + method.fullName() + " is not implemented by this server");
  }

  /** The future an unimplemented async method returns: failed with {@code UNIMPLEMENTED}. */
  public static <R extends Message> CompletableFuture<R> unimplementedFuture(
      RpcMethod<?, R> method) {
    return CompletableFuture.failedFuture(unimplemented(method));
  }

  @Override
  public ServiceDescriptor getDescriptorForType() {
    return descriptor;
  }

  @Override
  public void callMethod(MethodDescriptor method, RpcController controller, Message request,
      RpcCallback<Message> done) {
    if (!(controller instanceof ServerController call)) {
      throw new IllegalArgumentException("a bound service runs under an RpcServer, which passes "
          + "a ServerController; got " + (controller == null ? "null" : controller.getClass()));
    }
    handler(method).run(request, call, done);
  }

  @Override
  public Message getRequestPrototype(MethodDescriptor method) {
    return handler(method).method.requestPrototype();
  }

  @Override
  public Message getResponsePrototype(MethodDescriptor method) {
    return handler(method).method.responsePrototype();
  }

  private Handler<?, ?> handler(MethodDescriptor method) {
    if (method.getService() != descriptor) {
      throw new IllegalArgumentException(method.getFullName() + " is not a method of "
          + descriptor.getFullName());
    }
    return handlers[method.getIndex()];
  }

  /** The status a failed async handler's exception answers with. */
  static Status statusOf(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RpcException e) {
      return e.status();
    }
    if (t instanceof CancellationException) {
      return Status.of(StatusCode.CANCELLED, "the handler's future was cancelled");
    }
    String m = t.getMessage();
    return Status.of(StatusCode.UNKNOWN, m == null || m.isEmpty() ? t.getClass().getName() : m);
  }

  /** One method's handler, in either form. */
  private static final class Handler<Q extends Message, R extends Message> {
    final RpcMethod<Q, R> method;
    private final BlockingHandler<Q, R> blocking;
    private final AsyncHandler<Q, R> async;

    Handler(RpcMethod<Q, R> method, BlockingHandler<Q, R> blocking, AsyncHandler<Q, R> async) {
      this.method = method;
      this.blocking = blocking;
      this.async = async;
    }

    void run(Message message, ServerController call, RpcCallback<Message> done) {
      @SuppressWarnings("unchecked") // the server parsed it with this method's request prototype
      Q request = (Q) message;
      if (blocking != null) {
        R response;
        try {
          response = blocking.handle(request, call);
        } catch (RpcException e) {
          call.setFailed(e.status());
          response = null;
        }
        done.run(response);
        return;
      }
      CompletableFuture<R> future = async.handle(request, call);
      if (future == null) {
        call.setFailed(Status.of(StatusCode.INTERNAL,
            method.fullName() + "'s handler returned no future"));
        done.run(null);
        return;
      }
      call.notifyOnCancel(ignored -> future.cancel(false));
      future.whenComplete((response, failure) -> {
        if (failure != null) {
          call.setFailed(statusOf(failure));
          done.run(null);
        } else {
          done.run(response);
        }
      });
    }
  }

  /**
   * Collects one handler per method. Not thread-safe; {@link #build()} checks that every method
   * of the service has exactly one.
   */
  public static final class Builder {
    private final ServiceDescriptor descriptor;
    private final Handler<?, ?>[] handlers;

    private Builder(ServiceDescriptor descriptor) {
      this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
      this.handlers = new Handler<?, ?>[descriptor.getMethods().size()];
    }

    /** Binds a blocking handler to {@code method}. */
    public <Q extends Message, R extends Message> Builder blocking(RpcMethod<Q, R> method,
        BlockingHandler<Q, R> handler) {
      return add(new Handler<>(method, Objects.requireNonNull(handler, "handler"), null));
    }

    /** Binds an async handler to {@code method}. */
    public <Q extends Message, R extends Message> Builder async(RpcMethod<Q, R> method,
        AsyncHandler<Q, R> handler) {
      return add(new Handler<>(method, null, Objects.requireNonNull(handler, "handler")));
    }

    private Builder add(Handler<?, ?> h) {
      MethodDescriptor m = h.method.descriptor();
      if (m.getService() != descriptor) {
        throw new IllegalArgumentException(m.getFullName() + " is not a method of "
            + descriptor.getFullName());
      }
      if (handlers[m.getIndex()] != null) {
        throw new IllegalArgumentException(m.getFullName() + " is bound twice");
      }
      handlers[m.getIndex()] = h;
      return this;
    }

    /**
     * The bound service.
     *
     * @throws IllegalStateException if a method has no handler
     */
    public ServiceBinding build() {
      for (MethodDescriptor m : descriptor.getMethods()) {
        if (handlers[m.getIndex()] == null) {
          throw new IllegalStateException(m.getFullName() + " has no handler");
        }
      }
      return new ServiceBinding(descriptor, handlers.clone());
    }
  }
}
