"""Login throttling (django-axes): a username is locked after repeated failures, a school's
shared address is not."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .factories import TEST_PASSWORD, StudentFactory

ROOT = Path(__file__).resolve().parent.parent
SCHOOL_ADDRESS = "203.0.113.7"


def attempt(client: Client, username: str, password: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=SCHOOL_ADDRESS
    )


def logged_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_a_username_is_locked_after_the_failure_limit_even_with_the_right_password(
    student, settings
):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, student.username, "wrong-password")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    locked = attempt(client, student.username, "wrong-password")
    assert locked.status_code == 429

    # The right password, from another computer, is refused too, with a page saying why.
    right = attempt(Client(), student.username, TEST_PASSWORD)

    assert right.status_code == 429
    page = right.content.decode()
    assert "Too many failed log-ins" in page
    assert "ask your teacher to reset your password" in page
    assert logged_in_as(client) is None


def test_a_locked_username_does_not_lock_others_on_the_same_address(student, settings):
    classmate = StudentFactory(username="classmate")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), student.username, "wrong-password")
    assert attempt(Client(), student.username, TEST_PASSWORD).status_code == 429

    client = Client()
    response = attempt(client, classmate.username, TEST_PASSWORD)

    assert response.status_code == 302
    assert logged_in_as(client) == str(classmate.pk)


def test_thirty_students_on_one_address_each_mistyping_once_all_log_in(db, settings):
    students = [StudentFactory(username=f"pupil{n:02d}") for n in range(30)]
    computers = [Client() for _ in students]
    for computer, pupil in zip(computers, students, strict=True):
        assert attempt(computer, pupil.username, "oops-typo").status_code == 200

    outcomes = [
        attempt(computer, pupil.username, TEST_PASSWORD).status_code
        for computer, pupil in zip(computers, students, strict=True)
    ]

    assert outcomes == [302] * 30
    assert [logged_in_as(c) for c in computers] == [str(p.pk) for p in students]


def test_the_lockout_ends_after_the_cool_off(student, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(Client(), student.username, "wrong-password")
        assert attempt(Client(), student.username, TEST_PASSWORD).status_code == 429

    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    # A try during the lockout is refused and counts as a failure, so the cool-off runs from
    # the last try (axes' default): someone still guessing stays locked out.
    first_try = start + cool_off / 2
    with time_machine.travel(first_try, tick=False):
        assert attempt(Client(), student.username, TEST_PASSWORD).status_code == 429
    second_try = first_try + cool_off - timedelta(minutes=1)
    with time_machine.travel(second_try, tick=False):
        assert attempt(Client(), student.username, TEST_PASSWORD).status_code == 429
    with time_machine.travel(second_try + cool_off + timedelta(minutes=1), tick=False):
        client = Client()
        assert attempt(client, student.username, TEST_PASSWORD).status_code == 302
        assert logged_in_as(client) == str(student.pk)


def test_the_limit_and_the_cool_off_come_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        LOGIN_FAILURE_LIMIT="8",
        LOGIN_LOCKOUT_MINUTES="30",
        DJANGO_SETTINGS_MODULE="glfsite.settings",
        GLF_VAR_DIR=str(tmp_path),
    )
    code = (
        "from django.conf import settings; "
        "print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME, "
        "settings.AXES_LOCKOUT_PARAMETERS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "8 0.5 ['username']"
