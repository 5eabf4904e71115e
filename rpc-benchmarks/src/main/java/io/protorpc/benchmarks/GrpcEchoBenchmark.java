package io.protorpc.benchmarks;

import io.grpc.stub.StreamObserver;
import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.proto.EchoResponse;
import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.benchmarks.rpc.GrpcPeer;
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
 * The gRPC-java peer: the same echo and messages as {@link UnaryLatencyBenchmark} and {@link
 * UnaryThroughputBenchmark}, over grpc-netty-shaded on one loopback channel (plaintext, no
 * compression), on gRPC's default executors or with {@code directExecutor()} on both sides
 * ({@code executor} parameter, see {@link GrpcPeer}).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class GrpcEchoBenchmark {

  /** One caller: blocking stub. */
  @State(Scope.Benchmark)
  public static class OneCaller {
    @Param({"16", "1024", "65536", "1048576"})
    public int payload;

    /** {@code default} or {@code direct}: see {@link GrpcPeer#GrpcPeer(String)}. */
    @Param({"default"})
    public String executor;

    GrpcPeer peer;
    EchoRequest request;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      peer = new GrpcPeer(executor);
      request = EchoPayloads.request(payload);
      if (!peer.blocking().echo(request).getPayload().equals(request.getPayload())) {
        throw new IllegalStateException("echo returned other bytes");
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
      peer.close();
    }
  }

  /** N callers: async stub, a window of {@code callers} calls in flight on the one channel. */
  @State(Scope.Benchmark)
  public static class ManyCallers {
    @Param({"16", "1024", "65536", "1048576"})
    public int payload;

    @Param({"64"})
    public int callers;

    /** {@code default} or {@code direct}: see {@link GrpcPeer#GrpcPeer(String)}. */
    @Param({"default"})
    public String executor;

    GrpcPeer peer;
    EchoRequest request;
    Window window;
    StreamObserver<EchoResponse> observer;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      peer = new GrpcPeer(executor);
      request = EchoPayloads.request(payload);
      window = new Window(callers);
      observer = new StreamObserver<>() {
        @Override
        public void onNext(EchoResponse value) {}

        @Override
        public void onError(Throwable t) {
          window.release(false);
        }

        @Override
        public void onCompleted() {
          window.release(true);
        }
      };
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
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public EchoResponse latency(OneCaller s) {
    return s.peer.blocking().echo(s.request);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void throughput(ManyCallers s) throws InterruptedException {
    s.window.acquire();
    s.peer.async().echo(s.request, s.observer);
  }
}
