package io.protorpc.benchmarks;

import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.proto.EchoResponse;
import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.benchmarks.rpc.ProtorpcPeer;
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
 * Unary echo latency with one caller: a blocking call on one connection to a server in the same
 * JVM over loopback TCP. {@link Mode#SampleTime} gives the mean and the percentiles (p50, p90,
 * p99). Peers with the same payloads: {@link GrpcEchoBenchmark#latency} and
 * {@link RawSocketEchoBenchmark#latency}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class UnaryLatencyBenchmark {
  @Param({"socket", "netty"})
  public String transport;

  @Param({"length", "delimiter"})
  public String framing;

  @Param({"identity", "zstd"})
  public String compressor;

  @Param({"16", "1024", "65536", "1048576"})
  public int payload;

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

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    peer = new ProtorpcPeer(transport, framing, compressor, executor, addressing);
    request = EchoPayloads.request(payload);
    if (!peer.call(request).getPayload().equals(request.getPayload())) {
      throw new IllegalStateException("echo returned other bytes");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    peer.close();
  }

  @Benchmark
  public EchoResponse call() throws Exception {
    return peer.call(request);
  }
}
