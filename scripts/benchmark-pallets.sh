#!/usr/bin/env bash
# Runs pallet benchmarks on this machine and writes the weights the runtime uses:
# - an iotchain pallet, named by its directory (`device-registry`), gets
#   pallets/<dir>/src/weights.rs through scripts/templates/pallet-weights.hbs;
# - a polkadot-sdk pallet the runtime measures itself, named as runtime/src/benchmarks.rs names
#   it (`pallet_collective`, `frame_system_extensions`), gets runtime/src/weights/<name>.rs
#   through scripts/templates/runtime-weights.hbs.
#
#   scripts/benchmark-pallets.sh [PALLET ...]   e.g. scripts/benchmark-pallets.sh device-registry
#
# With no argument every pallet under pallets/ and every file in runtime/src/weights/ is measured. The node is built with the
# `runtime-benchmarks` feature first (its own feature set, so the first run compiles for a while).
# Run it on an otherwise idle machine: the figures become the chain's weights.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

STEPS="${IOTCHAIN_BENCH_STEPS:-50}"
REPEAT="${IOTCHAIN_BENCH_REPEAT:-20}"

if [ "$#" -eq 0 ]; then
	set -- $(ls pallets) $(ls runtime/src/weights | grep -v '^mod.rs$' | sed 's/\.rs$//')
fi

cargo build --release --locked -p iotchain-node --features runtime-benchmarks

for name in "$@"; do
	if [ -d "pallets/$name" ]; then
		pallet="pallet_${name//-/_}"
		template=scripts/templates/pallet-weights.hbs
		output="pallets/$name/src/weights.rs"
	elif grep -q "^\s*\[$name," runtime/src/benchmarks.rs; then
		pallet="$name"
		template=scripts/templates/runtime-weights.hbs
		output="runtime/src/weights/$name.rs"
	else
		echo "$name is neither a directory under pallets/ nor a pallet runtime/src/benchmarks.rs lists" >&2
		exit 2
	fi
	echo "== $pallet"
	# --chain dev runs exactly the runtime this node embeds.
	"$NODE_BIN" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--template "$template" \
		--output "$output"
	# frame_system's extension weights are a trait of frame_system, not of a crate of their own.
	if [ "$pallet" = frame_system_extensions ]; then
		sed -i 's/frame_system_extensions::WeightInfo for/frame_system::ExtensionsWeightInfo for/' "$output"
	fi
done
