package io.protorpc.benchmarks.report;

import java.util.List;
import java.util.Map;

/**
 * One JMH result row, reduced to what the report shows. {@code round} and {@code peer} come from
 * the side-by-side rows (SideBySide): round 1, 2, ... and the peer's name; 0 and "" for rows of a
 * plain JMH run. {@code load}: the load average when the row was taken (side-by-side rows).
 */
record Result(String benchmark, String mode, Map<String, String> params, double score,
    String unit, double p50, double p90, double p99, double allocPerOp, int round, String peer,
    String load) {

  /** {@code Class.method} without the package. */
  String name() {
    String[] parts = benchmark.split("\\.");
    return parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  String param(String key) {
    return params.getOrDefault(key, "");
  }

  int payload() {
    return Integer.parseInt(params.getOrDefault("payload", "0"));
  }

  @SuppressWarnings("unchecked")
  static Result from(Map<String, Object> row) {
    Map<String, String> params = new java.util.TreeMap<>();
    Object p = row.get("params");
    if (p instanceof Map<?, ?> m) {
      m.forEach((k, v) -> params.put((String) k, String.valueOf(v)));
    }
    Map<String, Object> primary = (Map<String, Object>) row.get("primaryMetric");
    Map<String, Object> pct = (Map<String, Object>) primary.getOrDefault("scorePercentiles",
        Map.of());
    double alloc = Double.NaN;
    Object secondary = row.get("secondaryMetrics");
    if (secondary instanceof Map<?, ?> sm && sm.get("gc.alloc.rate.norm") instanceof Map<?, ?> g) {
      alloc = Json.num(g.get("score"));
    }
    return new Result((String) row.get("benchmark"), (String) row.get("mode"), params,
        Json.num(primary.get("score")), (String) primary.get("scoreUnit"), Json.num(pct.get("50.0")),
        Json.num(pct.get("90.0")), Json.num(pct.get("99.0")), alloc,
        row.get("round") instanceof Double d ? d.intValue() : 0,
        row.get("peer") instanceof String s ? s : "",
        row.get("loadAverage") instanceof String s ? s : "");
  }

  @SuppressWarnings("unchecked")
  static void addAll(Object parsed, List<Result> into) {
    for (Object row : (List<Object>) parsed) {
      into.add(from((Map<String, Object>) row));
    }
  }
}
