# shellcheck shell=bash
# Sourced by every script: one target dir for builds, tests and CI, so each reuses the others'
# artifacts (a cold node build takes over half an hour on two cores).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/iotchain/target}"
# IOTCHAIN_NODE overrides the binary the scripts run (tests point it at the one cargo built).
NODE_BIN="${IOTCHAIN_NODE:-$CARGO_TARGET_DIR/release/iotchain-node}"
# shellcheck disable=SC2034 # for the scripts that source this
IOTCTL_BIN="$CARGO_TARGET_DIR/release/iotctl"

# Builds the node exactly as `cargo test --release --workspace` does (same packages, so the
# same features), so running and testing share one set of compiled artifacts.
build_node() {
	cargo build --release --locked --workspace
}

# One JSON-RPC call over HTTP to the node at $RPC_URL: prints the reply's `result` as JSON (a
# string keeps its quotes; `jq -r .` takes them off), and fails on an error reply or no reply.
rpc() { # METHOD [PARAMS-JSON]
	local reply
	reply=$(curl -sf -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" \
		"$RPC_URL") || return 1
	jq -c 'if has("result") then .result else error(.error | tostring) end' <<<"$reply"
}

# A loopback port nothing listens on, from below the kernel's ephemeral range (32768 and up),
# as the tests take theirs (`free_port` in testing/src/lib.rs says why: a port from that range
# can be taken by any outgoing connection before the node binds it). Each call starts at an
# offset drawn from its own process id, so calls one after another, and scripts side by side,
# walk different ports.
free_port() {
	local first=20000 count=12000 offset port i
	offset=$((BASHPID % count))
	for ((i = 0; i < count; i++)); do
		port=$((first + (offset + i) % count))
		# A refused connection: nothing listens there.
		if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "no free loopback port in $first..$((first + count - 1))" >&2
	return 1
}

# A throwaway development node (`--dev`, Alice validating), started in the background with its
# output in LOG and its RPC on a free port; returns once its RPC answers. FLAGS default to
# `--tmp` (state discarded on exit); give `--base-path DIR` to keep it. Sets DEV_NODE_PID,
# DEV_NODE_RPC_PORT and RPC_URL (for `rpc`); the caller's EXIT trap calls `stop_dev_node`.
DEV_NODE_PID=""
start_dev_node() { # LOG [FLAG ...]
	local log="$1"
	shift
	[ $# -gt 0 ] || set -- --tmp
	DEV_NODE_RPC_PORT=$(free_port)
	RPC_URL="http://127.0.0.1:$DEV_NODE_RPC_PORT"
	# Its p2p port is the kernel's choice: nothing connects to a dev node.
	"$NODE_BIN" --dev --no-mdns --no-telemetry --no-prometheus \
		--listen-addr /ip4/127.0.0.1/tcp/0 --rpc-port "$DEV_NODE_RPC_PORT" "$@" >"$log" 2>&1 &
	DEV_NODE_PID=$!
	local deadline=$((SECONDS + 60))
	until rpc system_health >/dev/null 2>&1; do
		if ! kill -0 "$DEV_NODE_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
			echo "the development node did not start; its log ($log) ends:" >&2
			tail -20 "$log" >&2
			return 1
		fi
		sleep 0.05
	done
}

# Stops the node start_dev_node started, if any, and waits until it has exited.
stop_dev_node() {
	[ -n "$DEV_NODE_PID" ] || return 0
	kill -TERM "$DEV_NODE_PID" 2>/dev/null || true
	wait "$DEV_NODE_PID" 2>/dev/null || true
	DEV_NODE_PID=""
}
