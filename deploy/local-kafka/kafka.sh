#!/usr/bin/env bash
# A real Apache Kafka 4.1 broker (single KRaft node) for development and tests, without Docker.
#
#   bash deploy/local-kafka/kafka.sh fetch                                  # jars into the cache, once
#   bash deploy/local-kafka/kafka.sh start [--port N] [--data-dir DIR]      # prints 127.0.0.1:PORT
#   bash deploy/local-kafka/kafka.sh status [--data-dir DIR]
#   bash deploy/local-kafka/kafka.sh stop [--data-dir DIR]
#
# Data dir defaults to ./.homeostat/kafka (relative to the current directory); jars are cached in
# ${HOMEOSTAT_KAFKA_CACHE:-$HOME/.cache/homeostat/kafka}/4.1.1/libs. Needs Java 17+ (JAVA_HOME or
# PATH), Maven for the first fetch, and node with the workspace's node_modules.
# All logic lives in tools/local-kafka (the same code the jest global setup uses).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v node >/dev/null 2>&1; then
  echo "kafka.sh: node is not on PATH" >&2
  exit 1
fi
register="$root/node_modules/@swc-node/register"
if [[ ! -d "$register" ]]; then
  echo "kafka.sh: $register is missing; run npm install in $root first" >&2
  exit 1
fi

# Run from the caller's directory so relative --data-dir values mean what the caller expects;
# point @swc-node/register at the workspace tsconfig explicitly.
export TS_NODE_PROJECT="${TS_NODE_PROJECT:-$root/tsconfig.json}"
exec node -r "$register" "$root/tools/local-kafka/src/cli.ts" "$@"
