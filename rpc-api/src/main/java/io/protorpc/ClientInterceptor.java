package io.protorpc;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;

/**
 * Wraps every call an {@link RpcClient} makes. Interceptors form an ordered chain: the first one
 * added sees the call first and its outcome last. An interceptor may
 *
 * <ul>
 *   <li>read and add request metadata ({@code controller.requestMetadata()}) before proceeding;
 *   <li>reject the call without sending it: {@code controller.setFailed(status); done.run(null);}
 *       instead of calling {@code next};
 *   <li>wrap it: call {@code next.start(...)} with a callback of its own that sees the response
 *       (null on failure, with {@code controller.status()} saying why) before passing it on.
 * </ul>
 *
 * <p>It must run {@code done} exactly once (directly or through {@code next}). Callbacks run on
 * the client's callback executor. Implementations must be thread-safe. An exception thrown from
 * {@code interceptCall} fails the call with {@code INTERNAL}.
 */
@FunctionalInterface
public interface ClientInterceptor {

  void interceptCall(MethodDescriptor method, ClientController controller, Message request,
      Next next, RpcCallback<Message> done);

  /** The rest of the chain: later interceptors, then the network. */
  @FunctionalInterface
  interface Next {
    void start(MethodDescriptor method, ClientController controller, Message request,
        RpcCallback<Message> done);
  }
}
