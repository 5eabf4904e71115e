package io.protorpc.benchmarks.compare;

import io.protorpc.benchmarks.BrokerEchoBenchmark;
import io.protorpc.benchmarks.GrpcEchoBenchmark;
import io.protorpc.benchmarks.RawSocketEchoBenchmark;
import io.protorpc.benchmarks.UnaryLatencyBenchmark;
import io.protorpc.benchmarks.UnaryThroughputBenchmark;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;
import org.openjdk.jmh.util.Version;

/**
 * The side-by-side comparison: every peer (raw-socket floor, gRPC-java default and direct,
 * protorpc socket and netty, default and direct) measured in interleaved rounds in this one JVM,
 * so that each ratio compares two figures taken seconds apart under the same machine state.
 *
 * <p>Each point is one JMH run in this JVM ({@code forks(0)}, {@code -prof gc}): one peer, one
 * payload, one mode (one caller's latency, or N calls in flight), a short warm-up iteration
 * ({@code --settle}) and one measured iteration. A warm-up round runs every point
 * once and is discarded; then {@code --rounds} rounds each run every point again, the peers of one
 * point back to back, their order reversed every other round so that no peer always runs first.
 * Rows go to {@code --out} as JMH-shaped JSON with a {@code round} field, rewritten after every
 * round. Usage (run.sh does this):
 *
 * <pre>
 * java -Xmx1g -cp benchmarks.jar io.protorpc.benchmarks.compare.SideBySide \
 *     --out results/side-by-side.json --rounds 5 --warmup 2s --settle 300ms --measure 1s \
 *     --payloads 1024,65536,1048576 --callers 64
 * </pre>
 */
public final class SideBySide {
  private static final String LATENCY = "latency";
  private static final String THROUGHPUT = "throughput";

  /**
   * One peer: its two benchmark methods (latency null: the peer measures throughput only) and the
   * parameters that configure it.
   */
  record Peer(String name, String latency, String throughput, Map<String, String> params) {}

  /** The published peers, in the order the tables show them. */
  static final List<String> PEERS = List.of("floor", "grpc/default", "grpc/direct",
      "socket/default", "socket/direct", "netty/default", "netty/direct");

  /** The broker peers (rpc-benchmarks/broker.sh), by name, and their BrokerEchoBenchmark peer. */
  static final Map<String, String> BROKER_PEERS = Map.of(
      "amqp/default", "protorpc-amqp",
      "amqp/direct", "protorpc-amqp-direct",
      "amqp/window", "protorpc-amqp",
      "rabbitmq-rpc", "rabbitmq-rpc",
      "socket/blocking", "protorpc-socket");

  /**
   * A peer by name: {@code floor}, {@code grpc/EXECUTOR} or {@code TRANSPORT/EXECUTOR}, where
   * EXECUTOR is a value of the benchmarks' {@code executor} parameter (see ExecutorChoice), or
   * {@code TRANSPORT/EXECUTOR/target}: the same, the client built for a target of the server's
   * one address (see ProtorpcPeer); or a
   * broker peer (BrokerEchoBenchmark on {@code broker}): {@code amqp/default}, {@code
   * amqp/direct}, {@code rabbitmq-rpc}, {@code socket/blocking} (one blocking caller; 64 blocking
   * callers), and {@code amqp/window} (64 async calls from one thread; throughput only).
   */
  static Peer peer(String name, String broker) {
    String brokerPeer = BROKER_PEERS.get(name);
    if (brokerPeer != null) {
      if (broker == null) {
        throw new IllegalArgumentException("peer " + name + " needs --broker amqp://HOST:PORT");
      }
      String bench = BrokerEchoBenchmark.class.getName();
      return new Peer(name, name.equals("amqp/window") ? null : bench + ".latency",
          bench + (name.equals("amqp/window") ? ".window" : ".throughput"),
          Map.of("peer", brokerPeer, "broker", broker));
    }
    if (name.equals("floor")) {
      return new Peer(name, RawSocketEchoBenchmark.class.getName() + ".latency",
          RawSocketEchoBenchmark.class.getName() + ".throughput", Map.of());
    }
    String[] p = name.split("/");
    if (p.length != 2 && (p.length != 3 || p[0].equals("grpc"))) {
      throw new IllegalArgumentException("peer: floor, grpc/EXECUTOR or "
          + "TRANSPORT/EXECUTOR[/ADDRESSING], not " + name);
    }
    if (p[0].equals("grpc")) {
      return new Peer(name, GrpcEchoBenchmark.class.getName() + ".latency",
          GrpcEchoBenchmark.class.getName() + ".throughput", Map.of("executor", p[1]));
    }
    return new Peer(name, UnaryLatencyBenchmark.class.getName() + ".call",
        UnaryThroughputBenchmark.class.getName() + ".call", Map.of("transport", p[0], "framing",
            "length", "compressor", "identity", "executor", p[1],
            "addressing", p.length == 3 ? p[2] : "address"));
  }

  public static void main(String[] args) throws IOException, RunnerException {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    Path out = Path.of(opts.getOrDefault("out", "side-by-side.json"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "5"));
    TimeValue warmup = TimeValue.fromString(opts.getOrDefault("warmup", "2s"));
    TimeValue measure = TimeValue.fromString(opts.getOrDefault("measure", "1s"));
    TimeValue settle = TimeValue.fromString(opts.getOrDefault("settle", "300ms"));
    String callers = opts.getOrDefault("callers", "64");
    List<String> payloads = List.of(opts.getOrDefault("payloads", "1024,65536,1048576")
        .split(","));
    // --peers floor,socket/default: a subset, or other configurations, for a quick look
    String broker = opts.get("broker");
    List<Peer> peers = (opts.containsKey("peers") ? List.of(opts.get("peers").split(","))
        : PEERS).stream().map(name -> peer(name, broker)).toList();
    // Every point is a JMH run in this JVM; JMH's machine-wide lock would make a concurrent
    // smoke pass on this shared machine fail the whole comparison, and the interleaving is what
    // makes the ratios hold under other load anyway.
    System.setProperty("jmh.ignoreLock", "true");

    StringBuilder rows = new StringBuilder();
    long start = System.nanoTime();
    for (int round = 0; round <= rounds; round++) {
      List<Peer> order = new ArrayList<>(peers);
      if (round % 2 == 0) {
        java.util.Collections.reverse(order);
      }
      TimeValue time = round == 0 ? warmup : measure;
      for (String payload : payloads) {
        for (String mode : new String[] {LATENCY, THROUGHPUT}) {
          StringBuilder progress = new StringBuilder(String.format(Locale.ROOT,
              "[%4.0f s] %s %s B %s:", (System.nanoTime() - start) / 1e9,
              round == 0 ? "warm-up" : "round " + round + "/" + rounds, payload, mode));
          for (Peer peer : order) {
            if (mode.equals(LATENCY) && peer.latency() == null) {
              continue;
            }
            RunResult r = run(peer, mode, payload, callers, settle, time);
            double value = mode.equals(LATENCY)
                ? r.getPrimaryResult().getStatistics().getPercentile(50)
                : r.getPrimaryResult().getScore();
            progress.append(String.format(Locale.ROOT, " %s %.1f", peer.name(), value));
            if (round > 0) {
              row(rows, round, peer, mode, r);
            }
          }
          System.out.println(progress);
        }
      }
      if (round > 0) {
        Files.writeString(out, "[\n" + rows + "\n]\n");
      }
    }
  }

  /**
   * One point: a fresh server and client (JMH trial), a warm-up iteration of {@code settle} that
   * opens the connection and fills the window of calls in flight, then one measured iteration.
   */
  private static RunResult run(Peer peer, String mode, String payload, String callers,
      TimeValue settle, TimeValue time) throws RunnerException {
    boolean latency = mode.equals(LATENCY);
    ChainedOptionsBuilder b = new OptionsBuilder()
        .include("^" + Pattern.quote(latency ? peer.latency() : peer.throughput()) + "$")
        .param("payload", payload)
        .forks(0)
        .warmupIterations(1)
        .warmupTime(settle)
        .measurementIterations(1)
        .measurementTime(time)
        .shouldDoGC(true) // the previous peer's garbage is collected before this one runs
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .verbosity(VerboseMode.SILENT);
    peer.params().forEach(b::param);
    if (!latency) {
      b.param("callers", callers);
    }
    return new Runner(b.build()).runSingle();
  }

  /** One JMH-shaped JSON row (what RenderReport reads), plus the round and the load average. */
  private static void row(StringBuilder rows, int round, Peer peer, String mode, RunResult r) {
    Result<?> primary = r.getPrimaryResult();
    Statistics st = primary.getStatistics();
    Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
    if (rows.length() > 0) {
      rows.append(",\n");
    }
    StringBuilder params = new StringBuilder();
    for (String key : r.getParams().getParamsKeys()) {
      params.append(params.length() == 0 ? "" : ", ").append(quote(key)).append(": ")
          .append(quote(r.getParams().getParam(key)));
    }
    rows.append("{\"round\": ").append(round)
        .append(", \"peer\": ").append(quote(peer.name()))
        .append(", \"benchmark\": ").append(quote(r.getParams().getBenchmark()))
        .append(", \"mode\": ").append(quote(r.getParams().getMode().shortLabel()))
        .append(", \"params\": {").append(params).append('}')
        .append(", \"primaryMetric\": {\"score\": ").append(num(primary.getScore()))
        .append(", \"scoreUnit\": ").append(quote(primary.getScoreUnit()))
        .append(", \"scorePercentiles\": {\"50.0\": ").append(num(st.getPercentile(50)))
        .append(", \"90.0\": ").append(num(st.getPercentile(90)))
        .append(", \"99.0\": ").append(num(st.getPercentile(99))).append("}}")
        .append(", \"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": ")
        .append(num(alloc == null ? Double.NaN : alloc.getScore())).append("}}")
        .append(", \"startedAt\": ").append(quote(Instant.now().toString()))
        .append(", \"loadAverage\": ").append(quote(loadAverage()))
        .append(", \"jmhVersion\": ").append(quote(Version.getPlainVersion()))
        .append(", \"jdkVersion\": ").append(quote(System.getProperty("java.version")))
        .append(", \"vmName\": ").append(quote(System.getProperty("java.vm.name")))
        .append(", \"vmVersion\": ").append(quote(System.getProperty("java.vm.version")))
        .append(", \"jvmArgs\": [");
    List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (int i = 0; i < jvmArgs.size(); i++) {
      rows.append(i == 0 ? "" : ", ").append(quote(jvmArgs.get(i)));
    }
    rows.append("]}");
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : quote(Double.toString(v));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
