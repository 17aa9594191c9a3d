"""Stateless app servers: two gunicorn processes on one PostgreSQL database serve one user.

The user logs in through the first server (the real login form, with its CSRF token) and
then makes an authenticated change through the second with the same cookies. Nothing but
the database (and the shared secret key) links the two, as behind a load balancer.

The servers run the production settings (debug off, WhiteNoise's hashed static files after a
real collectstatic) and are started by deploy/start, the command of the container and of the
systemd unit.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

from lessons.models import User

from .factories import TeacherFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "first-pass-phrase-42"
NEW_PASSWORD = "second-pass-phrase-43"

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """Just enough of a browser: cookies across servers, forms, no redirect following."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server: str, method: str, path: str, form: dict | None = None):
        host, port = server.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=20)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, text

    def csrf_token(self, server: str, path: str) -> str:
        status, _, html = self.request(server, "GET", path)
        assert status == 200, (path, status)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


# The authenticated change made through the second server. Today it is a password change;
# when autosave lands, swap these two functions for an autosave POST and its check.
def make_authenticated_change(browser: Browser, server: str, user: User) -> None:
    token = browser.csrf_token(server, "/accounts/password_change/")
    status, headers, body = browser.request(
        server,
        "POST",
        "/accounts/password_change/",
        {
            "csrfmiddlewaretoken": token,
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert status == 302, body[:2000]


def assert_change_is_in_the_database(user: User) -> None:
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgresql://{user}{password}@{host}:{port}/{db['NAME']}"


def skip_unless_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "Two app servers need a database they can share: run the suite on PostgreSQL "
            "(DATABASE_URL=postgresql://… make test) to include this test."
        )


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """A real collectstatic with the production storage, as an install runs it."""
    skip_unless_postgresql()
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_STATIC_ROOT": str(root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def two_servers(static_root, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")},
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        # deploy/start runs `python` and `gunicorn` from PATH, as in the container.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    servers, processes, logs = [], [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = (tmp_path / f"server-{name}.log").open("w+")
            logs.append(log)
            # deploy/start is what the container and the systemd unit run: migrate (on
            # one server only), then gunicorn with glfsite/gunicorn.conf.py.
            server_env = {
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GLF_MIGRATE": "true" if name == "a" else "false",
            }
            processes.append(
                subprocess.Popen(
                    [str(ROOT / "deploy" / "start")],
                    cwd=ROOT,
                    env=server_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            servers.append(f"127.0.0.1:{port}")
        for server, process in zip(servers, processes, strict=True):
            wait_until_healthy(server, process)
        logs[0].seek(0)
        assert "No migrations to apply." in logs[0].read(), "deploy/start did not migrate"
        yield servers
    except BaseException:
        for log in logs:
            log.seek(0)
            print(log.read())
        raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def wait_until_healthy(server: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn on {server} exited"
        try:
            status, _, _ = Browser().request(server, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn on {server} did not answer /healthz in 30 s")


def test_log_in_on_one_server_and_change_data_through_another(two_servers, settings):
    # The servers use the real password hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    teacher = TeacherFactory(username="two_servers", full_name="Tess Twoservers")
    teacher.set_password(PASSWORD)
    teacher.save()
    server_a, server_b = two_servers
    browser = Browser()

    token = browser.csrf_token(server_a, "/accounts/login/")
    status, headers, _ = browser.request(
        server_a,
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "two_servers", "password": PASSWORD},
    )
    assert status == 302 and headers["Location"] == "/"
    assert "sessionid" in browser.cookies

    # The second server knows the session it never saw being made.
    status, _, html = browser.request(server_b, "GET", "/")
    assert status == 200
    assert "Tess Twoservers" in html
    # Its pages use the hashed static files that collectstatic wrote.
    assert re.search(r"/static/css/app\.[0-9a-f]{12}\.css", html)

    make_authenticated_change(browser, server_b, teacher)
    assert_change_is_in_the_database(teacher)

    # Both servers still serve the same, still valid, session.
    for server in (server_a, server_b):
        status, _, html = browser.request(server, "GET", "/")
        assert status == 200 and "Tess Twoservers" in html


def test_a_session_ended_on_one_server_is_ended_on_the_other(two_servers, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    teacher = TeacherFactory(username="two_servers")
    teacher.set_password(PASSWORD)
    teacher.save()
    server_a, server_b = two_servers
    browser = Browser()
    token = browser.csrf_token(server_a, "/accounts/login/")
    browser.request(
        server_a,
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "two_servers", "password": PASSWORD},
    )
    token = browser.csrf_token(server_b, "/")
    status, _, _ = browser.request(
        server_b, "POST", "/accounts/logout/", {"csrfmiddlewaretoken": token}
    )
    assert status == 302
    status, headers, _ = browser.request(server_a, "GET", "/")
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
