#!/usr/bin/env bash
# Fuzzes every rpc-fuzz target for a fixed time each: ./rpc-fuzz/fuzz.sh [seconds] [target...]
#
# Jazzer fuzzes only ONE @FuzzTest per JVM (with JAZZER_FUZZ=1 the others are skipped), so this
# runs one Maven build per target. Default: 10 s each (CI); pass 600 for a 10-minute run each.
# Targets are Class#method, e.g. FramingFuzzTest#length; default: all of them.
# A finding fails that target's build; Jazzer saves the input as crash-<sha1> (timeout-<sha1> for
# an input that ran over 10 s) in the target's inputs directory under src/test/resources, where
# regression mode runs it from then on. The script goes on with the other targets and exits
# non-zero if any target failed.
set -uo pipefail

seconds="${1:-10}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(
    FramingFuzzTest#length
    FramingFuzzTest#delimiter
    EnvelopeCodecFuzzTest#decode
    PrefaceFuzzTest#decode
    PrefaceFuzzTest#roundTrip
    DecompressionFuzzTest#decompress
  )
fi

cd "$(dirname "$0")/.."
mkdir -p rpc-fuzz/target
failed=()
for target in "${targets[@]}"; do
  log="rpc-fuzz/target/fuzz-${target//#/-}.log"
  echo "== fuzzing $target for ${seconds}s (log: $log)"
  if JAZZER_FUZZ=1 mvn -B -pl rpc-fuzz -am verify \
      -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.max_duration="${seconds}s" >"$log" 2>&1; then
    grep -E '^#[0-9]+ +DONE|^Done [0-9]+ runs' "$log" | tail -2
  else
    failed+=("$target")
    echo "!! $target FAILED; see $log"
    grep -E '== Java Exception|FuzzTestFinding|libFuzzer: timeout|(crash|timeout|oom)-[0-9a-f]+|ERROR\]' "$log" | head -20
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "failed targets: ${failed[*]}"
  exit 1
fi
echo "all ${#targets[@]} targets ran ${seconds}s without a finding"
