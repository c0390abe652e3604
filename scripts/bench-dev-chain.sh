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
[ -x "$NODE_BIN" ] || build_node

number() { jq -r .number | xargs printf '%d'; }
best() { rpc chain_getHeader | number; }
finalized() { rpc chain_getHeader "[$(rpc chain_getFinalizedHead)]" | number; }
now() { date +%s.%N; }

LOG=$(mktemp)
trap 'stop_dev_node; rm -f "$LOG"' EXIT
started=$(now)
start_dev_node "$LOG"
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
