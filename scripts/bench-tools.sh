# Tools of `./dev bench reads`, built once into target/ (sourced by ./dev).

# oha, the open-loop load generator (fixed arrival rate, latency from each request's due time).
OHA_VERSION=1.16.0
ensure_oha() {
  local oha=target/tools/bin/oha
  if [ ! -x "$oha" ] || ! "$oha" --version | grep -q "$OHA_VERSION"; then
    echo "installing oha $OHA_VERSION into target/tools (once)" >&2
    cargo install oha --version "$OHA_VERSION" --locked --root target/tools
  fi
  export BACKBEAT_OHA="$PWD/$oha"
}

# The API as it was before the read path was reworked (one query per album read, search in a
# transaction with a custom plan forced), built once in its own target directory so this
# checkout's binaries are left alone.
BASELINE_COMMIT=ac655e1b709fc8e1c45a010ae9f3b2f89c97b002
ensure_baseline_api() {
  local dir=target/baseline
  local binary="$dir/backbeat-api-${BASELINE_COMMIT:0:7}"
  if [ ! -x "$binary" ]; then
    echo "building the baseline API ($BASELINE_COMMIT) into $dir (once)" >&2
    rm -rf "$dir/src" && mkdir -p "$dir/src"
    git archive "$BASELINE_COMMIT" | tar -x -C "$dir/src"
    cargo build --release --manifest-path "$dir/src/Cargo.toml" --target-dir "$dir/target" \
      --bin backbeat-api
    cp "$dir/target/release/backbeat-api" "$binary"
  fi
  export BACKBEAT_BASELINE_API="$PWD/$binary"
}
