# Tools the tests call that are not Rust crates, installed from Debian's packages when missing:
# xmllint validates every DDEX message against the official schema; openssl makes the TLS tests'
# certificates and socat terminates TLS in front of RabbitMQ; OpenSSH's sshd stands in for the
# platforms' SFTP servers; poppler's pdftotext and pdftoppm read back the PDF statements. Garage, the S3-compatible object store the storage tests run against,
# comes from crates.io (about eight minutes to build once on two cores). Sourced by ./dev.

GARAGE_VERSION=2.5.0

ensure_test_tools() {
  ensure_packages
  ensure_garage
}

ensure_garage() {
  if command -v garage >/dev/null 2>&1 && garage --version 2>/dev/null | grep -q ":$GARAGE_VERSION "; then
    return 0
  fi
  echo "installing garage $GARAGE_VERSION (S3-compatible object store) for the tests..." >&2
  cargo install garage --version "$GARAGE_VERSION" --locked --quiet
}

ensure_packages() {
  local missing=()
  command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} for the tests..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
         { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }; }; then
    echo "error: cannot install ${missing[*]}; install them (apt-get install ${missing[*]}) and rerun" >&2
    return 1
  fi
}
