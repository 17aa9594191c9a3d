"""A database outage met before the view runs (the session, the school's settings) is the
same clean 503 as one met by the autosave itself, never a 500. The whole app under load
with PostgreSQL really stopped is scripts/autosave_load.py (docs/security.md)."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from lessons.models import Answer

from .factories import TaskFactory, make_points_question

HTMX = {"HTTP_HX_REQUEST": "true"}
DOWN = OperationalError("connection failed: Connection refused")


@pytest.fixture
def autosave(student_client, teacher, school_class):
    """Posts one autosave as the page does; the response."""
    task = TaskFactory(owner=teacher, classes=[school_class])
    question = make_points_question(task=task)
    url = reverse("answer_save", args=[task.pk, question.pk])
    student_client.raise_request_exception = False

    def post(text: str):
        data = {f"q{question.pk}-text": text, f"q{question.pk}-version": "0"}
        return student_client.post(url, data, **HTMX)

    return post


def assert_clean_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content
    assert b"Traceback" not in response.content


def test_an_autosave_is_a_503_when_the_session_cannot_be_read(autosave):
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore._get_session_from_db",
        side_effect=DOWN,
    ):
        response = autosave("Typed while the database was down")
    assert_clean_503(response)
    assert not Answer.objects.exists()


def test_an_autosave_is_a_503_when_the_school_settings_cannot_be_read(autosave):
    with mock.patch("lessons.middleware.current_school_settings", side_effect=DOWN):
        response = autosave("Typed while the database was down")
    assert_clean_503(response)
    assert not Answer.objects.exists()


def test_the_retry_after_the_outage_saves_the_text(autosave):
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore._get_session_from_db",
        side_effect=DOWN,
    ):
        assert autosave("The communes").status_code == 503
    response = autosave("The communes took labour from the harvest.")
    assert response.status_code == 200
    assert Answer.objects.get().text == "The communes took labour from the harvest."
