#!/usr/bin/env bash
# The one command: builds the benchmarks jar (reactor build, nothing installed), runs the
# side-by-side comparison (raw-socket floor, gRPC-java default and directExecutor(), protorpc
# socket/netty default and directExecutor(); 1 KiB, 64 KiB, 1 MiB; one caller and 64 in flight)
# in interleaved rounds in one JVM, then a short pass of codec micro-benchmarks, writes the JSON
# to rpc-benchmarks/results/results.json, renders docs/benchmarks.md and docs/benchmarks.png, and
# puts the like-for-like table in README's Benchmarks section (between its headline markers).
# See rpc-benchmarks/README.md for the counts and how long it takes.
#
#   rpc-benchmarks/run.sh                 # from the repository root (or anywhere)
#   JAVA=/path/to/java rpc-benchmarks/run.sh
#   SKIP_BUILD=1 rpc-benchmarks/run.sh    # reuse the jar (JAR=path picks another one)
#   ROUNDS=3 MEASURE=2s rpc-benchmarks/run.sh   # other counts (defaults below)
#   STATE="quiet window: ..." rpc-benchmarks/run.sh   # a sentence on the machine's state
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
JAR=${JAR:-rpc-benchmarks/target/benchmarks.jar}
OUT=rpc-benchmarks/results
# Counts, chosen to fit well under 15 minutes on 2 cores: 42 points (7 peers x 3 payloads x 2
# modes); a warm-up round of 2 s per point (discarded), then 5 rounds; every point in every round
# is a fresh server and client, a 300 ms warm-up iteration (connects, fills the window) and 1 s
# measured.
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-2s}
MEASURE=${MEASURE:-1s}
SETTLE=${SETTLE:-300ms}
START=$(date +%s)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -pl rpc-benchmarks -am package -DskipTests
fi
mkdir -p "$OUT/parts"
rm -f "$OUT"/parts/*.json "$OUT"/parts/*.log

echo "== side by side: $ROUNDS rounds of $MEASURE per point after a $WARMUP warm-up round"
"$JAVA" -Xmx2g -Xms2g --enable-native-access=ALL-UNNAMED \
  -cp "$JAR" io.protorpc.benchmarks.compare.SideBySide --out "$OUT/parts/1-side-by-side.json" \
  --rounds "$ROUNDS" --warmup "$WARMUP" --settle "$SETTLE" --measure "$MEASURE" \
  --payloads 1024,65536,1048576 --callers 64 | tee "$OUT/parts/1-side-by-side.log"

# codec micro-benchmarks: one short fork per point (they need no interleaving: no peer to compare)
MICRO=(-f 1 -wi 1 -i 1 -w 1s -r 1s -prof gc -foe true)
n=1
jmh() { # jmh <label> <args...>
  local label=$1
  shift
  n=$((n + 1))
  echo "== [$n] $label ($(( $(date +%s) - START )) s elapsed)"
  "$JAVA" -jar "$JAR" "$@" -rf json -rff "$OUT/parts/$n-$label.json" > "$OUT/parts/$n-$label.log" 2>&1 \
    || { echo "   failed: see $OUT/parts/$n-$label.log"; tail -20 "$OUT/parts/$n-$label.log"; exit 1; }
}
jmh framing-parse "FramingBenchmark|MessageParseBenchmark" -p payload=1024,1048576 "${MICRO[@]}"
jmh compression "CompressionBenchmark" -p compressor=zstd-3,gzip-6 -p payload=16384 "${MICRO[@]}"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
ELAPSED=$(( $(date +%s) - START ))
WALL="$((ELAPSED / 60)) min $((ELAPSED % 60)) s ($([[ -z "${SKIP_BUILD:-}" ]] && echo "build included" || echo "jar built before"))"
echo "== benchmarks done in $WALL; rendering"
"$JAVA" -cp "$JAR" io.protorpc.benchmarks.report.RenderReport \
  --json "$OUT/results.json" --md docs/benchmarks.md --png docs/benchmarks.png --readme README.md \
  --command "rpc-benchmarks/run.sh" --date "$DATE" --wall "$WALL" \
  --counts "warm-up round $WARMUP per point; then per point and round a $SETTLE warm-up iteration and one $MEASURE measured iteration" \
  --state "${STATE:-}" \
  --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER" "$OUT"/parts/*.json
echo "== wrote $OUT/results.json, docs/benchmarks.md, docs/benchmarks.png, README.md (headline)"
