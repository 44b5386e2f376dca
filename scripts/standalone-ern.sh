#!/usr/bin/env bash
# The ERN schema tests from a copy of the checkout with nothing beside it (no ../shared, no
# workplace): proves the repository carries DDEX's schema and everything else those tests read.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
copy=$(mktemp -d /tmp/backbeat-alone.XXXXXX)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -C "$copy" -xf -
if [ -e "$copy/../shared" ]; then
  echo "$(dirname "$copy")/shared exists: the copy would not stand alone" >&2
  exit 1
fi
cd "$copy"
# The checkout's target: dependencies are built once; the workspace's crates build again here.
CARGO_TARGET_DIR="$checkout/target" cargo nextest run -p backbeat-domain --test ern
