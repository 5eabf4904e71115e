package io.protorpc.benchmarks;

import io.protorpc.InProcessAddress;
import io.protorpc.PluginRegistry;
import io.protorpc.balancer.Backend;
import io.protorpc.balancer.LoadBalancer;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What a balancer adds to each call: one {@code Picker.pick} over the client's backends, here all
 * READY with calls in flight, picked from 4 threads at once as a busy client would. The
 * resolver adds nothing per call (it runs off the call path, every refresh interval), so this is
 * the per-call cost of load balancing beside a direct address, to set against a call's own cost
 * ({@link UnaryThroughputBenchmark}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Threads(4)
public class BalancerPickBenchmark {
  @Param({"pick_first", "round_robin", "least_request"})
  public String policy;

  @Param({"3", "16"})
  public int backends;

  private LoadBalancer.Picker picker;
  private List<Backend> list;

  /** A backend as the client would show it: fixed state, a changing in-flight count. */
  private record ReadyBackend(SocketAddress address, int callsInFlight) implements Backend {
    @Override
    public State state() {
      return State.READY;
    }

    @Override
    public void requestConnection() {}
  }

  @Setup
  public void setUp() {
    picker = PluginRegistry.find(LoadBalancer.class, policy).newPicker();
    list = new ArrayList<>();
    for (int i = 0; i < backends; i++) {
      list.add(new ReadyBackend(new InProcessAddress("b" + i), i % 5));
    }
    list = List.copyOf(list);
  }

  @Benchmark
  public Backend pick() {
    return picker.pick(list);
  }
}
