"""Real servers for the operations tests, each on a free port of its own: Redis, gunicorn serving the project, nginx
with the repository's proxy configuration (deploy/nginx/)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.live_worker import database_url, wait_for

ROOT = Path(settings.BASE_DIR)
NGINX_DIR = ROOT / "deploy" / "nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class RedisServer:
    """A throw-away `redis-server` (no persistence, as in docker-compose.yml) that a test can kill and start again.

    It keeps its port across restarts, so clients reconnect to the same address, like a restarted container.
    """

    def __init__(self, log: Path):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (see scripts/services.sh)")
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("a") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: port_open(self.port) or self.process.poll() is not None, 10, "redis-server to listen")
        assert self.process.poll() is None, self.log.read_text()[-2000:]

    def kill(self) -> None:
        """Crash it (SIGKILL: no goodbye to the clients); everything it held is gone."""
        _stop(self.process, signal.SIGKILL)
        wait_for(lambda: not port_open(self.port), 10, "redis-server to go away")

    def stop(self) -> None:
        _stop(self.process)


def start_gunicorn(*, port: int, log: Path, env: dict[str, str], threads: int = 3) -> subprocess.Popen:
    """gunicorn serving the project on the test database (one gthread worker), ready when /health/ answers."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxplatform.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "False",
        "SECRET_KEY": "ops-test-only-" + "x" * 50,
        # Production refuses to store secrets without a key.
        "FIELD_ENCRYPTION_KEY": "b3BzLXRlc3Qtb25seS1rZXktMzItYnl0ZXMtbG9uZyE=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        **env,
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "cxplatform.wsgi",
        f"--bind=127.0.0.1:{port}",
        "--workers=1",
        "--worker-class=gthread",
        f"--threads={threads}",
        # As in docker-compose.yml.
        "--timeout=60",
        "--graceful-timeout=30",
        "--keep-alive=5",
        "--no-control-socket",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    process.log, process.port = log, port
    try:
        wait_for(
            lambda: http_status(f"http://127.0.0.1:{port}/health/") == 200 or process.poll() is not None,
            60,
            "gunicorn to serve /health/",
        )
        assert process.poll() is None, log.read_text()[-3000:]
    except BaseException:
        stop_process(process)
        raise
    return process


def stop_process(process: subprocess.Popen | None) -> None:
    _stop(process)


def http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def render_nginx_template(text: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does with NGINX_ENVSUBST_FILTER=^NGINX_: ${NGINX_...} replaced, nothing else."""
    rendered = re.sub(r"\$\{(NGINX_[A-Z0-9_]+)\}", lambda m: values[m.group(1)], text)
    assert "${NGINX_" not in rendered
    return rendered


def nginx_config(work: Path, *, values: dict[str, str], templates: list[Path]) -> Path:
    """A runnable nginx configuration in `work`: the repository's templates (rendered with `values`) and shared
    file, inside the minimal `http` block a test needs (everything nginx writes goes to `work`)."""
    (work / "cx").mkdir(parents=True, exist_ok=True)
    shutil.copy(NGINX_DIR / "cx" / "proxy.conf", work / "cx" / "proxy.conf")
    includes = []
    for template in templates:
        target = work / template.name.removesuffix(".template")
        target.write_text(render_nginx_template(template.read_text(), values))
        includes.append(f"    include {target.name};")
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / temp).mkdir(exist_ok=True)
    main = work / "nginx.conf"
    main.write_text(
        "\n".join(
            [
                "daemon off;",
                "worker_processes 1;",
                f"pid {work}/nginx.pid;",
                f"error_log {work}/error.log info;",
                "events { worker_connections 512; }",
                "http {",
                f"    access_log {work}/access.log;",
                f"    client_body_temp_path {work}/body;",
                f"    proxy_temp_path {work}/proxy;",
                f"    fastcgi_temp_path {work}/fastcgi;",
                f"    uwsgi_temp_path {work}/uwsgi;",
                f"    scgi_temp_path {work}/scgi;",
                *includes,
                "}",
                "",
            ]
        )
    )
    return main


def nginx_binary() -> str | None:
    """nginx (often in /usr/sbin, outside a user's PATH); None if it is not installed."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_check(main: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(main.parent), "-c", str(main)], capture_output=True, text=True, timeout=30
    )


def start_nginx(main: Path, port: int) -> subprocess.Popen:
    with (main.parent / "nginx.out").open("w") as out:
        process = subprocess.Popen(
            [nginx_binary(), "-p", str(main.parent), "-c", str(main)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: port_open(port) or process.poll() is not None, 15, "nginx to listen")
        assert process.poll() is None, (main.parent / "error.log").read_text()[-2000:]
    except BaseException:
        stop_process(process)
        raise
    return process


@contextlib.contextmanager
def running(process: subprocess.Popen):
    try:
        yield process
    finally:
        stop_process(process)
