#!/usr/bin/env bash
# Installs everything a fresh Debian machine needs to build, run and test iotchain.
# Idempotent: a second run only checks.
set -euo pipefail

APT_PACKAGES=(
	clang            # linker driver for mold (see .cargo/config.toml)
	mold             # links the node in seconds instead of minutes
	protobuf-compiler # litep2p's and libp2p's build scripts generate code from .proto files
	make
	pkg-config
	curl             # JSON-RPC: scripts/env.sh's `rpc`, the partition test in its namespaces
	jq
	python3          # the primitives' test-vector generators (make-test-vectors.py)
	python3-venv     # the independent client the tests sign with (substrate-interface, below)
	git
	mosquitto        # the MQTT broker the gateway subscribes to (its tests start their own)
	iproute2         # the partition test's network namespaces, bridges and tc
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if ! command -v rustup >/dev/null 2>&1; then
	echo "setup: rustup is required (the machine's Rust toolchain is managed by it)" >&2
	exit 1
fi
installed_targets=$(rustup target list --installed)
for target in wasm32v1-none wasm32-unknown-unknown; do
	grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
# The fuzzer (scripts/fuzz.sh) needs libFuzzer's instrumentation, which only nightly has; the
# project itself builds on stable.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

# The test runner (scripts/test.sh): it runs each test in a process of its own, several at once.
command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked

# A second, independent client for the tests (node/tests/standard_clients.rs): Python's
# substrate-interface, in a virtual environment of the project's own.
python_env="$HOME/.cache/iotchain/python"
if ! "$python_env/bin/python3" -c 'import substrateinterface' 2>/dev/null; then
	python3 -m venv "$python_env"
	"$python_env/bin/pip" install --quiet --disable-pip-version-check substrate-interface==1.8.1
fi

echo "setup: ready"
