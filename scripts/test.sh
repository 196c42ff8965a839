#!/usr/bin/env bash
# Run the whole test suite against real PostgreSQL and Redis (started or installed if needed).
set -euo pipefail
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
bash scripts/services.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cxplatform}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_ALLOW_ASYNC_UNSAFE=true
echo "==> ruff"
ruff check .
echo "==> mypy" && mypy
echo "==> pytest"
exec python -m pytest "$@"
