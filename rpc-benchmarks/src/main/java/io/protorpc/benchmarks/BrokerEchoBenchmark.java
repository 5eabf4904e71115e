package io.protorpc.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.RpcClientParams;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.benchmarks.proto.BenchService;
import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.proto.EchoResponse;
import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.benchmarks.rpc.ProtorpcPeer;
import io.protorpc.benchmarks.rpc.Window;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Echo through a RabbitMQ broker, side by side with the anchors in the same run: RabbitMQ's own
 * {@code RpcClient}/{@code RpcServer} from amqp-client on the same broker ({@code rabbitmq-rpc}),
 * and protorpc's direct {@code socket} transport ({@code protorpc-socket}, no broker). {@link
 * #latency} is one blocking caller; {@link #throughput} is 64 threads each making blocking calls
 * (so 64 in flight), since amqp-client's RpcClient has no async call; {@link #window} is
 * protorpc's own way to have 64 in flight: one thread keeping a window of {@code callers} async
 * calls on one client. Needs a broker: {@code -p broker=amqp://127.0.0.1:5672} ({@code
 * rpc-benchmarks/broker.sh} starts a private one and runs these in interleaved rounds).
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class BrokerEchoBenchmark {
  /** The broker, e.g. {@code amqp://127.0.0.1:5672}; required. */
  @Param({""})
  public String broker;

  /**
   * {@code protorpc-amqp}: protorpc through the broker with its default executors; {@code
   * protorpc-amqp-direct}: the same with the server's {@code directExecutor()} (handlers on
   * amqp-client's consumer thread, as amqp-client's RpcServer runs them) and client callbacks on
   * the thread that receives the reply; {@code rabbitmq-rpc}: amqp-client's RpcClient and
   * RpcServer; {@code protorpc-socket}: protorpc without a broker.
   */
  @Param({"protorpc-amqp", "protorpc-amqp-direct", "rabbitmq-rpc", "protorpc-socket"})
  public String peer;

  @Param({"1024"})
  public int payload;

  /** Calls in flight for {@link #window}. */
  @Param({"64"})
  public int callers;

  private AutoCloseable server;
  private RpcClient client;
  private BenchService.BlockingInterface stub;
  private BenchService.Interface asyncStub;
  private Window calls;
  private Connection rabbit;
  private com.rabbitmq.client.RpcClient rabbitClient;
  private byte[] body;
  private EchoRequest request;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    if (broker.isEmpty()) {
      throw new IllegalArgumentException("give the broker: -p broker=amqp://127.0.0.1:5672");
    }
    request = EchoPayloads.request(payload);
    body = request.toByteArray();
    String topic = "bench-" + Long.toHexString(System.nanoTime());
    switch (peer) {
      case "protorpc-amqp", "protorpc-amqp-direct" -> {
        String target = broker + "/?topic=" + topic;
        RpcServer.Builder sb = RpcServer.builder().target(target);
        RpcClient.Builder cb = RpcClient.builder().target(target);
        if (peer.endsWith("-direct")) {
          sb.directExecutor();
          cb.callbackExecutor(Runnable::run);
        }
        server = sb.addService(new ProtorpcPeer.Echo()).start();
        client = cb.connect();
        stub = BenchService.newBlockingStub(client);
        asyncStub = BenchService.newStub(client);
      }
      case "protorpc-socket" -> {
        RpcServer s = RpcServer.builder().transport("socket").addService(new ProtorpcPeer.Echo()).start();
        server = s;
        client = RpcClient.builder().transport("socket").address(s.localAddress()).connect();
        stub = BenchService.newBlockingStub(client);
        asyncStub = BenchService.newStub(client);
      }
      case "rabbitmq-rpc" -> {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker);
        rabbit = f.newConnection();
        Channel serverChannel = rabbit.createChannel();
        serverChannel.queueDeclare(topic, false, false, true, null);
        com.rabbitmq.client.RpcServer rpcServer =
            new com.rabbitmq.client.RpcServer(serverChannel, topic) {
              @Override
              public byte[] handleCall(byte[] requestBody, AMQP.BasicProperties replyProperties) {
                try { // parse and serialize, as protorpc's echo does
                  EchoRequest r = EchoRequest.parseFrom(requestBody);
                  return EchoResponse.newBuilder().setPayload(r.getPayload()).build()
                      .toByteArray();
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                  throw new IllegalStateException(e);
                }
              }
            };
        Thread loop = new Thread(() -> {
          try {
            rpcServer.mainloop();
          } catch (java.io.IOException e) {
            // closed
          }
        }, "rabbitmq-rpc-server");
        loop.setDaemon(true);
        loop.start();
        server = () -> {
          rpcServer.terminateMainloop();
          rpcServer.close();
        };
        rabbitClient = new com.rabbitmq.client.RpcClient(new RpcClientParams()
            .channel(rabbit.createChannel()).exchange("").routingKey(topic).timeout(10_000));
      }
      default -> throw new IllegalArgumentException("peer: " + peer);
    }
    calls = new Window(callers);
  }

  @TearDown(Level.Iteration)
  public void checkCalls() {
    calls.checkNoFailures(); // the window stays full between iterations: see Window
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    calls.drain();
    if (client != null) {
      client.close();
    }
    if (rabbitClient != null) {
      rabbitClient.close();
    }
    server.close();
    if (rabbit != null) {
      rabbit.close();
    }
  }

  private Object call() throws Exception {
    if (rabbitClient != null) {
      return EchoResponse.parseFrom(rabbitClient.primitiveCall(body));
    }
    return stub.echo(new ClientController().setTimeout(java.time.Duration.ofSeconds(10)),
        request);
  }

  /** One caller: the time of one call (mean and percentiles). */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Object latency() throws Exception {
    return call();
  }

  /** 64 callers, each making blocking calls: calls per second with 64 in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @Threads(64)
  public Object throughput() throws Exception {
    return call();
  }

  /**
   * One thread keeping {@code callers} async calls in flight on one client (protorpc peers only:
   * amqp-client's RpcClient has no async call): calls per second. The first iteration of a trial
   * fills the window, so it must be a warm-up iteration (see {@link Window}).
   */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  public void window() throws InterruptedException {
    if (asyncStub == null) {
      throw new IllegalStateException(peer + " has no async calls");
    }
    calls.acquire();
    asyncStub.echo(new ClientController().setTimeout(java.time.Duration.ofSeconds(10)), request,
        response -> calls.release(response != null));
  }
}
