# syntax=docker/dockerfile:1
# backbeat-worker: build in the Rust image, run from a slim Debian with only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin backbeat-worker \
 && cp target/release/backbeat-worker /backbeat-worker

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 backbeat \
 && mkdir -p /var/lib/backbeat && chown backbeat /var/lib/backbeat
COPY --from=build /backbeat-worker /usr/local/bin/backbeat-worker
USER backbeat
WORKDIR /var/lib/backbeat
ENV APP_ENVIRONMENT=production
# Health checks and Prometheus metrics (/health/live, /health/ready, /metrics).
EXPOSE 5001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s CMD ["backbeat-worker", "healthcheck"]
# SIGTERM drains in-flight jobs; give it time before SIGKILL.
STOPSIGNAL SIGTERM
ENTRYPOINT ["backbeat-worker"]
