#!/usr/bin/env bash
# Measures the base costs of a block and of a signed extrinsic on this machine with
# `iotchain-node benchmark overhead` (the node built with `runtime-benchmarks`): an empty block,
# then a block full of signed empty `system.remark`s, each executed 100 times on the node's own
# client. Prints the figures and writes polkadot-sdk's files into $OUT (default
# /tmp/iotchain-overhead).
#
# The runtime takes the figures by hand: runtime/src/weights/block_weights.rs (the per-block
# average) and runtime/src/weights/extrinsic_weights.rs (the per-remark average, from which the
# extensions' measured compute and the remark are taken out; a runtime test checks the sum).
#
#   scripts/benchmark-overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

OUT="${OUT:-/tmp/iotchain-overhead}"
mkdir -p "$OUT"
cargo build --release --locked -p iotchain-node --features runtime-benchmarks
"$NODE_BIN" benchmark overhead \
	--dev \
	--wasm-execution compiled \
	--warmup 10 \
	--repeat 100 \
	--weight-path "$OUT" 2>&1 | grep -A4 -E 'execution overhead|Extrinsics per block'
