#!/usr/bin/env bash
# Runs a consortium of N member organisations (default 4) as validator processes on loopback:
# the same keys, chain spec and node flags (each organisation's node.args, through
# scripts/consortium-node.sh) as docker-compose.yml, without containers. Ctrl-C stops them all.
#
#   scripts/local-testnet.sh [N]
#
# The consortium is made by scripts/new-consortium.sh N in $IOTCHAIN_TESTNET_DIR (default
# /tmp/iotchain-testnet, wiped at every start). Organisation i (1-based) listens for peers on
# 127.0.0.1:$((30332+i)), serves RPC on ws://127.0.0.1:$((9943+i)) and Prometheus metrics on
# :$((9614+i)); its account's secret phrase is in $DIR/org<i>/account.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

COUNT="${1:-4}"
if ! [[ "$COUNT" =~ ^[0-9]+$ ]] || [ "$COUNT" -lt 1 ] || [ "$COUNT" -gt 16 ]; then
	echo "local-testnet: N must be 1 to 16, got '$COUNT'" >&2
	exit 2
fi
DIR="${IOTCHAIN_TESTNET_DIR:-/tmp/iotchain-testnet}"

[ -x "$NODE_BIN" ] || build_node
rm -rf "$DIR"
scripts/new-consortium.sh "$COUNT" "$DIR"

bootnodes=()
for ((i = 1; i <= COUNT; i++)); do
	peer_id=$(jq -r ".[$((i - 1))].peer_id" "$DIR/orgs.json")
	bootnodes+=("/ip4/127.0.0.1/tcp/$((30332 + i))/p2p/$peer_id")
done

pids=()
# shellcheck disable=SC2317 # called by the traps
stop_all() {
	trap - INT TERM EXIT
	echo "local-testnet: stopping ${#pids[@]} validators"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

for ((i = 1; i <= COUNT; i++)); do
	# The flags new-consortium.sh wrote for the organisation's validator, as docker-compose.yml
	# runs it, on this machine's ports; the script execs the node, so $! is the node's pid.
	IOTCHAIN_NODE="$NODE_BIN" scripts/consortium-node.sh "$DIR/org$i/node.args" \
		P2P_HOST=127.0.0.1 P2P_PORT=$((30332 + i)) RPC_PORT=$((9943 + i)) \
		--prometheus-port $((9614 + i)) --bootnodes "${bootnodes[@]}" >"$DIR/org$i.log" 2>&1 &
	pids+=($!)
	echo "local-testnet: org$i  rpc ws://127.0.0.1:$((9943 + i))  log $DIR/org$i.log"
done
echo "local-testnet: $COUNT validators running; Ctrl-C stops them"
wait -n "${pids[@]}" || true
echo "local-testnet: a validator exited; see its log" >&2
exit 1
