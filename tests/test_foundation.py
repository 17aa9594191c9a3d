"""The skeleton: settings, health check, error pages, base layout, security headers."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_in_production_is_a_clear_startup_error():
    result = run_manage("check", env={"DJANGO_DEBUG": "false"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_management_commands_run_on_a_fresh_clone_with_no_configuration():
    check = run_manage("check", env={})
    assert check.returncode == 0, check.stderr
    migrations = run_manage("makemigrations", "--check", "--dry-run", env={})
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr


def test_deploy_check_fails_without_a_secret_key():
    result = run_manage("check", "--deploy", env={"DJANGO_ALLOWED_HOSTS": "history.school.example"})
    assert result.returncode != 0
    assert "glfsite.E001" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("entry_point", ["glfsite.wsgi", "glfsite.asgi"])
def test_the_app_server_refuses_to_start_without_a_secret_key(entry_point):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", f"import {entry_point}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("a-secret-from-a-file-" + "x" * 40)
    result = run_manage("check", env={"DJANGO_SECRET_KEY_FILE": str(key_file)})
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SECRET_KEY": "k3y-" + "q8Zr!vT2#mW9pL4$xN7" * 3,
            "DJANGO_ALLOWED_HOSTS": "history.school.example",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_answers_503_when_the_database_does_not(client, db):
    refused = OperationalError("connection refused")
    with mock.patch("lessons.views.core.connection.cursor", side_effect=refused):
        response = client.get("/healthz")
    assert response.status_code == 503


def raise_operational_error(request):
    raise OperationalError("server closed the connection unexpectedly")


def raise_value_error(request):
    raise ValueError("a bug")


urlpatterns = [
    path("db-down/", raise_operational_error),
    path("bug/", raise_value_error),
]
# The same handler as the project's URLconf (asserted below).
handler500 = "lessons.views.core.server_error"


def test_the_project_uses_the_database_aware_error_handler():
    from glfsite import urls

    assert urls.handler500 == handler500


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_outage_is_a_503_page_not_a_500(client, db):
    client.raise_request_exception = False
    response = client.get("/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_is_our_own_500_page(client, db):
    client.raise_request_exception = False
    response = client.get("/bug/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_unknown_page_is_our_404(client, teacher):
    client.force_login(teacher)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"your dashboard" in response.content


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_teacher_logs_in_and_sees_the_teacher_dashboard(client, teacher, school_class):
    response = client.post(
        "/accounts/login/", {"username": "ms_teacher", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Your classes" in page.content
    assert b"12H History" in page.content
    assert b"Teacher" in page.content


def test_wrong_password_shows_a_message_and_keeps_the_username(client, teacher):
    response = client.post("/accounts/login/", {"username": "ms_teacher", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="ms_teacher"' in response.content


def test_logout_is_a_post_and_ends_the_session(teacher_client):
    assert teacher_client.get("/").status_code == 200
    response = teacher_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert teacher_client.get("/").status_code == 302


def test_base_layout_loads_htmx_and_sends_the_csrf_token_with_htmx_requests(teacher_client):
    html = teacher_client.get("/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in html or "htmx" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert 'id="htmx-error"' in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html


def test_htmx_script_comes_from_django_htmx_not_a_copy(teacher_client):
    html = teacher_client.get("/").content.decode()
    assert "django_htmx/htmx" in html
    assert not list((ROOT / "static").rglob("htmx*.js"))


def test_pages_carry_a_nonce_based_content_security_policy(teacher_client):
    response = teacher_client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_student_must_choose_a_password_after_a_one_time_password(client, student):
    student.must_change_password = True
    student.save()
    client.force_login(student)
    assert client.get("/")["Location"] == "/accounts/password_change/"
    page = client.get("/accounts/password_change/")
    assert b"Choose your own password" in page.content
    assert b"old_password" not in page.content
    response = client.post(
        "/accounts/password_change/",
        {"new_password1": "a-fresh-pass-phrase", "new_password2": "a-fresh-pass-phrase"},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert not student.must_change_password
    assert student.check_password("a-fresh-pass-phrase")
    assert client.get("/").status_code == 200


def test_weak_new_password_is_refused_at_the_field(client, student):
    client.force_login(student)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    assert response.status_code == 422
    assert b"This password is too common" in response.content
    student.refresh_from_db()
    assert student.check_password("correct-horse-battery")


@pytest.mark.parametrize("name", ["teacher", "student"])
def test_navigation_depends_on_the_role(client, teacher, student, name):
    client.force_login({"teacher": teacher, "student": student}[name])
    html = client.get("/").content.decode()
    assert ('<span class="badge">Teacher</span>' in html) == (name == "teacher")
