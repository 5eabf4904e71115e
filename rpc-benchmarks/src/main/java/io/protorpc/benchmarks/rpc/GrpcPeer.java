package io.protorpc.benchmarks.rpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.protorpc.benchmarks.proto.BenchServiceGrpc;
import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.proto.EchoResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-java's unary echo over grpc-netty-shaded on loopback TCP, one channel (one HTTP/2
 * connection), plaintext, no compression: the same messages as the protorpc peer. Either gRPC's
 * default executors on both sides, or {@code directExecutor()} on both the server and the channel,
 * which is what gRPC-java's performance guidance recommends for handlers that never block.
 */
public final class GrpcPeer implements AutoCloseable {
  static final int MAX_MESSAGE = 8 * 1024 * 1024;

  final Server server;
  final ManagedChannel channel;
  final BenchServiceGrpc.BenchServiceBlockingStub blocking;
  final BenchServiceGrpc.BenchServiceStub async;

  static final class Echo extends BenchServiceGrpc.BenchServiceImplBase {
    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> out) {
      out.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
      out.onCompleted();
    }
  }

  /**
   * @param executor {@code default}: gRPC's own executors on both sides; {@code direct}:
   *     {@code directExecutor()} on the server and on the channel
   */
  public GrpcPeer(String executor) throws IOException {
    boolean direct = ExecutorChoice.isDirect(executor);
    NettyServerBuilder sb = NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .maxInboundMessageSize(MAX_MESSAGE)
        .addService(new Echo());
    if (direct) {
      sb.directExecutor();
    }
    server = sb.build().start();
    InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
    NettyChannelBuilder cb = NettyChannelBuilder.forAddress(bound)
        .usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE);
    if (direct) {
      cb.directExecutor();
    }
    channel = cb.build();
    blocking = BenchServiceGrpc.newBlockingStub(channel);
    async = BenchServiceGrpc.newStub(channel);
    blocking.echo(EchoRequest.getDefaultInstance()); // connect now, not in the first iteration
  }

  public BenchServiceGrpc.BenchServiceBlockingStub blocking() {
    return blocking;
  }

  public BenchServiceGrpc.BenchServiceStub async() {
    return async;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
