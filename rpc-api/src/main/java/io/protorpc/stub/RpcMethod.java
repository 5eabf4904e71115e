package io.protorpc.stub;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Message;
import java.util.Objects;

/**
 * One rpc of a service as generated code sees it: the protobuf {@link MethodDescriptor} (the same
 * object protobuf's generic services use, so interceptors and metrics see one identity), the
 * request and response types, and whether the method is one-way ({@code option (protorpc.one_way)
 * = true;}). Generated {@code FooRpc} classes hold one constant per rpc.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <Q> the request message type
 * @param <R> the response message type
 */
public final class RpcMethod<Q extends Message, R extends Message> {
  private final MethodDescriptor descriptor;
  private final Q requestPrototype;
  private final R responsePrototype;
  private final boolean oneWay;

  private RpcMethod(MethodDescriptor descriptor, Q requestPrototype, R responsePrototype,
      boolean oneWay) {
    this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
    this.requestPrototype = Objects.requireNonNull(requestPrototype, "requestPrototype");
    this.responsePrototype = Objects.requireNonNull(responsePrototype, "responsePrototype");
    this.oneWay = oneWay;
    if (descriptor.getInputType() != requestPrototype.getDescriptorForType()
        || descriptor.getOutputType() != responsePrototype.getDescriptorForType()) {
      throw new IllegalArgumentException(descriptor.getFullName() + " takes "
          + descriptor.getInputType().getFullName() + " and returns "
          + descriptor.getOutputType().getFullName() + ", not "
          + requestPrototype.getDescriptorForType().getFullName() + " and "
          + responsePrototype.getDescriptorForType().getFullName());
    }
  }

  /**
   * A request-response method.
   *
   * @throws IllegalArgumentException if the prototypes are not the descriptor's types
   */
  public static <Q extends Message, R extends Message> RpcMethod<Q, R> unary(
      MethodDescriptor descriptor, Q requestPrototype, R responsePrototype) {
    return new RpcMethod<>(descriptor, requestPrototype, responsePrototype, false);
  }

  /**
   * A one-way method: the server sends no response.
   *
   * @throws IllegalArgumentException if the prototypes are not the descriptor's types
   */
  public static <Q extends Message, R extends Message> RpcMethod<Q, R> oneWay(
      MethodDescriptor descriptor, Q requestPrototype, R responsePrototype) {
    return new RpcMethod<>(descriptor, requestPrototype, responsePrototype, true);
  }

  /** The protobuf descriptor, e.g. for {@code RpcClient.Builder.oneWay} or an interceptor. */
  public MethodDescriptor descriptor() {
    return descriptor;
  }

  /** The method's full name, e.g. {@code "demo.Calculator.Divide"}. */
  public String fullName() {
    return descriptor.getFullName();
  }

  public Q requestPrototype() {
    return requestPrototype;
  }

  public R responsePrototype() {
    return responsePrototype;
  }

  /** Whether calls get no response (the {@code (protorpc.one_way)} option). */
  public boolean isOneWay() {
    return oneWay;
  }

  @Override
  public String toString() {
    return descriptor.getFullName() + (oneWay ? " (one-way)" : "");
  }
}
