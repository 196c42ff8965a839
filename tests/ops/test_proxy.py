"""The nginx proxy of docker-compose.yml (deploy/nginx/) in front of a real gunicorn serving the project (defect 7).

Eight slow clients (each sends its request body one byte every 2 s) hold every thread of a bare gunicorn, so
/health/ does not answer; with the repository's nginx configuration in front, which reads each body whole before
passing it on, /health/ answers at once. Then what the proxy tells the app: the scheme (a client's own
X-Forwarded-Proto is replaced, so Django redirects plain http and sends HSTS over TLS), through the TLS server
block rendered with a throw-away certificate.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml

from accounts.models import ApiKey, hash_api_key
from tests.factories import OrganizationFactory
from tests.ops.servers import (
    NGINX_DIR,
    ROOT,
    free_port,
    http_status,
    nginx_binary,
    nginx_check,
    nginx_config,
    running,
    start_gunicorn,
    start_nginx,
)

SLOW_CLIENTS = 8
HEALTH_TIMEOUT = 3.0


@pytest.fixture
def nginx_installed():
    if nginx_binary() is None:
        pytest.fail("nginx is not installed (scripts/services.sh installs nginx-light)")


def gunicorn(tmp_path, **env):
    """gunicorn as in docker-compose.yml (gthread, three threads) on the test database."""
    # Nothing these requests do publishes a task: a broker address where nothing listens.
    env = {"SURVEYS_NUM_PROXIES": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0", **env}
    return running(start_gunicorn(port=free_port(), log=tmp_path / "gunicorn.log", env=env, threads=3))


@pytest.fixture
def api_key(db) -> str:
    """An API key whose organization can submit responses: the slow clients' requests are read by the app."""
    org = OrganizationFactory()
    prefix, raw = ApiKey.generate()
    ApiKey.objects.create(organization=org, name="slow", prefix=prefix, hashed_key=hash_api_key(raw))
    return raw


def proxy_values(*, upstream_port: int, port: int, tls_port: int | None = None, certs=None) -> dict[str, str]:
    values = {
        "NGINX_UPSTREAM": f"127.0.0.1:{upstream_port}",
        "NGINX_LISTEN": f"127.0.0.1:{port}",
        "NGINX_SERVER_NAME": "_",
        "NGINX_MAX_BODY_SIZE": "201m",
        "NGINX_RESOLVER": "127.0.0.1",  # never asked: the upstream is an address
    }
    if tls_port is not None:
        values.update({"NGINX_TLS_LISTEN": f"127.0.0.1:{tls_port}", "NGINX_CERT_DIR": str(certs)})
    return values


def health_seconds(port: int, scheme: str = "http") -> float | None:
    """Seconds /health/ took to answer 200, None if it did not within HEALTH_TIMEOUT."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/health/", timeout=HEALTH_TIMEOUT) as reply:
            assert reply.status == 200
    except TimeoutError:
        return None
    return time.monotonic() - started


class SlowClients:
    """Connections that submit a response through the API whose body comes one byte every 2 s (never finishing).

    The app reads the body of an authenticated submission: a gunicorn thread given one waits for every byte.
    """

    def __init__(self, port: int, api_key: str, count: int = SLOW_CLIENTS):
        self.port, self.api_key, self.count = port, api_key, count
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._trickle, daemon=True) for _ in range(count)]

    def _trickle(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            head = (
                "POST /api/v1/responses/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Authorization: Api-Key {self.api_key}\r\nContent-Length: 2000\r\n\r\n"
            )
            sock.sendall(head.encode())
            while not self.stop.is_set():
                try:
                    sock.sendall(b" ")
                except OSError:
                    return
                self.stop.wait(2)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # every connection has sent its headers and a byte or two
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_slow_clients_starve_bare_gunicorn_but_not_gunicorn_behind_the_proxy(nginx_installed, api_key, tmp_path):
    with gunicorn(tmp_path) as web:
        slow_clients_against(web.port, api_key, tmp_path)


def slow_clients_against(web: int, api_key: str, tmp_path) -> None:
    port = free_port()
    main = nginx_config(
        tmp_path / "nginx",
        values=proxy_values(upstream_port=web, port=port),
        templates=[NGINX_DIR / "templates" / "cx.conf.template"],
    )
    check = nginx_check(main)
    assert check.returncode == 0, check.stderr
    assert health_seconds(web) is not None

    with SlowClients(web, api_key):
        bare = [health_seconds(web) for _ in range(2)]
    assert bare == [None, None], "bare gunicorn answered /health/ although every thread waits for a slow body"

    with running(start_nginx(main, port)):
        assert health_seconds(port) is not None
        with SlowClients(port, api_key):
            proxied = [health_seconds(port) for _ in range(5)]
    assert None not in proxied, f"/health/ through the proxy did not answer with slow clients: {proxied}"
    assert max(proxied) < 1.0, proxied


@pytest.mark.django_db
def test_the_proxy_tells_the_app_the_real_scheme_over_http_and_tls(nginx_installed, tmp_path):
    with gunicorn(tmp_path, SECURE_SSL_REDIRECT="True", SECURE_HSTS_SECONDS="3600") as web:
        scheme_through(web.port, tmp_path)


def scheme_through(web: int, tmp_path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port, tls_port = free_port(), free_port()
    main = nginx_config(
        tmp_path / "nginx",
        values=proxy_values(upstream_port=web, port=port, tls_port=tls_port, certs=certs),
        templates=[NGINX_DIR / "templates" / "cx.conf.template", NGINX_DIR / "tls" / "cx-tls.conf.template"],
    )
    check = nginx_check(main)
    assert check.returncode == 0, check.stderr
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=insecure))

    def get(url: str, headers: dict | None = None):
        try:
            reply = opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10)
        except urllib.error.HTTPError as error:
            reply = error
        return reply.status, reply.headers

    with running(start_nginx(main, port)):
        # Plain http: Django sees http (a client's own X-Forwarded-Proto is replaced) and redirects to https.
        status, headers = get(f"http://127.0.0.1:{port}/api/v1/responses/", {"X-Forwarded-Proto": "https"})
        assert status == 301 and headers["Location"].startswith("https://")
        assert http_status(f"http://127.0.0.1:{port}/health/") == 200  # exempt: the container health checks
        # TLS: Django sees https and sends HSTS itself.
        status, headers = get(f"https://127.0.0.1:{tls_port}/api/v1/responses/")
        assert status == 401  # served (no key given), not redirected
        assert headers["Strict-Transport-Security"] == "max-age=3600"
        assert "nginx/" not in (headers["Server"] or "")
        # The public survey pages take at most 1 MB through the proxy: refused on the announced length alone.
        conn = http.client.HTTPSConnection("127.0.0.1", tls_port, context=insecure, timeout=10)
        conn.putrequest("POST", "/s/anything/")
        conn.putheader("Content-Length", str(2 * 1024 * 1024))
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()


def test_compose_publishes_only_the_proxy_and_supervises_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert services["web"]["environment"]["SURVEYS_NUM_PROXIES"] == "${SURVEYS_NUM_PROXIES:-1}"
    command = " ".join(services["web"]["command"])
    for option in ("--timeout=", "--graceful-timeout=", "--keep-alive="):
        assert option in command
    for name, service in services.items():
        assert service.get("restart", compose["x-app"]["restart"]) == "unless-stopped", name
        if name != "beat":
            assert "healthcheck" in service, name
    assert "WORKER_LIVENESS_FILE" in services["worker"]["environment"]
    # Every ${NGINX_...} of the templates is given to the proxy (the image's envsubst would leave it in place).
    given = set(services["proxy"]["environment"])
    for template in (NGINX_DIR / "templates").glob("*.template"):
        assert set(re.findall(r"\$\{(NGINX_[A-Z0-9_]+)\}", template.read_text())) <= given, template.name
    tls = (NGINX_DIR / "tls" / "cx-tls.conf.template").read_text()
    assert set(re.findall(r"\$\{(NGINX_[A-Z0-9_]+)\}", tls)) <= given
