#!/bin/sh
# The project's test command: every module's tests, including the amqp transport's, which start
# private RabbitMQ nodes of their own and so need Debian's rabbitmq-server package. Installs it
# (with apt-get; through sudo unless run as root) when it is missing, then runs `mvn -B verify`.
# Extra arguments go to Maven, e.g. ./run-tests.sh -pl rpc-transport-amqp -am
set -eu
cd "$(dirname "$0")"

if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  echo "run-tests.sh: rabbitmq-server is not installed; installing it with apt-get" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "run-tests.sh: no apt-get here. Install RabbitMQ 3.x so that" \
      "/usr/lib/rabbitmq/bin/rabbitmq-server and epmd exist (docs/broker.md), then run again." >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  # installing starts no broker where services cannot start; the tests start their own
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server
fi

exec mvn -B verify "$@"
