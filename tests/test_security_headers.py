"""Headers and configuration of a production install: CSP with nonces, HSTS, cookies.

The suite runs with DEBUG off but with the HTTPS-only settings switched off (the test client
speaks plain HTTP); the `production` fixture switches them back on as a real install has them.
"""

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from .factories import (
    TEST_PASSWORD,
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    SubmittedSubmissionFactory,
    TaskFactory,
    make_points_question,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_check_deploy_passes_with_production_environment(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "PYTEST"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="classroom.example.org",
        GLF_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_responses_carry_the_security_headers(db, production):
    response = Client().get(reverse("login"), secure=True)

    assert response.status_code == 200
    policy = directives(response)
    script_src = policy["script-src"]
    assert any(re.fullmatch(r"'nonce-[A-Za-z0-9+/=_-]{16,}'", word) for word in script_src)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in policy["default-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_each_response_gets_a_new_nonce(db, production):
    client = Client()
    first = directives(client.get(reverse("login"), secure=True))["script-src"]
    second = directives(client.get(reverse("login"), secure=True))["script-src"]
    assert first != second


def test_plain_http_is_redirected_to_https_in_production(db, production):
    response = Client().get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site(db, production, student):
    client = Client()
    page = client.get(reverse("login"), secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"]
    assert csrf["samesite"] == "Lax"

    response = client.post(
        reverse("login"),
        {"username": student.username, "password": TEST_PASSWORD},
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


class ScriptsAndHandlers(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]


@pytest.fixture
def pages(teacher, student, school_class):
    lesson = LessonFactory(title="OCR notes", owner=teacher)
    passage = PassageFactory(lesson=lesson)
    AnnotationFactory(passage=passage)
    task = TaskFactory(owner=teacher, classes=[school_class], lessons=[lesson])
    question = make_points_question(task=task)
    submission = SubmittedSubmissionFactory(task=task, student=student)
    return {
        "teacher": [
            reverse("home"),
            reverse("class_detail", args=[school_class.pk]),
            reverse("class_markbook", args=[school_class.pk]),
            reverse("task_detail", args=[task.pk]),
            reverse("task_edit", args=[task.pk]),
            reverse("question_edit", args=[question.pk]),
            reverse("task_submissions", args=[task.pk]),
            reverse("mark_by_question", args=[task.pk, question.pk]),
            reverse("mark_by_student", args=[task.pk, submission.pk]),
            reverse("lesson_list"),
            reverse("lesson_detail", args=[lesson.pk]),
            reverse("lesson_import"),
            reverse("comment_bank"),
            reverse("topic_list"),
            reverse("staff_home"),
        ],
        "student": [reverse("home"), reverse("student_task", args=[task.pk])],
        "anonymous": [reverse("login"), reverse("password_reset"), reverse("join")],
    }


def test_every_script_on_the_main_pages_has_the_nonce_or_is_our_static_file(
    db, production, pages, teacher, student
):
    teacher.is_staff = True
    teacher.save()
    clients = {"teacher": Client(), "student": Client(), "anonymous": Client()}
    clients["teacher"].force_login(teacher)
    clients["student"].force_login(student)
    checked = 0
    for role, urls in pages.items():
        for url in urls:
            response = clients[role].get(url, secure=True)
            assert response.status_code == 200, (role, url, response.status_code)
            nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
            parser = ScriptsAndHandlers()
            parser.feed(response.content.decode())
            assert parser.scripts, f"{url} has no script at all"
            for script in parser.scripts:
                src = script.get("src", "")
                assert src.startswith("/static/") or script.get("nonce") == nonce, (url, script)
                checked += 1
            assert parser.handlers == [], (url, parser.handlers)
    assert checked >= 2 * sum(len(urls) for urls in pages.values())


def test_no_template_or_script_uses_inline_event_handlers():
    # CSP without 'unsafe-inline' would refuse them silently; htmx's hx-on needs eval.
    handler = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\-][\w:-]*)\s*=", re.IGNORECASE)
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(
        (ROOT / "lessons" / "templates").rglob("*.html")
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if handler.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    setters = re.compile(r"setAttribute\(\s*['\"]on|\.on[a-z]+\s*=\s*['\"]|\beval\(|new Function\(")
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        if path.name.startswith("htmx"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if setters.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
