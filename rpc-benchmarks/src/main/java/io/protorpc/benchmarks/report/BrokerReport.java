package io.protorpc.benchmarks.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The broker comparison's table (rpc-benchmarks/broker.sh): for each peer, one caller's p50 and
 * the calls per second with 64 in flight, as medians over the rounds with their spread, and each
 * as a ratio to amqp-client's own {@code RpcClient}/{@code RpcServer} ({@code rabbitmq-rpc})
 * taken within each round. Usage: {@code BrokerReport side-by-side.json} (prints Markdown).
 */
public final class BrokerReport {
  private static final String REFERENCE = "rabbitmq-rpc";
  private static final List<String> ORDER = List.of("amqp/default", "amqp/direct", "amqp/window",
      REFERENCE, "socket/blocking");

  public static void main(String[] args) throws IOException {
    List<Result> results = new ArrayList<>();
    Result.addAll(Json.parse(Files.readString(Path.of(args[0]))), results);
    Comparison c = new Comparison(results);
    int payload = c.payloads().first();
    System.out.printf(Locale.ROOT, "%d rounds, %d B payload; load average (1 min) during the "
        + "rounds: %s%n%n", c.rounds().size(), payload, loadRange(results));
    System.out.println("| peer | latency p50, µs | vs rabbitmq-rpc (lower is better) "
        + "| calls/s, 64 in flight | vs rabbitmq-rpc (higher is better) |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (String peer : ORDER) {
      Comparison.Stat latency = c.value(peer, payload, Comparison.LATENCY, Result::p50);
      Comparison.Stat calls = c.value(peer, payload, Comparison.THROUGHPUT, Result::score);
      if (!latency.present() && !calls.present()) {
        continue;
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", peer,
          latency.value("%.0f"),
          c.ratio(peer, REFERENCE, payload, Comparison.LATENCY, Result::p50).ratio(),
          calls.value("%.0f"),
          c.ratio(peer, REFERENCE, payload, Comparison.THROUGHPUT, Result::score).ratio());
    }
  }

  private static String loadRange(List<Result> results) {
    double min = Double.MAX_VALUE;
    double max = 0;
    for (Result r : results) {
      try {
        double load = Double.parseDouble(r.load().split(" ")[0]);
        min = Math.min(min, load);
        max = Math.max(max, load);
      } catch (RuntimeException e) {
        // "?" where /proc/loadavg was unreadable
      }
    }
    return max == 0 ? "?" : String.format(Locale.ROOT, "%.1f–%.1f", min, max);
  }
}
