#!/usr/bin/env bash
# Validates every Kubernetes manifest in deploy/kubernetes against the API schemas of a recent
# Kubernetes, offline (PyPI's kubernetes-validate carries them), strictly (unknown fields are
# errors). Installs the validator into target/ when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.37.0
tool=target/kubernetes-validate
if ! "$tool/bin/kubernetes-validate" --version 2>/dev/null | grep -qx "$version"; then
  python3 -m venv "$tool"
  "$tool/bin/pip" install --quiet "kubernetes-validate==$version"
fi
manifests=()
for f in deploy/kubernetes/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
"$tool/bin/kubernetes-validate" --strict --kubernetes-version 1.33.0 "${manifests[@]}"
# The kustomization names only files that exist, and every manifest is named in it.
python3 - <<'PY'
import pathlib, sys, yaml
root = pathlib.Path("deploy/kubernetes")
kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
listed = set(kustomization["resources"])
present = {p.name for p in root.glob("*.yaml")} - {"kustomization.yaml"}
if listed != present:
    sys.exit(f"kustomization.yaml resources {sorted(listed)} differ from the manifests {sorted(present)}")
# Every variable the manifests set is a setting backbeat reads (.env.example lists them all).
import re
known = set(re.findall(r"(APP_[A-Z0-9_]+)=", pathlib.Path(".env.example").read_text()))
config = yaml.safe_load((root / "config.yaml").read_text())["data"]
secrets = re.findall(r"^(APP_[A-Z0-9_]+)=", (root / "secrets.env.example").read_text(), re.M)
unknown = sorted(set(config) - known | set(secrets) - known)
if unknown:
    sys.exit(f"not settings of .env.example: {unknown}")
PY
