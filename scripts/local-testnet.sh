#!/usr/bin/env bash
# Starts a consortium of N validators (default 3, at most 6) of the `local` chain on loopback,
# each with its own keystore, node key and log. Ctrl-C stops them all.
#
#   scripts/local-testnet.sh [N]
#
# Validator i (0-based) listens for peers on 127.0.0.1:$((30333+i)), serves RPC on
# ws://127.0.0.1:$((9944+i)) and Prometheus metrics on :$((9615+i)). State and logs live in
# $IOTCHAIN_TESTNET_DIR (default /tmp/iotchain-testnet), wiped at every start.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

COUNT="${1:-3}"
NAMES=(Alice Bob Charlie Dave Eve Ferdie)
if ! [[ "$COUNT" =~ ^[1-6]$ ]]; then
	echo "local-testnet: N must be 1 to 6 (one per well-known development key), got '$COUNT'" >&2
	exit 2
fi
DIR="${IOTCHAIN_TESTNET_DIR:-/tmp/iotchain-testnet}"

[ -x "$NODE_BIN" ] || build_node
rm -rf "$DIR"
mkdir -p "$DIR"

public_key() { # scheme suri
	"$NODE_BIN" key inspect --scheme "$1" --output-type json "$2" | jq -r .ss58PublicKey
}

# The `local` preset has three validators; rewrite its authorities for N of them, then build
# the raw spec every validator shares (the same steps a consortium takes for a real network).
aura='[]'
grandpa='[]'
for ((i = 0; i < COUNT; i++)); do
	suri="//${NAMES[$i]}"
	aura=$(jq -c --arg k "$(public_key sr25519 "$suri")" '. + [$k]' <<<"$aura")
	grandpa=$(jq -c --arg k "$(public_key ed25519 "$suri")" '. + [[$k, 1]]' <<<"$grandpa")
done
"$NODE_BIN" build-spec --chain local --disable-default-bootnode 2>/dev/null >"$DIR/local-default.json"
# Python rather than jq: balances are u128 and jq would round them to floats.
python3 - "$DIR/local-default.json" "$aura" "$grandpa" >"$DIR/local-plain.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
patch = spec["genesis"]["runtimeGenesis"]["patch"]
patch["aura"]["authorities"] = json.loads(sys.argv[2])
patch["grandpa"]["authorities"] = json.loads(sys.argv[3])
json.dump(spec, sys.stdout)
PY
"$NODE_BIN" build-spec --chain "$DIR/local-plain.json" --raw --disable-default-bootnode 2>/dev/null \
	>"$DIR/local.json"

bootnodes=()
for ((i = 0; i < COUNT; i++)); do
	name=$(tr '[:upper:]' '[:lower:]' <<<"${NAMES[$i]}")
	for key in "sr25519 aura" "ed25519 gran"; do
		set -- $key
		"$NODE_BIN" key insert --base-path "$DIR/$name" --chain "$DIR/local.json" \
			--scheme "$1" --suri "//${NAMES[$i]}" --key-type "$2"
	done
	"$NODE_BIN" key generate-node-key --file "$DIR/$name.node-key" 2>/dev/null
	peer_id=$("$NODE_BIN" key inspect-node-key --file "$DIR/$name.node-key")
	bootnodes+=("/ip4/127.0.0.1/tcp/$((30333 + i))/p2p/$peer_id")
done

pids=()
stop_all() {
	trap - INT TERM EXIT
	echo "local-testnet: stopping ${#pids[@]} validators"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

for ((i = 0; i < COUNT; i++)); do
	name=$(tr '[:upper:]' '[:lower:]' <<<"${NAMES[$i]}")
	"$NODE_BIN" --chain "$DIR/local.json" --base-path "$DIR/$name" --validator --name "$name" \
		--node-key-file "$DIR/$name.node-key" --listen-addr "/ip4/127.0.0.1/tcp/$((30333 + i))" \
		--rpc-port $((9944 + i)) --prometheus-port $((9615 + i)) --no-mdns --no-telemetry \
		--bootnodes "${bootnodes[@]}" >"$DIR/$name.log" 2>&1 &
	pids+=($!)
	echo "local-testnet: $name  rpc ws://127.0.0.1:$((9944 + i))  log $DIR/$name.log"
done
echo "local-testnet: $COUNT validators running; Ctrl-C stops them"
wait -n "${pids[@]}" || true
echo "local-testnet: a validator exited; see its log" >&2
exit 1
