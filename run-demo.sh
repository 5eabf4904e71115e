#!/usr/bin/env bash
# Builds protorpc (tests skipped) and runs the demo on the module path.
# Usage: ./run-demo.sh [--calls N]
#        ./run-demo.sh server --port N [--transport T] [--bind ADDRESS]
#        ./run-demo.sh client --port N [--host H] [--transport T] [--framing F] [--compressor C] [--calls N]
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -DskipTests package
# Netty's epoll native library is a module nothing requires: name it so the netty transport uses
# epoll rather than NIO (on other platforms it fails to load and Netty falls back to NIO).
exec java -p rpc-examples/target/modules --add-modules io.netty.transport.epoll.linux.x86_64 \
  -m io.protorpc.examples/io.protorpc.examples.Demo "$@"
