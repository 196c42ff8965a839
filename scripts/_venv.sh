# Sourced by the scripts: create .venv and install pinned requirements when they changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
REQ="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$REQ")"
if [ ! -f "$stamp" ]; then
  echo "==> installing $REQ"
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$REQ"
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
