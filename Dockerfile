# The iotchain node and gateway, built from this tree.
#
#   docker build -t iotchain-node .
#
# The builder stage needs what scripts/setup.sh installs on a host; the final image holds only
# the node and gateway binaries and the validators' entrypoint (scripts/consortium-node.sh, run
# by bash, which Debian images always have), and runs them as an unprivileged user.
FROM docker.io/library/rust:1.95-bookworm AS builder
RUN apt-get update \
	&& apt-get install -y --no-install-recommends clang mold protobuf-compiler make pkg-config \
	&& rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32v1-none && rustup component add rust-src
WORKDIR /iotchain
COPY . .
RUN cargo build --release --locked -p iotchain-node -p iotchain-gateway

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --create-home --uid 1000 --user-group --home-dir /iotchain iotchain \
	&& mkdir /data && chown iotchain:iotchain /data
COPY --from=builder /iotchain/target/release/iotchain-node /usr/local/bin/iotchain-node
COPY --from=builder /iotchain/target/release/iotchain-gateway /usr/local/bin/iotchain-gateway
# docker-compose.yml's validators start through it: the flags new-consortium.sh wrote for their
# organisation (node.args), with a container's addresses and ports filled in.
COPY scripts/consortium-node.sh /usr/local/bin/consortium-node
USER iotchain
# p2p, RPC (WebSocket and HTTP), Prometheus
EXPOSE 30333 9944 9615
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/iotchain-node"]
