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
 * connection), default executors on both sides, plaintext, no compression: the same messages as
 * the protorpc peer.
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

  public GrpcPeer() throws IOException {
    server = NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .maxInboundMessageSize(MAX_MESSAGE)
        .addService(new Echo())
        .build()
        .start();
    InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
    channel = NettyChannelBuilder.forAddress(bound)
        .usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE)
        .build();
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
