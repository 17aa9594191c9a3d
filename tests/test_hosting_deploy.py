"""The production run: make serve, deploy/start, the gunicorn config, and the files that
describe an install (docs, Dockerfile, compose.yaml, env examples) agreeing with the code."""

import os
import re
import runpy
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "self-hosting.md"


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def settings_sources() -> str:
    return read("glfsite/settings.py") + read("glfsite/gunicorn.conf.py") + read("deploy/start")


def test_make_serve_without_a_database_url_says_what_to_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        ["make", "-s", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "DATABASE_URL=postgresql://" in result.stdout


def test_make_serve_turns_off_the_https_only_settings_and_says_so():
    makefile = read("Makefile")
    serve = makefile[makefile.index("serve:") :]
    for line in (
        "serve: export DJANGO_DEBUG = false",
        "serve: export DJANGO_SECURE_SSL_REDIRECT ?= false",
        "serve: export DJANGO_SECURE_COOKIES ?= false",
        "serve: export DJANGO_HSTS_SECONDS ?= 0",
    ):
        assert line in serve
    assert "gunicorn -c glfsite/gunicorn.conf.py" in serve


def load_gunicorn_config(monkeypatch, **env) -> dict:
    for name in list(os.environ):
        if name.startswith("GUNICORN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "glfsite" / "gunicorn.conf.py"))


def test_gunicorn_config_defaults_suit_a_server_behind_a_local_proxy(monkeypatch):
    config = load_gunicorn_config(monkeypatch)
    assert config["bind"] == ["127.0.0.1:8000"]
    assert 1 <= config["workers"] <= 9
    assert config["accesslog"] == "-" and config["errorlog"] == "-"
    assert config["timeout"] == 30
    assert config["control_socket_disable"] is True


def test_gunicorn_config_reads_the_environment(monkeypatch):
    config = load_gunicorn_config(
        monkeypatch,
        GUNICORN_BIND="0.0.0.0:9000",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="45",
    )
    assert config["bind"] == ["0.0.0.0:9000"]
    assert (config["workers"], config["threads"], config["timeout"]) == (3, 4, 45)


@pytest.fixture
def fake_tools(tmp_path):
    """`python` and `gunicorn` stand-ins that record how deploy/start called them."""
    record = tmp_path / "calls"
    for tool in ("python", "gunicorn"):
        script = tmp_path / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{record}"\n')
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    return env, record


def test_deploy_start_migrates_then_runs_gunicorn_with_the_config(fake_tools):
    env, record = fake_tools
    start = ROOT / "deploy" / "start"
    assert start.stat().st_mode & stat.S_IXUSR
    subprocess.run([str(start)], env=env, check=True, timeout=30)
    assert record.read_text().splitlines() == [
        "python manage.py migrate --noinput",
        "gunicorn -c glfsite/gunicorn.conf.py glfsite.wsgi",
    ]


def test_deploy_start_can_leave_migrations_to_another_server(fake_tools):
    env, record = fake_tools
    subprocess.run(
        [str(ROOT / "deploy" / "start")], env={**env, "GLF_MIGRATE": "false"}, check=True
    )
    assert record.read_text().splitlines() == ["gunicorn -c glfsite/gunicorn.conf.py glfsite.wsgi"]


def test_the_container_runs_the_same_start_command_and_collects_static_files():
    dockerfile = read("Dockerfile")
    assert 'CMD ["deploy/start"]' in dockerfile
    assert "deploy/install-python-deps /opt/venv" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "USER glf" in dockerfile
    assert "build: ." in read("compose.yaml")


def variables_set_in(text: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, text, flags=re.MULTILINE))


def test_every_variable_compose_sets_for_the_app_is_read_by_the_app():
    compose = read("compose.yaml")
    app = compose[compose.index("  app:") : compose.index("\nvolumes:")]
    names = variables_set_in(app, r"^      ([A-Z][A-Z0-9_]+):")
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_SECURE_PROXY_SSL_HEADER"} <= names
    sources = settings_sources()
    unknown = sorted(name for name in names if f'"{name}' not in sources)
    assert unknown == []


def test_every_variable_in_the_env_examples_is_read_by_the_app_or_compose():
    sources = settings_sources() + read("compose.yaml")
    for example in ("deploy/env.example", "deploy/compose.env.example"):
        names = variables_set_in(read(example), r"^#? ?([A-Z][A-Z0-9_]+)=")
        assert names, example
        unknown = sorted(name for name in names if name not in sources)
        assert unknown == [], example


def test_every_manage_command_the_docs_mention_exists():
    docs = DOCS.read_text(encoding="utf-8")
    # `run X` is the guide's shorthand for `manage.py X`, at the start of a command line.
    mentioned = set(re.findall(r"(?:manage\.py |^run |`run )([a-z_]+)", docs, re.MULTILINE))
    assert {"export_school", "import_school", "export_student", "erase_student"} <= mentioned
    assert {"purge_archived_answers", "migrate", "collectstatic"} <= mentioned
    missing = sorted(mentioned - set(get_commands()))
    assert missing == []


def test_every_project_file_the_docs_mention_exists():
    docs = DOCS.read_text(encoding="utf-8") + read("README.md")
    paths = set(re.findall(r"`((?:deploy|glfsite|docs)/[A-Za-z0-9_.\-/]+)`", docs))
    paths |= {"Dockerfile", "compose.yaml"}
    assert "deploy/nginx.conf" in paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_the_docs_say_what_was_tested_here_and_how():
    docs = DOCS.read_text(encoding="utf-8")
    assert "## What was tested here, and how" in docs
    assert "No container engine runs on it." in docs
