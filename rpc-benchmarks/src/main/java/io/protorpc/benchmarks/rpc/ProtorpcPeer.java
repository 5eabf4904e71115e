package io.protorpc.benchmarks.rpc;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import io.protorpc.ClientController;
import io.protorpc.InProcessAddress;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.benchmarks.proto.BenchService;
import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.proto.EchoResponse;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/** A protorpc echo server and one client (one connection) on loopback, for one configuration. */
public final class ProtorpcPeer implements AutoCloseable {
  /** Large enough for the 1 MiB payload plus its envelope. */
  static final int MAX_MESSAGE = 8 * 1024 * 1024;

  final RpcServer server;
  final RpcClient client;
  final BenchService.BlockingInterface blocking;
  final BenchService async;
  private final List<ExecutorService> pools;

  /** The service: answers with the request's payload (the same ByteString, no copy). */
  public static final class Echo extends BenchService {
    @Override
    public void echo(RpcController controller, EchoRequest request,
        RpcCallback<EchoResponse> done) {
      done.run(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
    }
  }

  private static final AtomicInteger INPROC_NAMES = new AtomicInteger();

  public ProtorpcPeer(String transport, String framing, String compressor) throws IOException {
    this(transport, framing, compressor, "default");
  }

  /**
   * @param executor {@code default}: the server's and client's own executors; {@code direct}: the
   *     server's {@link RpcServer.Builder#directExecutor()} and client callbacks run on the
   *     transport's reader thread, which saves a thread hand-off per call on each side;
   *     {@code lifo}: an experimental pool on both sides (see ExecutorChoice)
   */
  public ProtorpcPeer(String transport, String framing, String compressor, String executor)
      throws IOException {
    this(transport, framing, compressor, executor, "address");
  }

  /**
   * @param addressing {@code address}: the client is built for the server's address; {@code
   *     target}: for a target of that one address ({@code static:///host:port}, or {@code
   *     inproc://name}) with the {@code round_robin} balancer, which costs a resolver, a pick per
   *     call and the balancing router's bookkeeping
   */
  public ProtorpcPeer(String transport, String framing, String compressor, String executor,
      String addressing) throws IOException {
    RpcServer.Builder sb = RpcServer.builder();
    RpcClient.Builder cb = RpcClient.builder();
    pools = ExecutorChoice.apply(executor, sb, cb);
    if (transport.equals("inproc")) { // no port: a name of its own in this JVM
      sb.address(new InProcessAddress("bench-" + INPROC_NAMES.incrementAndGet()));
    }
    server = sb
        .transport(transport)
        .framings(framing)
        .maxMessageSize(MAX_MESSAGE)
        .addService(new Echo())
        .start();
    switch (addressing) {
      case "address" -> cb.address(server.localAddress());
      case "target" -> cb.target(targetOf(server.localAddress())).loadBalancer("round_robin");
      default -> throw new IllegalArgumentException("addressing: address or target, not "
          + addressing);
    }
    client = cb
        .transport(transport)
        .framing(framing)
        .compressor(compressor)
        .maxMessageSize(MAX_MESSAGE)
        .connect();
    blocking = BenchService.newBlockingStub(client);
    async = BenchService.newStub(client);
  }

  private static String targetOf(java.net.SocketAddress a) {
    if (a instanceof InProcessAddress in) {
      return "inproc://" + in.name();
    }
    java.net.InetSocketAddress ip = (java.net.InetSocketAddress) a;
    return "static:///" + ip.getAddress().getHostAddress() + ":" + ip.getPort();
  }

  /** One blocking call. */
  public EchoResponse call(EchoRequest request) throws Exception {
    return blocking.echo(new ClientController(), request);
  }

  /** The async stub (callbacks run on the client's callback executor). */
  public BenchService async() {
    return async;
  }

  @Override
  public void close() {
    client.close();
    server.close();
    pools.forEach(ExecutorService::shutdown);
  }
}
