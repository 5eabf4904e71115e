package io.protorpc.benchmarks.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Before/after of a change under one machine state: reads SideBySide JSON files from runs of the
 * jar before and the jar after the change, made in alternating JVMs (compare-jars.sh), pairs the
 * i-th before with the i-th after (run next to each other), and prints after/before for every
 * peer and point: the median of the pairs' ratios and their spread; the same with every figure
 * first divided by the floor measured in its own run, which cancels what the machine's state did
 * between the two runs of a pair (run the floor as one of the peers for it); and allocation per
 * call.
 *
 * <pre>
 * java -cp benchmarks.jar io.protorpc.benchmarks.report.BeforeAfter b1.json b2.json -- a1.json a2.json
 * </pre>
 */
public final class BeforeAfter {
  private BeforeAfter() {}

  public static void main(String[] args) throws IOException {
    List<Path> before = new ArrayList<>();
    List<Path> after = new ArrayList<>();
    List<Path> into = before;
    for (String a : args) {
      if (a.equals("--")) {
        into = after;
      } else {
        into.add(Path.of(a));
      }
    }
    if (before.isEmpty() || before.size() != after.size()) {
      throw new IllegalArgumentException("usage: BeforeAfter BEFORE.json... -- AFTER.json... "
          + "(as many of each, in the order they ran)");
    }
    // point ("peer payload mode") -> per pair [before, after, floor before, floor after] rows
    Map<String, List<Result[]>> points = new TreeMap<>();
    for (int i = 0; i < before.size(); i++) {
      Map<String, Result> b = rows(before.get(i));
      Map<String, Result> a = rows(after.get(i));
      b.forEach((k, r) -> {
        if (a.containsKey(k)) {
          String floor = floorKey(r);
          points.computeIfAbsent(k, x -> new ArrayList<>())
              .add(new Result[] {r, a.get(k), b.get(floor), a.get(floor)});
        }
      });
    }
    System.out.println("| peer, payload, mode | before (median) | after (median) | after/before, "
        + "median of " + before.size() + " pairs (min–max) | the same, each figure first divided "
        + "by the floor of its own run | alloc B/call before → after |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    points.forEach((k, pairs) -> {
      boolean latency = pairs.get(0)[0].mode().equals(Comparison.LATENCY);
      double[] b = new double[pairs.size()];
      double[] a = new double[pairs.size()];
      double[] ratio = new double[pairs.size()];
      double[] allocB = new double[pairs.size()];
      double[] allocA = new double[pairs.size()];
      double[] normalized = new double[pairs.size()];
      for (int i = 0; i < pairs.size(); i++) {
        Result[] p = pairs.get(i);
        normalized[i] = p[2] == null || p[3] == null || p[0] == p[2] ? Double.NaN
            : (figure(p[1], latency) / figure(p[3], latency))
                / (figure(p[0], latency) / figure(p[2], latency));
        b[i] = figure(pairs.get(i)[0], latency);
        a[i] = figure(pairs.get(i)[1], latency);
        ratio[i] = a[i] / b[i];
        allocB[i] = pairs.get(i)[0].allocPerOp();
        allocA[i] = pairs.get(i)[1].allocPerOp();
      }
      String unit = latency ? "µs p50" : "calls/s";
      System.out.println(String.format(Locale.ROOT, "| %s | %,.1f %s | %,.1f %s | %s | %s | %,.0f "
          + "→ %,.0f |", k, Comparison.Stat.of(b).median(), unit, Comparison.Stat.of(a).median(),
          unit, Comparison.Stat.of(ratio).ratio(), Comparison.Stat.of(normalized).ratio(),
          Comparison.Stat.of(allocB).median(), Comparison.Stat.of(allocA).median()));
    });
  }

  private static double figure(Result r, boolean latency) {
    return latency ? r.p50() : r.score();
  }

  /** The key of the floor's row for the same payload and mode as {@code r}. */
  private static String floorKey(Result r) {
    return key("floor", r);
  }

  private static String key(String peer, Result r) {
    String mode = r.mode().equals(Comparison.LATENCY) ? "one caller" : "64 in flight";
    return peer + ", " + r.payload() + " B, " + mode;
  }

  /** The rows of one SideBySide file, by "peer payload mode" (one round per file). */
  private static Map<String, Result> rows(Path file) throws IOException {
    List<Result> all = new ArrayList<>();
    Result.addAll(Json.parse(Files.readString(file)), all);
    Map<String, Result> out = new TreeMap<>();
    for (Result r : all) {
      out.put(key(r.peer(), r), r);
    }
    return out;
  }
}
