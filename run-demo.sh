#!/usr/bin/env bash
# Builds protorpc (tests skipped) and runs the demo on the module path.
# Usage: ./run-demo.sh [--calls N]
#        ./run-demo.sh server --port N [--transport T] [--bind ADDRESS]
#        ./run-demo.sh client --port N [--host H] [--transport T] [--framing F] [--compressor C] [--calls N]
set -euo pipefail
cd "$(dirname "$0")"
# Maven 3.8 writes colour resets (ESC[0m) even in batch mode and when piped, and no option
# stops it: strip them, so that the demo's output is plain text. Maven's own messages (errors
# only, with -q) go to stderr; pipefail keeps its exit status.
mvn -B -q -DskipTests package 2>&1 | sed -e $'s/\x1b\[[0-9;]*m//g' >&2
# Netty's epoll native library is a module nothing requires: name it so the netty transport uses
# epoll rather than NIO (on other platforms it fails to load and Netty falls back to NIO).
# JDK 22+ warns when a module loads a native library unless allowed; zstd-jni and Netty do.
# JDK 17 accepts the same flag, so one command line serves both.
exec java --enable-native-access=com.github.luben.zstd_jni,io.netty.common \
  -p rpc-examples/target/modules --add-modules io.netty.transport.epoll.linux.x86_64 \
  -m io.protorpc.examples/io.protorpc.examples.Demo "$@"
