#!/usr/bin/env bash
# Starts an organisation's validator with the flags scripts/new-consortium.sh wrote for it
# (<consortium>/org<i>/node.args, one flag a line), its placeholders filled in, followed by any
# FLAGs given here (what this machine adds: exposing RPC, Prometheus, bootnodes). The image runs
# it as docker-compose.yml's validators' entrypoint (/usr/local/bin/consortium-node);
# scripts/local-testnet.sh starts its validators with it; the tests read node.args themselves
# (testing/src/consortium.rs, `node_args`).
#
#   consortium-node.sh NODE_ARGS [NAME=VALUE ...] [FLAG ...]
#
# The placeholders, with a container's defaults:
#   CONSORTIUM  the consortium directory (default: the one above NODE_ARGS's org<i>/)
#   P2P_HOST    the address it listens on for peers (default 0.0.0.0)
#   P2P_PORT    its p2p port (default 30333)
#   RPC_PORT    its JSON-RPC port, WebSocket and HTTP (default 9944)
# The node binary is $IOTCHAIN_NODE, else iotchain-node on the PATH. It replaces this script
# (exec), so its process id is the one this script started with.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
	echo "usage: consortium-node.sh NODE_ARGS [NAME=VALUE ...] [FLAG ...]; no file '${1:-}'" >&2
	exit 2
fi
args_file="$1"
shift
declare -A value=(
	[CONSORTIUM]="$(cd "$(dirname "$args_file")/.." && pwd)"
	[P2P_HOST]=0.0.0.0
	[P2P_PORT]=30333
	[RPC_PORT]=9944
)
while [ $# -gt 0 ] && [[ "$1" =~ ^([A-Z0-9_]+)=(.*)$ ]]; do
	if [ -z "${value[${BASH_REMATCH[1]}]+set}" ]; then
		echo "consortium-node: no placeholder ${BASH_REMATCH[1]} (${!value[*]})" >&2
		exit 2
	fi
	value[${BASH_REMATCH[1]}]="${BASH_REMATCH[2]}"
	shift
done

flags=()
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"" | "#"*) continue ;;
	esac
	for name in "${!value[@]}"; do
		line="${line//"{$name}"/"${value[$name]}"}"
	done
	if [[ "$line" == *"{"*"}"* ]]; then
		echo "consortium-node: $args_file: a placeholder left in $line" >&2
		exit 2
	fi
	flags+=("$line")
done <"$args_file"

exec "${IOTCHAIN_NODE:-iotchain-node}" "${flags[@]}" "$@"
