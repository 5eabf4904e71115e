#!/usr/bin/env bash
# Builds protorpc (tests skipped) and runs the demo on the module path.
# Usage: ./run-demo.sh [--calls N]
#        ./run-demo.sh server --port N [--transport T] [--bind ADDRESS]
#        ./run-demo.sh client --port N [--host H] [--transport T] [--framing F] [--compressor C] [--calls N]
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -DskipTests package
exec java -p rpc-examples/target/modules -m io.protorpc.examples/io.protorpc.examples.Demo "$@"
