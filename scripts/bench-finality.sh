#!/usr/bin/env bash
# Measures finality latency on a consortium of N organisations (default 4) running on loopback
# (scripts/local-testnet.sh): for every block, the time from its import on org1's node to org1
# seeing it finalised, sampled every 100 ms over a window (default 120 s). Prints the p50, p95
# and maximum recorded in docs/benchmarks.md.
#
#   scripts/bench-finality.sh [N] [WINDOW_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

COUNT="${1:-4}"
WINDOW="${2:-120}"
export IOTCHAIN_TESTNET_DIR="${IOTCHAIN_TESTNET_DIR:-/tmp/iotchain-bench-finality}"
RPC_URL=http://127.0.0.1:9944 # org1's, as local-testnet.sh assigns it
[ -x "$NODE_BIN" ] || build_node

number_of() { jq -r .number | xargs printf '%d'; }
best() { rpc chain_getHeader | number_of; }
finalized() { rpc chain_getHeader "[$(rpc chain_getFinalizedHead)]" | number_of; }

scripts/local-testnet.sh "$COUNT" >/dev/null 2>&1 &
TESTNET_PID=$!
trap 'kill -TERM $TESTNET_PID 2>/dev/null; wait $TESTNET_PID 2>/dev/null' EXIT

until [ "$(finalized 2>/dev/null || echo 0)" -ge 3 ]; do sleep 0.5; done

SAMPLES=$(mktemp)
end=$(($(date +%s) + WINDOW))
while [ "$(date +%s)" -lt "$end" ]; do
	echo "$(date +%s.%N) $(best) $(finalized)" >>"$SAMPLES"
	sleep 0.1
done

# A block's import time is the first sample showing it as best; its finality time is the first
# sample whose finalised number reaches it. Blocks already best when sampling began are skipped.
awk -v first="$(head -1 "$SAMPLES" | cut -d' ' -f2)" '
{
	t = $1; b = $2; f = $3
	for (i = last_best + 1; i <= b; i++) if (!(i in seen)) seen[i] = t
	if (b > last_best) last_best = b
	for (i = last_final + 1; i <= f; i++) final[i] = t
	if (f > last_final) last_final = f
}
END { for (i in final) if ((i in seen) && i + 0 > first + 0) print final[i] - seen[i] }
' "$SAMPLES" | sort -n | awk -v n="$COUNT" -v w="$WINDOW" '
{ latency[NR] = $1 }
END {
	if (NR == 0) { print "no block was both imported and finalised in the window"; exit 1 }
	printf "validators:                %d\n", n
	printf "window:                    %d s, %d blocks finalised\n", w, NR
	printf "finality latency p50:      %.2f s\n", latency[int(NR * 0.50 + 0.5)]
	printf "finality latency p95:      %.2f s\n", latency[int(NR * 0.95 + 0.5)]
	printf "finality latency max:      %.2f s\n", latency[NR]
}'
rm -f "$SAMPLES"
