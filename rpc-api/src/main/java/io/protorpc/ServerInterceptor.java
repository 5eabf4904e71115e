package io.protorpc;

import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;

/**
 * Wraps every call an {@link RpcServer} serves, on the handler's thread, before the service
 * method runs. Interceptors form an ordered chain: the first one added sees the call first and its
 * response last. An interceptor may
 *
 * <ul>
 *   <li>inspect the call: {@code controller.serviceName()}, {@code methodName()}, {@code
 *       requestMetadata()}, {@code remoteAddress()};
 *   <li>reject it: {@code controller.setFailed(Status.of(StatusCode.UNAUTHENTICATED, "...")); }
 *       {@code done.run(null);} instead of calling {@code next};
 *   <li>wrap the handler: call {@code next.handle(...)} with a callback of its own that sees the
 *       response (null when the handler failed) and may add response metadata before passing it
 *       on.
 * </ul>
 *
 * <p>It must run {@code done} exactly once (directly or through {@code next}). Implementations
 * must be thread-safe. An exception thrown here answers the call with {@code UNKNOWN}, as a
 * handler's would.
 */
@FunctionalInterface
public interface ServerInterceptor {

  void interceptCall(ServerController controller, Message request, Next next,
      RpcCallback<Message> done);

  /** The rest of the chain: later interceptors, then the service method. */
  @FunctionalInterface
  interface Next {
    void handle(ServerController controller, Message request, RpcCallback<Message> done);
  }
}
