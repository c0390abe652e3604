#!/usr/bin/env bash
# Measures a development chain: time from process start to the first finalised block, then
# blocks produced and finalised over a window (default 60 s). Prints the figures recorded in
# docs/benchmarks.md.
#
#   scripts/bench-dev-chain.sh [WINDOW_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

WINDOW="${1:-60}"
RPC_PORT="${IOTCHAIN_BENCH_RPC_PORT:-19944}"
[ -x "$NODE_BIN" ] || build_node

rpc() { # method [params-json]
	curl -sf -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" \
		"http://127.0.0.1:$RPC_PORT"
}
best() { rpc chain_getHeader | jq -r '.result.number' | xargs printf '%d'; }
finalized() {
	local hash
	hash=$(rpc chain_getFinalizedHead | jq -r .result)
	rpc chain_getHeader "[\"$hash\"]" | jq -r '.result.number' | xargs printf '%d'
}
now() { date +%s.%N; }

LOG=$(mktemp)
started=$(now)
"$NODE_BIN" --dev --tmp --rpc-port "$RPC_PORT" --no-prometheus --no-telemetry >"$LOG" 2>&1 &
NODE_PID=$!
trap 'kill -TERM $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null; rm -f "$LOG"' EXIT

until rpc system_health >/dev/null 2>&1; do sleep 0.05; done
rpc_ready=$(now)
until [ "$(finalized)" -ge 1 ]; do sleep 0.05; done
first_final=$(now)

best0=$(best)
final0=$(finalized)
sleep "$WINDOW"
best1=$(best)
final1=$(finalized)

awk -v s="$started" -v r="$rpc_ready" -v f="$first_final" -v w="$WINDOW" \
	-v b0="$best0" -v b1="$best1" -v f0="$final0" -v f1="$final1" 'BEGIN {
	printf "start -> RPC ready:              %.2f s\n", r - s
	printf "start -> first finalised block:  %.2f s\n", f - s
	printf "window:                          %d s\n", w
	printf "blocks produced per minute:      %.1f\n", (b1 - b0) * 60 / w
	printf "blocks finalised per minute:     %.1f\n", (f1 - f0) * 60 / w
	printf "finality lag at end (blocks):    %d\n", b1 - f1
}'
