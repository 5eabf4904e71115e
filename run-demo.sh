#!/usr/bin/env bash
# Builds protorpc (tests skipped) and runs the demo on the module path.
# Usage: ./run-demo.sh [--calls N]
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -DskipTests package
exec java -p rpc-examples/target/modules -m io.protorpc.examples/io.protorpc.examples.Demo "$@"
