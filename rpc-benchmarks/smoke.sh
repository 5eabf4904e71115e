#!/usr/bin/env bash
# CI smoke pass: every benchmark class once, one parameter point each, tiny iteration counts, so
# the benchmarks never rot (they must start, run and tear down), plus one tiny round of the
# interleaved comparison and its reports. Not a measurement. Under 2 min.
#
#   rpc-benchmarks/smoke.sh              # builds the jar first (reactor build)
#   SKIP_BUILD=1 rpc-benchmarks/smoke.sh # reuse rpc-benchmarks/target/benchmarks.jar
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
JAR=rpc-benchmarks/target/benchmarks.jar
if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -pl rpc-benchmarks -am package -DskipTests
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Two JMH invocations (the RPC classes and CompressionBenchmark both have a `compressor`
# parameter, with different values): every class, one point; -foe fails the script on any error.
smoke() { # smoke <name> <args...>
  local name=$1
  shift
  # ignoreLock: a smoke pass measures nothing, so it may overlap another JMH run on the machine
  "$JAVA" -Djmh.ignoreLock=true -jar "$JAR" "$@" -f 1 -wi 0 -i 1 -r 100ms -foe true -rf json -rff "$OUT/$name.json" \
    > "$OUT/$name.log" 2>&1 || { tail -40 "$OUT/$name.log"; echo "benchmark smoke failed"; exit 1; }
}
smoke rpc 'UnaryLatencyBenchmark|UnaryThroughputBenchmark|GrpcEchoBenchmark|RawSocketEchoBenchmark|FramingBenchmark|EnvelopeCodecBenchmark|MessageParseBenchmark' \
  -p payload=1024 -p transport=socket -p framing=length -p compressor=identity -p callers=4
smoke codecs 'CompressionBenchmark' -p payload=1024 -p compressor=zstd-3
# The interleaved comparison and the before/after report: two peers, one round, tiny times.
"$JAVA" -Djmh.ignoreLock=true -cp "$JAR" io.protorpc.benchmarks.compare.SideBySide \
  --peers floor,socket/default --payloads 1024 --rounds 1 --warmup 100ms --settle 50ms \
  --measure 100ms --out "$OUT/side-by-side.json" > "$OUT/side-by-side.log" 2>&1 \
  || { tail -40 "$OUT/side-by-side.log"; echo "benchmark smoke failed"; exit 1; }
"$JAVA" -cp "$JAR" io.protorpc.benchmarks.report.BeforeAfter "$OUT/side-by-side.json" -- \
  "$OUT/side-by-side.json" > /dev/null
# The report renderer must still read JMH's JSON and the comparison's.
"$JAVA" -cp "$JAR" io.protorpc.benchmarks.report.RenderReport --json "$OUT/all.json" \
  --md "$OUT/benchmarks.md" --png "$OUT/benchmarks.png" --command smoke --date now --wall - \
  "$OUT/rpc.json" "$OUT/codecs.json" "$OUT/side-by-side.json"
echo "benchmark smoke passed: $(grep -c '"benchmark"' "$OUT/all.json") results"
