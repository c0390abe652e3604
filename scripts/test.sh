#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests of the runtime and pallets, and the
# integration tests that start real iotchain-node processes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/setup.sh
cargo test --release --locked --workspace "$@"
