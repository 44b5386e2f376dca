# Tools the tests call that are not Rust crates: xmllint validates every DDEX message against the
# official schema. Installed from Debian's packages when missing. Sourced by ./dev.

ensure_test_tools() {
  command -v xmllint >/dev/null 2>&1 && return 0
  echo "installing xmllint (libxml2-utils) for the DDEX schema tests..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get install -y -q libxml2-utils >/dev/null 2>&1 ||
         { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q libxml2-utils >/dev/null; }; }; then
    echo "error: cannot install libxml2-utils; install it (apt-get install libxml2-utils) and rerun" >&2
    return 1
  fi
}
