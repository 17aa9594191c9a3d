"""Performance: the session refresh policy, the benchmark's baseline view, the demo school
builder, query counts of the heavy pages, and a smoke run of the benchmark harness."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from lessons.middleware import BACKGROUND_HEADER

from .factories import TaskFactory

# The session refresh policy


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.fixture
def task(teacher, school_class):
    return TaskFactory(owner=teacher, classes=[school_class])


def test_page_views_do_not_rewrite_the_session_within_the_refresh_interval(
    teacher_client, settings, django_assert_num_queries
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        teacher_client.get(reverse("home"))
        expiry = session_row(teacher_client).expire_date
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_REFRESH_SECONDS - 5)):
        assert teacher_client.get(reverse("home")).status_code == 200
        assert "sessionid" not in teacher_client.get(reverse("home")).cookies
    assert session_row(teacher_client).expire_date == expiry


def test_a_request_after_the_refresh_interval_pushes_the_expiry_on(teacher_client, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        teacher_client.get(reverse("home"))
        first = session_row(teacher_client).expire_date
    later = start + timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = teacher_client.get(reverse("home"))
    assert "sessionid" in response.cookies
    assert session_row(teacher_client).expire_date == later + timedelta(
        seconds=settings.SESSION_COOKIE_AGE
    )
    assert session_row(teacher_client).expire_date > first


def test_an_idle_session_still_times_out(teacher_client, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert teacher_client.get(reverse("home")).status_code == 200
    idle = start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(idle, tick=False):
        response = teacher_client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_active_every_few_minutes_stays_logged_in_past_the_timeout(teacher_client, settings):
    start = timezone.now()
    step = timedelta(seconds=settings.SESSION_REFRESH_SECONDS // 2)
    moment = start
    while moment < start + timedelta(seconds=settings.SESSION_COOKIE_AGE * 2):
        with time_machine.travel(moment, tick=False):
            assert teacher_client.get(reverse("home")).status_code == 200
        moment += step


def test_the_live_refresh_of_the_overview_does_not_keep_a_session_alive(
    teacher_client, task, settings
):
    url = reverse("task_submissions", args=[task.pk])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert teacher_client.get(url).status_code == 200
        expiry = session_row(teacher_client).expire_date
    headers = {"HX-Request": "true", "HX-Target": "submissions-overview", BACKGROUND_HEADER: "true"}
    # The overview polls every 20 s; minutes apart is enough to cross every refresh interval.
    step = timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 1)
    moment = start + step
    while moment < start + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60):
        with time_machine.travel(moment, tick=False):
            response = teacher_client.get(url, headers=headers)
            assert response.status_code == 200
            assert "sessionid" not in response.cookies
        moment += step
    assert session_row(teacher_client).expire_date == expiry
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        response = teacher_client.get(url, headers=headers)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_overview_marks_its_live_refresh_as_a_background_request(teacher_client, task):
    html = teacher_client.get(reverse("task_submissions", args=[task.pk])).content.decode()
    section = html[html.index('id="submissions-overview"') :]
    section = section[: section.index(">")]
    assert "data-live-refresh" in section
    assert f'hx-headers=\'{{"{BACKGROUND_HEADER}": "true"}}\'' in section


def test_logging_out_leaves_no_session_behind(teacher_client):
    key = teacher_client.session.session_key
    teacher_client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert Session.objects.count() == 0


# The benchmark's baseline view


@pytest.fixture
def bench_on(settings):
    settings.GLF_BENCH_ENDPOINTS = True


def test_the_baseline_view_is_a_404_unless_the_benchmark_turns_it_on(teacher_client, client):
    assert teacher_client.get(reverse("bench_baseline")).status_code == 404


def test_the_baseline_view_is_a_404_for_anonymous_users_too_when_off(client, db):
    assert client.get(reverse("bench_baseline")).status_code == 404


def test_the_baseline_view_sends_anonymous_users_to_log_in(client, db, bench_on):
    response = client.get(reverse("bench_baseline"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_baseline_view_answers_ok_to_teachers_and_students(
    teacher_client, student_client, bench_on
):
    for client in (teacher_client, student_client):
        response = client.get(reverse("bench_baseline"))
        assert response.status_code == 200
        assert response.content == b"ok\n"


def test_the_baseline_view_loads_only_the_session_and_the_user(
    student_client, bench_on, django_assert_num_queries
):
    student_client.get(reverse("bench_baseline"))  # The school settings are cached after this.
    with django_assert_num_queries(2) as captured:
        student_client.get(reverse("bench_baseline"))
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "django_session" in tables and "lessons_user" in tables


def test_the_baseline_view_refuses_posts(student_client, bench_on):
    assert student_client.post(reverse("bench_baseline")).status_code == 405
