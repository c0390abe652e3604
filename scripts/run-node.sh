#!/usr/bin/env bash
# Sets up the machine, builds the node and runs it. With no arguments it starts a development
# chain (`--dev`: one validator, Alice, state in a temporary directory); any arguments are
# passed to iotchain-node instead, e.g. `scripts/run-node.sh --chain local --alice`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
build_node
[ $# -gt 0 ] || set -- --dev --tmp
exec "$NODE_BIN" "$@"
