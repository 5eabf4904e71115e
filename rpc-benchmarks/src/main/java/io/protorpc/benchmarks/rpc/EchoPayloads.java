package io.protorpc.benchmarks.rpc;

import com.google.protobuf.ByteString;
import io.protorpc.benchmarks.Payloads;
import io.protorpc.benchmarks.proto.EchoRequest;
import java.util.Arrays;

/**
 * The request every RPC peer echoes: exactly {@code size} bytes of realistic protobuf (a list of
 * orders from {@link Payloads}, cut to size), so compression sees what a service would send.
 */
public final class EchoPayloads {
  private EchoPayloads() {}

  /** Exactly {@code size} bytes of serialized orders. */
  public static byte[] bytes(int size) {
    byte[] orders = Payloads.orders(Math.max(size, 256), 42);
    while (orders.length < size) {
      byte[] more = Payloads.orders(size - orders.length + 256, orders.length);
      byte[] both = Arrays.copyOf(orders, orders.length + more.length);
      System.arraycopy(more, 0, both, orders.length, more.length);
      orders = both;
    }
    return Arrays.copyOf(orders, size);
  }

  /** A request whose payload field holds {@link #bytes(int)}. */
  public static EchoRequest request(int size) {
    return EchoRequest.newBuilder().setPayload(ByteString.copyFrom(bytes(size))).build();
  }
}
