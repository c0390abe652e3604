#!/usr/bin/env bash
# Regenerates client/artifacts/iotchain.scale, the metadata the client's types are generated
# from, out of a running node: the node at URL if one is given, else a temporary dev node
# started from the built binary. `iotctl chain metadata` writes the runtime's metadata V16 as
# the runtime serves it. Run it after any runtime change, then rebuild the client;
# `cargo test -p iotchain-client --test metadata` fails until the two match.
#
#   scripts/refresh-metadata.sh [ws://127.0.0.1:9944]
#
# URL may be ws:// or http:// (a node serves both on its RPC port; iotctl speaks WebSocket).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ARTIFACT=client/artifacts/iotchain.scale
URL="${1:-}"
# iotctl reads any runtime's metadata, so one built before the runtime changed does.
[ -x "$IOTCTL_BIN" ] || build_node
log=$(mktemp)
trap 'stop_dev_node; rm -f "$log"' EXIT

if [ -z "$URL" ]; then
	[ -x "$NODE_BIN" ] || build_node
	start_dev_node "$log"
	URL="ws://127.0.0.1:$DEV_NODE_RPC_PORT"
fi

"$IOTCTL_BIN" --url "${URL/#http/ws}" chain metadata --out "$ARTIFACT"
