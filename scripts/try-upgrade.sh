#!/usr/bin/env bash
# Checks a runtime upgrade against a real chain's state before anyone votes for it: snapshots
# the state a node serves at its last finalised block, then runs the tree's runtime — built
# natively with `try-runtime` — over it as the first block on new code would: every migration
# with its pre- and post-checks, every pallet's storage version against its code, the whole
# state decoded, every pallet's `try_state` (runtime/tests/try_upgrade.rs).
#
#   scripts/try-upgrade.sh [--rehearsal] [URL]
#
# URL: a node of the chain to upgrade whose RPC allows unsafe methods (its local RPC does),
# e.g. ws://127.0.0.1:9944. Without one, a development node is started and populated with the
# README's `iotctl` walk-through (organisations, devices, a gateway, a registration, a login,
# a firmware release and its install), and checked. --rehearsal checks the upgrade rehearsal
# (the tree's runtime with its `upgrade-rehearsal` migration) instead of the tree's runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

features=try-runtime
if [ "${1:-}" = "--rehearsal" ]; then
	features=try-runtime,upgrade-rehearsal
	shift
fi
URL="${1:-}"
work=$(mktemp -d)
trap 'stop_dev_node; rm -rf "$work"' EXIT

if [ -z "$URL" ]; then
	if [ ! -x "$NODE_BIN" ] || [ ! -x "$IOTCTL_BIN" ]; then build_node; fi
	start_dev_node "$work/node.log" --base-path "$work/node"
	URL="ws://127.0.0.1:$DEV_NODE_RPC_PORT"
	# The README's walk-through, as written, minus its last step (which watches forever).
	walkthrough="$work/walkthrough.sh"
	awk '/^## `iotctl`: a walk-through/ { section = 1 }
		section && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside && !/chain watch/ { print }' README.md >"$walkthrough"
	echo "populating a development chain with the README's walk-through"
	(cd "$work" && IOTCHAIN_URL="$URL" bash -euo pipefail "$walkthrough" >"$work/walkthrough.log" 2>&1) || {
		tail -20 "$work/walkthrough.log" >&2
		echo "the walk-through failed" >&2
		exit 1
	}
fi

snapshot="$work/snapshot.json"
"$IOTCTL_BIN" --url "$URL" chain snapshot --out "$snapshot"

# Its own feature set, so it compiles apart from the node's build (once, then reused); no wasm.
IOTCHAIN_SNAPSHOT="$snapshot" SKIP_WASM_BUILD=1 \
	cargo test --release --locked -p iotchain-runtime --features "$features" \
	--test try_upgrade -- --nocapture
