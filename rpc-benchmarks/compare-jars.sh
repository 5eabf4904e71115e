#!/usr/bin/env bash
# Before/after of a change under one machine state: runs the side-by-side comparison from two
# benchmark jars in alternating JVMs (before, after, then after, before, ...), PAIRS pairs, each
# JVM a warm-up round and one measured round, then prints after/before for every peer and point
# (median of the pairs and spread) with allocation per call. Build the two jars first, e.g.
# `git stash; mvn -q -pl rpc-benchmarks -am package -DskipTests; cp rpc-benchmarks/target/
# benchmarks.jar /tmp/before.jar; git stash pop; ...` and the same for the after jar.
#
#   rpc-benchmarks/compare-jars.sh BEFORE.jar AFTER.jar PAIRS [SideBySide options]
#   rpc-benchmarks/compare-jars.sh /tmp/before.jar /tmp/after.jar 3 --peers floor,socket/default --payloads 1024
set -euo pipefail
BEFORE=$1
AFTER=$2
PAIRS=$3
shift 3
JAVA=${JAVA:-java}
DIR=$(mktemp -d)
run() { # run <before|after> <pair>
  local side=$1 pair=$2 jar=$BEFORE
  shift 2
  [[ $side == after ]] && jar=$AFTER
  echo "== pair $pair: $side"
  "$JAVA" -Xmx2g -Xms2g --enable-native-access=ALL-UNNAMED -cp "$jar" \
    io.protorpc.benchmarks.compare.SideBySide --rounds 1 --out "$DIR/$side-$pair.json" "$@" \
    > "$DIR/$side-$pair.log"
}
for i in $(seq 1 "$PAIRS"); do
  if (( i % 2 == 1 )); then run before "$i" "$@"; run after "$i" "$@"
  else run after "$i" "$@"; run before "$i" "$@"; fi
done
b=() a=()
for i in $(seq 1 "$PAIRS"); do b+=("$DIR/before-$i.json"); a+=("$DIR/after-$i.json"); done
"$JAVA" -cp "$AFTER" io.protorpc.benchmarks.report.BeforeAfter "${b[@]}" -- "${a[@]}"
echo "(raw JSON in $DIR)"
