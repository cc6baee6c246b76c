# feedwright: a static binary on an empty base image.
#
#   docker build -t feedwright .
#   docker run -d --name feedwright -p 8080:8080 -v feedwright-data:/data feedwright
#
# Stage 1 builds a static (musl) binary; dependencies are built in their own layer, so editing the
# code does not rebuild them. Stage 2 is `scratch`: the binary, CA certificates for HTTPS, the
# shipped configs, and two folders: /config (read) and /data (the store, the only thing written).

FROM rust:1.95-alpine AS builder
RUN apk add --no-cache musl-dev
WORKDIR /build

# Dependencies first: a skeleton crate with the real manifest and lock file.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' > benches/extract.rs \
 && echo 'fn main() {}' > benches/enrich.rs \
 && cargo build --release --locked --bin feedwright \
 && rm -rf src benches

# Then the code.
COPY src ./src
COPY benches ./benches
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin feedwright \
 && strip target/release/feedwright \
 && mkdir -p /rootfs/data /rootfs/config /rootfs/etc/ssl/certs \
 && cp target/release/feedwright /rootfs/feedwright \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt

COPY config /rootfs/config
# The unprivileged user (65532, "nonroot" by convention) owns /data only; /config stays read-only to it.
RUN chown -R 65532:65532 /rootfs/data && chmod 0755 /rootfs/data && chmod -R a+rX,go-w /rootfs/config

FROM scratch
COPY --from=builder /rootfs/ /
USER 65532:65532
WORKDIR /
ENV FEEDWRIGHT_LISTEN=0.0.0.0:8080 \
    FEEDWRIGHT_DATA_DIR=/data \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/feedwright", "health", "--config", "/config"]
ENTRYPOINT ["/feedwright"]
CMD ["serve", "--config", "/config"]
