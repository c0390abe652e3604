#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests of the runtime and pallets, the
# integration tests that start real iotchain-node processes, and the pallets' benchmarks
# (each benchmark runs once as a test, so a broken benchmark fails here, not at weight time).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
# cargo-nextest runs the tests, each in a process of its own and several at a time: the tests
# that start real nodes mostly wait on the chain, so they overlap (.config/nextest.toml says how).
# It builds exactly what `cargo test --release --workspace` builds, so the two share artifacts.
# One test alone: `cargo nextest run --release --locked --workspace NAME`.
cargo nextest run --release --locked --workspace "$@"

# The device path under load, short form (about 2 minutes): a dev node, 100 honest devices, the
# four scenarios of docs/benchmarks.md. It fails if the pool accepted a transaction that no
# finalised block included. The full run: `cargo bench --workspace --bench throughput`.
IOTCHAIN_BENCH_CHAINS=dev IOTCHAIN_BENCH_DEVICES=100 \
	cargo bench --locked --workspace --bench throughput

# The upgrade check operators run before a vote (README, "Runtime upgrades"), on the upgrade
# rehearsal: a development chain populated by the README's walk-through, snapshotted, and the
# rehearsal's migration, storage versions and every pallet's invariants checked against it.
scripts/try-upgrade.sh --rehearsal

# Benchmarks need the runtime-benchmarks feature, which must stay out of the node's build:
# this second run compiles its own variant of the pallets' dependencies, once for all pallets.
pallets=()
for dir in pallets/*/; do
	pallets+=(-p "pallet-$(basename "$dir")")
done
cargo test --release --locked "${pallets[@]}" --features runtime-benchmarks --lib -- benchmarking::

# The fuzzers' short form: every regression input replayed, then each target (the runtime
# block after block, the gateway envelope, the certification scheme) fuzzed for 20 s. The
# long campaigns are `scripts/fuzz.sh run TARGET` (docs/benchmarks.md).
IOTCHAIN_FUZZ_SECONDS=20 scripts/fuzz.sh smoke
