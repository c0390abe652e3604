#!/usr/bin/env bash
# Fuzzes the runtime (block after block, every pallet's try_state after each) and the gateway
# envelope and certification scheme with cargo-fuzz: libFuzzer on the nightly toolchain, with
# debug assertions, so an arithmetic overflow is a finding too. No sanitizer: the code under
# test is safe Rust, and panics and broken invariants are what it looks for.
#
#   scripts/fuzz.sh smoke              replays every target's regression inputs, then fuzzes
#                                      each for IOTCHAIN_FUZZ_SECONDS (default 20), starting
#                                      from fuzz/seeds/TARGET; CI runs this
#   scripts/fuzz.sh run TARGET [RUNS]  a campaign of RUNS executions (default 10,000,000);
#                                      the corpus grows in fuzz/corpus/TARGET, a crashing input
#                                      lands in fuzz/artifacts/TARGET
#
# A crashing input, once its bug is fixed, goes into fuzz/regressions/TARGET/ so every smoke
# run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

TARGETS=(gateway_envelope certification_scheme runtime)
# The targets run the runtime natively; its wasm is not needed.
export SKIP_WASM_BUILD=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
fuzz() { (cd fuzz && cargo +nightly fuzz "$@"); }

case "${1:-}" in
smoke)
	fuzz build --sanitizer none --debug-assertions
	for target in "${TARGETS[@]}"; do
		echo "== $target: regression inputs"
		mkdir -p "fuzz/regressions/$target"
		fuzz run --sanitizer none --debug-assertions "$target" "regressions/$target" -- -runs=0
		echo "== $target: ${IOTCHAIN_FUZZ_SECONDS:-20} s"
		mkdir -p "fuzz/corpus/$target"
		fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" "seeds/$target" -- \
			-max_total_time="${IOTCHAIN_FUZZ_SECONDS:-20}" -print_final_stats=1
	done
	;;
run)
	target="${2:?which target: ${TARGETS[*]}}"
	mkdir -p "fuzz/corpus/$target"
	fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" "seeds/$target" -- \
		-runs="${3:-10000000}" -print_final_stats=1
	;;
*)
	echo "usage: scripts/fuzz.sh smoke | run TARGET [RUNS]" >&2
	exit 2
	;;
esac
