# syntax=docker/dockerfile:1
# backbeat-api: build in the Rust image, run from a slim Debian with only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin backbeat-api \
 && cp target/release/backbeat-api /backbeat-api

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 backbeat \
 && mkdir -p /var/lib/backbeat && chown backbeat /var/lib/backbeat
COPY --from=build /backbeat-api /usr/local/bin/backbeat-api
USER backbeat
WORKDIR /var/lib/backbeat
ENV APP_ENVIRONMENT=production HOST=0.0.0.0 PORT=5000
EXPOSE 5000
# The binary checks itself (reads PORT like the server does): no shell tricks, no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s CMD ["backbeat-api", "healthcheck"]
ENTRYPOINT ["backbeat-api"]
CMD ["serve"]
