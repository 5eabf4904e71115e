#!/usr/bin/env bash
# The one command: builds the benchmarks jar (reactor build, nothing installed), runs a short but
# meaningful comparison (protorpc vs gRPC-java vs the raw-socket floor, plus the codec
# micro-benchmarks) in about 10-15 minutes on 2 cores, writes JMH's JSON to
# rpc-benchmarks/results/results.json and renders docs/benchmarks.md and docs/benchmarks.png.
#
#   rpc-benchmarks/run.sh            # from the repository root (or anywhere)
#   JAVA=/path/to/java rpc-benchmarks/run.sh
#   SKIP_BUILD=1 rpc-benchmarks/run.sh   # reuse rpc-benchmarks/target/benchmarks.jar
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
JAR=rpc-benchmarks/target/benchmarks.jar
OUT=rpc-benchmarks/results
START=$(date +%s)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -pl rpc-benchmarks -am package -DskipTests
fi
mkdir -p "$OUT/parts"
rm -f "$OUT"/parts/*.json

# RPC runs: one fork per configuration, 3 warm-up iterations of 2 s + 3 measured of 1 s, with
# the gc profiler for allocation per call. gRPC-java warms up more slowly (its throughput still
# rose after 8 s of warm-up in trial runs), so it gets 5 warm-up iterations: in its favour.
RPC=(-f 1 -wi 3 -i 3 -w 2s -r 1s -prof gc -foe true)
GRPC=(-f 1 -wi 5 -i 3 -w 2s -r 1s -prof gc -foe true)
# micro-benchmarks: shorter still
MICRO=(-f 1 -wi 1 -i 2 -w 1s -r 1s -prof gc -foe true)

n=0
jmh() { # jmh <label> <args...>
  local label=$1
  shift
  n=$((n + 1))
  echo "== [$n] $label ($(( $(date +%s) - START )) s elapsed)"
  "$JAVA" -jar "$JAR" "$@" -rf json -rff "$OUT/parts/$n-$label.json" > "$OUT/parts/$n-$label.log" 2>&1 \
    || { echo "   failed: see $OUT/parts/$n-$label.log"; tail -20 "$OUT/parts/$n-$label.log"; exit 1; }
}

P_ALL=(-p payload=16,1024,65536,1048576)
# peers, every payload
jmh raw "RawSocketEchoBenchmark" "${P_ALL[@]}" -p callers=64 "${RPC[@]}"
jmh grpc "GrpcEchoBenchmark" "${P_ALL[@]}" -p callers=64 "${GRPC[@]}"
# protorpc: the full transport x framing x compression grid at 1 KiB
jmh protorpc-1k "UnaryLatencyBenchmark|UnaryThroughputBenchmark" -p payload=1024 -p callers=64 "${RPC[@]}"
# 1 MiB: length framing without compression (latency and throughput), delimiter (latency only),
# and zstd with length framing
jmh protorpc-1m "UnaryLatencyBenchmark|UnaryThroughputBenchmark" -p payload=1048576 \
  -p framing=length -p compressor=identity -p callers=64 "${RPC[@]}"
jmh protorpc-1m-delimiter "UnaryLatencyBenchmark" -p payload=1048576 \
  -p framing=delimiter -p compressor=identity "${RPC[@]}"
jmh protorpc-1m-zstd "UnaryLatencyBenchmark|UnaryThroughputBenchmark" -p payload=1048576 \
  -p compressor=zstd -p framing=length -p callers=64 "${RPC[@]}"
# 16 B and 64 KiB: the default configuration
jmh protorpc-small-mid "UnaryLatencyBenchmark|UnaryThroughputBenchmark" -p payload=16,65536 \
  -p framing=length -p compressor=identity -p callers=64 "${RPC[@]}"
# the server's directExecutor() and client callbacks on the reader thread (what the hand-off
# costs), 1 KiB, default framing and compression
jmh protorpc-direct "UnaryLatencyBenchmark|UnaryThroughputBenchmark" -p payload=1024 \
  -p framing=length -p compressor=identity -p executor=direct -p callers=64 "${RPC[@]}"
# codec micro-benchmarks
jmh framing "FramingBenchmark" "${MICRO[@]}"
jmh envelope "EnvelopeCodecBenchmark" "${MICRO[@]}"
jmh parse "MessageParseBenchmark" "${MICRO[@]}"
jmh compression "CompressionBenchmark" -p compressor=zstd-1,zstd-3,gzip-6 \
  -p payload=1024,16384 "${MICRO[@]}"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
ELAPSED=$(( $(date +%s) - START ))
WALL="$((ELAPSED / 60)) min $((ELAPSED % 60)) s (build included)"
echo "== benchmarks done in $WALL; rendering"
"$JAVA" -cp "$JAR" io.protorpc.benchmarks.report.RenderReport \
  --json "$OUT/results.json" --md docs/benchmarks.md --png docs/benchmarks.png \
  --command "rpc-benchmarks/run.sh" --date "$DATE" --wall "$WALL" \
  --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER" "$OUT"/parts/*.json
echo "== wrote $OUT/results.json, docs/benchmarks.md, docs/benchmarks.png"
