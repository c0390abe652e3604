#!/usr/bin/env bash
# Regenerates client/artifacts/iotchain.scale, the metadata the client's types are generated
# from, out of a running node: the node at URL if one is given, else a temporary dev node
# started from the built binary. Run it after any runtime change, then rebuild the client;
# `cargo test -p iotchain-client --test metadata` fails until the two match.
#
#   scripts/refresh-metadata.sh [http://127.0.0.1:9944]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ARTIFACT=client/artifacts/iotchain.scale
URL="${1:-}"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; true; }
trap cleanup EXIT

rpc() {
	curl -sf -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$URL"
}

if [ -z "$URL" ]; then
	[ -x "$NODE_BIN" ] || build_node
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$NODE_BIN" --dev --tmp --no-mdns --no-telemetry --no-prometheus \
		--listen-addr /ip4/127.0.0.1/tcp/0 --rpc-port "$port" >/dev/null 2>&1 &
	node_pid=$!
	URL="http://127.0.0.1:$port"
	for _ in $(seq 60); do rpc system_health '[]' >/dev/null 2>&1 && break; sleep 1; done
fi

# Metadata V16 (0x10000000 is the SCALE u32 16): an Option<OpaqueMetadata>, i.e. 0x01, a
# compact length, then the metadata bytes subxt reads.
answer=$(mktemp)
trap 'cleanup; rm -f "$answer"' EXIT
rpc state_call '["Metadata_metadata_at_version", "0x10000000"]' | jq -r .result >"$answer"
python3 - "$answer" "$ARTIFACT" <<'PY'
import sys
data = bytes.fromhex(open(sys.argv[1]).read().strip().removeprefix("0x"))
if not data or data[0] != 1:
    sys.exit("the node serves no metadata V16")
mode = data[1] & 3
if mode == 0:
    length, start = data[1] >> 2, 2
elif mode == 1:
    length, start = int.from_bytes(data[1:3], "little") >> 2, 3
elif mode == 2:
    length, start = int.from_bytes(data[1:5], "little") >> 2, 5
else:
    size = (data[1] >> 2) + 4
    length, start = int.from_bytes(data[2:2 + size], "little"), 2 + size
metadata = data[start:start + length]
if len(metadata) != length or metadata[:4] != b"meta":
    sys.exit("the metadata answer is truncated or malformed")
open(sys.argv[2], "wb").write(metadata)
print(f"{sys.argv[2]}: {length} bytes")
PY
