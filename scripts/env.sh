# Sourced by every script: one target dir for builds, tests and CI, so each reuses the others'
# artifacts (a cold node build takes over half an hour on two cores).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/iotchain/target}"
# IOTCHAIN_NODE overrides the binary the scripts run (tests point it at the one cargo built).
NODE_BIN="${IOTCHAIN_NODE:-$CARGO_TARGET_DIR/release/iotchain-node}"

# Builds the node exactly as `cargo test --release --workspace` does (same packages, so the
# same features), so running and testing share one set of compiled artifacts.
build_node() {
	cargo build --release --locked --workspace
}
