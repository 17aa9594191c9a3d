"""Sessions: a new key at login, logout and deactivation end them on the server, idle timeout."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.middleware import BACKGROUND_HEADER

from .factories import TEST_PASSWORD, StudentFactory, TeacherFactory

ROOT = Path(__file__).resolve().parent.parent


def sessions_of(user) -> list[Session]:
    return [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk)]


def is_logged_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 200


def log_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def test_logging_in_gives_a_new_session_key(student):
    client = Client()
    # A session planted before login (e.g. a key an attacker fixed in the victim's browser).
    client.get(reverse("join"))
    session = client.session
    session["planted"] = "yes"
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before

    client.post(reverse("login"), {"username": student.username, "password": TEST_PASSWORD})

    after = client.cookies["sessionid"].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()[SESSION_KEY] == str(student.pk)
    # The old key does not log anyone in.
    attacker = Client()
    attacker.cookies["sessionid"] = before
    assert not is_logged_in(attacker)


def test_logging_out_deletes_the_session_row_and_the_old_cookie_stops_working(student):
    client = log_in(student)
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert not is_logged_in(replay)


def test_logging_out_needs_a_post(student):
    client = log_in(student)
    assert client.get(reverse("logout")).status_code == 405
    assert is_logged_in(client)


def test_deactivating_a_teacher_on_the_staff_page_ends_their_sessions(db):
    staff = TeacherFactory(username="it_admin", is_staff=True)
    teacher = TeacherFactory(username="leaving_teacher")
    laptop, phone = log_in(teacher), log_in(teacher)
    assert len(sessions_of(teacher)) == 2
    admin = log_in(staff)

    response = admin.post(reverse("staff_teacher_active", args=[teacher.pk]), {"active": "0"})

    assert response.status_code == 302
    assert sessions_of(teacher) == []
    assert not is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert is_logged_in(admin)


def admin_change_data(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "full_name": user.full_name,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    for flag in ("is_active", "is_staff", "is_superuser", "must_change_password"):
        if getattr(user, flag):
            data[flag] = "on"
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_deactivating_a_user_in_the_admin_ends_their_sessions(db):
    superuser = TeacherFactory(username="root_admin", is_staff=True, is_superuser=True)
    student = StudentFactory(username="left_school")
    classroom = log_in(student)
    admin = log_in(superuser)
    url = reverse("admin:lessons_user_change", args=[student.pk])

    response = admin.post(url, admin_change_data(student, is_active=False))

    assert response.status_code == 302, response.content.decode()[:2000]
    student.refresh_from_db()
    assert not student.is_active
    assert sessions_of(student) == []
    assert not is_logged_in(classroom)


def test_saving_an_active_user_in_the_admin_keeps_their_sessions(db):
    superuser = TeacherFactory(username="root_admin", is_staff=True, is_superuser=True)
    student = StudentFactory(username="still_here")
    classroom = log_in(student)
    admin = log_in(superuser)
    url = reverse("admin:lessons_user_change", args=[student.pk])

    response = admin.post(url, admin_change_data(student, full_name="Still Here"))

    assert response.status_code == 302
    assert len(sessions_of(student)) == 1
    assert is_logged_in(classroom)


def test_erasing_a_student_ends_their_sessions(db):
    staff = TeacherFactory(username="it_admin", is_staff=True)
    student = StudentFactory(username="erase_me")
    classroom = log_in(student)
    admin = log_in(staff)

    response = admin.post(
        reverse("staff_student_erase", args=[student.pk]), {"username": student.username}
    )

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=classroom.cookies["sessionid"].value).exists()
    assert not is_logged_in(classroom)


def test_an_idle_session_is_logged_out_after_the_timeout(student, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = log_in(student)
        assert is_logged_in(client)
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(start + idle, tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_using_the_app_pushes_the_timeout_on(student, settings):
    start = timezone.now()
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(start, tick=False):
        client = log_in(student)
    with time_machine.travel(start + age * 0.8, tick=False):
        assert is_logged_in(client)
    with time_machine.travel(start + age * 1.5, tick=False):
        assert is_logged_in(client)


def test_background_refresh_requests_do_not_push_the_timeout_on(student, settings):
    start = timezone.now()
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(start, tick=False):
        client = log_in(student)
    headers = {"HX-Request": "true", BACKGROUND_HEADER: "true"}
    with time_machine.travel(start + age * 0.8, tick=False):
        assert client.get(reverse("home"), headers=headers).status_code == 200
    with time_machine.travel(start + age + timedelta(seconds=1), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_idle_timeout_comes_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        SESSION_IDLE_TIMEOUT_MINUTES="25",
        DJANGO_SETTINGS_MODULE="glfsite.settings",
        GLF_VAR_DIR=str(tmp_path),
    )
    code = (
        "from django.conf import settings; "
        "print(settings.SESSION_COOKIE_AGE, settings.SESSION_REFRESH_SECONDS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["1500", "150"]
