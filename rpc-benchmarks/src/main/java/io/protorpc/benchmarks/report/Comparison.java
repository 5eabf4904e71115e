package io.protorpc.benchmarks.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The side-by-side rows (SideBySide's JSON), by peer, payload, mode and round: medians and spreads
 * over the rounds, and ratios taken within each round (two figures measured seconds apart) before
 * their median is taken, so that no ratio pairs figures from different machine states.
 */
final class Comparison {
  static final String LATENCY = "sample";
  static final String THROUGHPUT = "thrpt";

  /** The median of the rounds and their spread (min, max). */
  record Stat(double median, double min, double max, int rounds) {
    static final Stat NONE = new Stat(Double.NaN, Double.NaN, Double.NaN, 0);

    static Stat of(double[] values) {
      double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
      if (v.length == 0) {
        return NONE;
      }
      int n = v.length;
      double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      return new Stat(median, v[0], v[n - 1], n);
    }

    boolean present() {
      return rounds > 0;
    }

    /** {@code 2.43× (2.10–2.71)}. */
    String ratio() {
      return present() ? String.format(Locale.ROOT, "%.2f× (%.2f–%.2f)", median, min, max) : "–";
    }

    /** The median and spread with a format for each, e.g. {@code "%.1f"}. */
    String value(String fmt) {
      return present() ? String.format(Locale.ROOT, fmt + " (" + fmt + "–" + fmt + ")", median,
          min, max) : "–";
    }
  }

  /** peer -> payload -> mode -> round -> row. */
  private final Map<String, Map<Integer, Map<String, Map<Integer, Result>>>> rows =
      new TreeMap<>();

  Comparison(List<Result> results) {
    for (Result r : results) {
      if (r.round() > 0) {
        rows.computeIfAbsent(r.peer(), k -> new TreeMap<>())
            .computeIfAbsent(r.payload(), k -> new TreeMap<>())
            .computeIfAbsent(r.mode(), k -> new TreeMap<>())
            .put(r.round(), r);
      }
    }
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  TreeSet<Integer> payloads() {
    TreeSet<Integer> s = new TreeSet<>();
    rows.values().forEach(m -> s.addAll(m.keySet()));
    return s;
  }

  TreeSet<Integer> rounds() {
    TreeSet<Integer> s = new TreeSet<>();
    rows.values().forEach(m -> m.values().forEach(x -> x.values().forEach(y -> s.addAll(
        y.keySet()))));
    return s;
  }

  /** The rows of one peer, payload and mode, by round. */
  private Map<Integer, Result> cell(String peer, int payload, String mode) {
    return rows.getOrDefault(peer, Map.of()).getOrDefault(payload, Map.of())
        .getOrDefault(mode, Map.of());
  }

  Optional<Result> any(String peer, int payload, String mode) {
    return cell(peer, payload, mode).values().stream().findFirst();
  }

  /** One figure of a peer over the rounds. */
  Stat value(String peer, int payload, String mode, ToDoubleFunction<Result> f) {
    return Stat.of(cell(peer, payload, mode).values().stream().mapToDouble(f).toArray());
  }

  /** {@code f(peer) / f(reference)} within each round that has both, then over the rounds. */
  Stat ratio(String peer, String reference, int payload, String mode,
      ToDoubleFunction<Result> f) {
    Map<Integer, Result> a = cell(peer, payload, mode);
    Map<Integer, Result> b = cell(reference, payload, mode);
    List<Double> out = new ArrayList<>();
    a.forEach((round, r) -> {
      Result ref = b.get(round);
      if (ref != null) {
        out.add(f.applyAsDouble(r) / f.applyAsDouble(ref));
      }
    });
    return Stat.of(out.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
