#!/usr/bin/env bash
# Runs the iotchain pallets' benchmarks on this machine and writes each pallet's weights.rs from
# the results, through scripts/templates/pallet-weights.hbs.
#
#   scripts/benchmark-pallets.sh [PALLET_DIR ...]    e.g. scripts/benchmark-pallets.sh device-registry
#
# With no argument every pallet under pallets/ is measured. The node is built with the
# `runtime-benchmarks` feature first (its own feature set, so the first run compiles for a while).
# Run it on an otherwise idle machine: the figures become the chain's weights.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

STEPS="${IOTCHAIN_BENCH_STEPS:-50}"
REPEAT="${IOTCHAIN_BENCH_REPEAT:-20}"

if [ "$#" -eq 0 ]; then
	set -- $(ls pallets)
fi

cargo build --release --locked -p iotchain-node --features runtime-benchmarks

for dir in "$@"; do
	[ -d "pallets/$dir" ] || { echo "no pallet at pallets/$dir" >&2; exit 2; }
	pallet="pallet_${dir//-/_}"
	echo "== $pallet"
	"$NODE_BIN" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--template scripts/templates/pallet-weights.hbs \
		--output "pallets/$dir/src/weights.rs"
done
