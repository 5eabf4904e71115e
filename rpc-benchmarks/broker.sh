#!/usr/bin/env bash
# Broker benchmarks (docs/broker.md, "Measured"): starts a private RabbitMQ node (its own
# directory, epmd and free ports; stopped by pid at the end), then runs BrokerEchoBenchmark in
# interleaved rounds in one JVM (SideBySide: every peer in turn, the order reversed every other
# round, so each ratio compares figures taken seconds apart): protorpc through the broker
# (default executors, directExecutor(), and an async window), amqp-client's own
# RpcClient/RpcServer on the same broker, and protorpc's socket transport without a broker; one
# caller (latency) and 64 in flight (throughput). Prints the table of medians and ratios.
#
#   rpc-benchmarks/broker.sh                 # builds the jar first
#   SKIP_BUILD=1 rpc-benchmarks/broker.sh    # reuse rpc-benchmarks/target/benchmarks.jar
#   ROUNDS=3 MEASURE=2s PEERS=amqp/default,rabbitmq-rpc rpc-benchmarks/broker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
JAR=rpc-benchmarks/target/benchmarks.jar
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || {
  echo "rabbitmq-server is not installed: sudo apt-get install -y rabbitmq-server" >&2; exit 1; }
if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -pl rpc-benchmarks -am package -DskipTests
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
D=$(mktemp -d /tmp/protorpc-bench-rabbit.XXXXXX)
AMQP_PORT=$(free_port); DIST_PORT=$(free_port); EPMD_PORT=$(free_port)
echo '[].' > "$D/plugins"; mkdir -p "$D/home"
epmd -port "$EPMD_PORT" -address 127.0.0.1 > "$D/epmd.out" 2>&1 &
EPMD_PID=$!
env HOME="$D/home" ERL_EPMD_PORT="$EPMD_PORT" RABBITMQ_NODENAME="bench$$@localhost" \
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$DIST_PORT" \
  RABBITMQ_MNESIA_BASE="$D/mnesia" RABBITMQ_LOG_BASE="$D/log" RABBITMQ_PID_FILE="$D/pid" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$D/plugins" RABBITMQ_FEATURE_FLAGS_FILE="$D/ff" \
  RABBITMQ_CONFIG_FILE="$D/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$D/advanced.config" \
  RABBITMQ_CONF_ENV_FILE="$D/env" \
  /usr/lib/rabbitmq/bin/rabbitmq-server > "$D/broker.out" 2>&1 &
BROKER_PID=$!
cleanup() {
  kill "$BROKER_PID" 2>/dev/null || true   # the wrapper stops the Erlang VM gracefully
  for _ in $(seq 1 80); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$BROKER_PID" 2>/dev/null || true
  kill "$EPMD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$D"
}
trap cleanup EXIT
for _ in $(seq 1 600); do   # up to 3 minutes on a busy machine; about 12 s idle
  (echo > "/dev/tcp/127.0.0.1/$AMQP_PORT") 2>/dev/null && break
  kill -0 "$BROKER_PID" 2>/dev/null || { tail -20 "$D/broker.out"; exit 1; }
  sleep 0.3
done
echo "broker on amqp://127.0.0.1:$AMQP_PORT; load average $(cut -d' ' -f1-3 /proc/loadavg)"
OUT=${OUT:-rpc-benchmarks/results/broker.json}
mkdir -p "$(dirname "$OUT")"
"$JAVA" -Xmx1g --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$JAR" io.protorpc.benchmarks.compare.SideBySide --broker "amqp://127.0.0.1:$AMQP_PORT" \
  --peers "${PEERS:-amqp/default,amqp/direct,amqp/window,rabbitmq-rpc,socket/blocking}" \
  --payloads 1024 --callers 64 --rounds "${ROUNDS:-5}" --warmup "${WARMUP:-3s}" \
  --settle "${SETTLE:-500ms}" --measure "${MEASURE:-2s}" --out "$OUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" -cp "$JAR" io.protorpc.benchmarks.report.BrokerReport "$OUT"
