#!/usr/bin/env bash
# Creates a consortium of N member organisations: fresh keys for each, and the raw chain spec
# in which every organisation holds a council seat and a validator.
#
#   scripts/new-consortium.sh N [DIR]        e.g. scripts/new-consortium.sh 4 ./consortium
#
# DIR (default ./consortium, refused if it exists) receives:
#   chain-spec.json        the raw chain spec every node of the consortium starts from
#   chain-spec-plain.json  the same genesis, human-readable (what the organisations sign off)
#   orgs.json              per organisation: account, Aura and GRANDPA keys, node PeerId
#   org<i>/account.json    the organisation's account key (secret phrase; mode 600)
#   org<i>/node-key        the node's libp2p key (mode 600)
#   org<i>/data/           the node's base path, its keystore holding its Aura and GRANDPA keys
#   org<i>/node.args       the node's flags, one a line, with placeholders for what differs
#                          where it runs (scripts/consortium-node.sh fills them in)
#   compose.env            PeerIds and the host user's ids, for docker-compose.yml
#
# In a real deployment each organisation runs this step for its own keys and shares only public
# keys; here one machine plays all of them. The minimum validator count is min(N, 4): four
# validators are the fewest that keep finalising with one of them down.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

COUNT="${1:-}"
DIR="${2:-consortium}"
if ! [[ "$COUNT" =~ ^[0-9]+$ ]] || [ "$COUNT" -lt 1 ] || [ "$COUNT" -gt 32 ]; then
	echo "new-consortium: N must be 1 to 32 (the council's and the validator set's bound), got '$COUNT'" >&2
	exit 2
fi
if [ -e "$DIR" ]; then
	echo "new-consortium: $DIR exists; choose a new directory (keys are never overwritten)" >&2
	exit 2
fi
[ -x "$NODE_BIN" ] || build_node

umask 077
mkdir -p "$DIR"

new_key() { # scheme -> JSON of a fresh key
	"$NODE_BIN" key generate --scheme "$1" --output-type json
}

orgs='[]'
for ((i = 1; i <= COUNT; i++)); do
	org="$DIR/org$i"
	mkdir -p "$org"
	new_key sr25519 >"$org/account.json"
	aura=$(new_key sr25519)
	grandpa=$(new_key ed25519)
	"$NODE_BIN" key generate-node-key --file "$org/node-key" 2>/dev/null
	peer_id=$("$NODE_BIN" key inspect-node-key --file "$org/node-key")
	orgs=$(jq -c \
		--arg name "org$i" \
		--arg account "$(jq -r .ss58Address "$org/account.json")" \
		--arg aura "$(jq -r .ss58PublicKey <<<"$aura")" \
		--arg grandpa "$(jq -r .ss58PublicKey <<<"$grandpa")" \
		--arg peer_id "$peer_id" \
		'. + [{name: $name, account: $account, aura: $aura, grandpa: $grandpa, peer_id: $peer_id}]' \
		<<<"$orgs")
	# Held in mode-600 files until they are in the keystore: `key insert --suri FILE` reads a
	# file, so no secret appears on a command line.
	jq -r .secretPhrase <<<"$aura" >"$org/aura.suri"
	jq -r .secretPhrase <<<"$grandpa" >"$org/gran.suri"
done
jq . <<<"$orgs" >"$DIR/orgs.json"

# The genesis, built by the node from the organisations' public keys (the runtime's
# `consortium_genesis`, where the chain's genesis logic lives): their accounts are the only
# funded accounts, the council and the validators, only their nodes may join the network, and
# no sudo key exists. The raw spec is made from the human-readable one the organisations sign off.
"$NODE_BIN" consortium-spec --orgs "$DIR/orgs.json" >"$DIR/chain-spec-plain.json"
"$NODE_BIN" build-spec --chain "$DIR/chain-spec-plain.json" --raw --disable-default-bootnode \
	2>/dev/null >"$DIR/chain-spec.json"

# The session keys go straight into each node's keystore (which the chain spec's id locates);
# their secrets are written nowhere else.
for ((i = 1; i <= COUNT; i++)); do
	org="$DIR/org$i"
	"$NODE_BIN" key insert --base-path "$org/data" --chain "$DIR/chain-spec.json" \
		--scheme sr25519 --key-type aura --suri "$org/aura.suri"
	"$NODE_BIN" key insert --base-path "$org/data" --chain "$DIR/chain-spec.json" \
		--scheme ed25519 --key-type gran --suri "$org/gran.suri"
	rm "$org/aura.suri" "$org/gran.suri"
done

# Each organisation's validator flags, written once and read by every way of running it:
# docker-compose.yml and local-testnet.sh (through scripts/consortium-node.sh) and the tests
# (testing/src/consortium.rs). What differs from machine to machine is a placeholder; what a
# machine adds (RPC exposure, Prometheus, bootnodes) it gives on its own command line.
for ((i = 1; i <= COUNT; i++)); do
	cat >"$DIR/org$i/node.args" <<EOF
# org$i's validator: one flag a line. Placeholders, filled in where it runs: {CONSORTIUM} the
# consortium directory there, {P2P_HOST} and {P2P_PORT} where it listens for peers, {RPC_PORT}
# its JSON-RPC port. The keystore holding its session keys is in its base path.
--chain={CONSORTIUM}/chain-spec.json
--base-path={CONSORTIUM}/org$i/data
--node-key-file={CONSORTIUM}/org$i/node-key
--name=org$i
--validator
--listen-addr=/ip4/{P2P_HOST}/tcp/{P2P_PORT}
--rpc-port={RPC_PORT}
--no-mdns
--no-telemetry
EOF
done

# For docker-compose.yml: the PeerIds its bootnode addresses name, and the host user that owns
# the bind-mounted keys.
{
	echo "IOTCHAIN_UID=$(id -u)"
	echo "IOTCHAIN_GID=$(id -g)"
	jq -r 'to_entries[] | "ORG\(.key + 1)_PEER_ID=\(.value.peer_id)"' "$DIR/orgs.json"
} >"$DIR/compose.env"

echo "new-consortium: $COUNT organisations in $DIR"
jq -r '.[] | "  \(.name)  account \(.account)  peer \(.peer_id)"' "$DIR/orgs.json"
