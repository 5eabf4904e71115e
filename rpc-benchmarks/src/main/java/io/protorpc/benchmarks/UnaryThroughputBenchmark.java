package io.protorpc.benchmarks;

import io.protorpc.ClientController;
import io.protorpc.benchmarks.proto.EchoRequest;
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

/**
 * Unary echo throughput with {@code callers} calls in flight on ONE connection, in calls per
 * second. The benchmark thread keeps a window of {@code callers} outstanding async calls: each
 * operation waits for a free slot, then starts one call whose callback frees the slot. So exactly
 * {@code callers} calls are in flight at all times (a closed loop of N callers that each issue
 * their next call as soon as the previous answer arrives), on one client and one connection. The
 * window stays full across iterations and drains when the trial ends (see {@link Window}). Peers:
 * {@link GrpcEchoBenchmark#throughput} (N in
 * flight on one channel) and {@link RawSocketEchoBenchmark#throughput} (N pipelined messages on
 * one socket).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class UnaryThroughputBenchmark {
  @Param({"socket", "netty"})
  public String transport;

  @Param({"length", "delimiter"})
  public String framing;

  @Param({"identity", "zstd"})
  public String compressor;

  @Param({"16", "1024", "65536", "1048576"})
  public int payload;

  @Param({"64"})
  public int callers;

  /**
   * Where handlers and callbacks run: {@code default} (the executors protorpc creates),
   * {@code direct} ({@link io.protorpc.RpcServer.Builder#directExecutor()}) or the experiment
   * {@code lifo}; see {@link ProtorpcPeer}.
   */
  @Param({"default"})
  public String executor;

  /**
   * How the client names its server: {@code address} (directly) or {@code target} (a target of
   * that one address, {@code static:///host:port} or {@code inproc://name}, through the resolver
   * and a {@code round_robin} balancer); see {@link ProtorpcPeer}.
   */
  @Param({"address"})
  public String addressing;

  private ProtorpcPeer peer;
  private EchoRequest request;
  private Window window;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    peer = new ProtorpcPeer(transport, framing, compressor, executor, addressing);
    request = EchoPayloads.request(payload);
    window = new Window(callers);
  }

  @TearDown(Level.Iteration)
  public void checkCalls() {
    window.checkNoFailures(); // the window stays full between iterations: see Window
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    window.drain();
    peer.close();
  }

  @Benchmark
  public void call() throws InterruptedException {
    window.acquire();
    ClientController controller = new ClientController();
    peer.async().echo(controller, request, response -> window.release(response != null));
  }
}
