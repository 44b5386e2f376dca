# Tools the tests call that are not Rust crates, installed from Debian's packages when missing:
# xmllint validates every DDEX message against the official schema; openssl makes the TLS tests'
# certificates and socat terminates TLS in front of RabbitMQ; OpenSSH's sshd stands in for the
# platforms' SFTP servers. Sourced by ./dev.

ensure_test_tools() {
  local missing=()
  command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
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
