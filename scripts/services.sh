#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start them if installed but stopped; install them if root.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing $* from Debian packages"
    apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql || { echo "ERROR: PostgreSQL is not installed and cannot be installed here (need root + apt): install it, or set DATABASE_URL to a running server." >&2; exit 1; }
  fi
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "ERROR: PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server || { echo "ERROR: Redis is not installed (need root + apt to install it)." >&2; exit 1; }
  echo "==> starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "ERROR: Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi

# nginx: the proxy tests (tests/ops/test_proxy.py) run the repository's deploy/nginx configuration.
if ! command -v nginx >/dev/null; then
  apt_install nginx-light || apt_install nginx || echo "WARNING: nginx missing: the proxy tests will fail." >&2
fi
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium || echo "WARNING: /usr/bin/chromium missing: browser tests will fail." >&2
fi
# WeasyPrint (the report's PDF) loads these libraries at import; DejaVu fonts carry every Nordic letter.
pdf_missing=()
for pkg in libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || pdf_missing+=("$pkg")
done
if [ ${#pdf_missing[@]} -gt 0 ]; then
  apt_install "${pdf_missing[@]}" || echo "WARNING: ${pdf_missing[*]} missing: the report's PDF cannot be rendered." >&2
fi
exit 0
