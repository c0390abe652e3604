# The iotchain node and gateway, built from this tree.
#
#   docker build -t iotchain-node .
#
# The builder stage needs what scripts/setup.sh installs on a host; the final image holds only
# the node binary and runs it as an unprivileged user.
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
USER iotchain
# p2p, RPC (WebSocket and HTTP), Prometheus
EXPOSE 30333 9944 9615
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/iotchain-node"]
