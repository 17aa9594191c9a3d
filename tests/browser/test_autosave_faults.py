"""The autosave in a real browser while the server answers 503 (its database is down): the
page says it is retrying, keeps retrying, and says saved once the server is back."""

import pytest
from playwright.sync_api import expect

from lessons.models import Answer
from tests.browser.test_answering import SAVED, box, status, without_expected_failures
from tests.factories import TaskFactory, make_points_question

# What the app's 503 handler sends (lessons.views.core.server_error).
UNAVAILABLE = (
    "<!doctype html><title>Temporarily unavailable</title><h1>Temporarily unavailable</h1>"
)


@pytest.fixture
def task(teacher, school_class):
    task = TaskFactory(owner=teacher, classes=[school_class], title="The Great Leap")
    make_points_question(task=task)
    return task


def test_autosave_shows_retrying_on_503_and_saves_once_the_server_is_back(
    page, log_in, student, task
):
    sent: list[str] = []

    def database_down_three_times(route):
        sent.append(route.request.post_data or "")
        if len(sent) <= 3:
            route.fulfill(
                status=503, headers={"Retry-After": "5"}, content_type="text/html", body=UNAVAILABLE
            )
        else:
            route.continue_()

    page.route("**/my/tasks/*/questions/*/answer/", database_down_three_times)
    log_in(student)
    page.goto(f"/my/tasks/{task.pk}/")
    box(page, 1).press_sequentially("The communes")
    expect(status(page, 1)).to_contain_text("Not saved — retrying")
    # Still typing while the server is down: the retries carry the latest text.
    box(page, 1).press_sequentially(" took labour from the harvest.")
    expect(status(page, 1)).to_contain_text("Not saved — retrying")
    assert not Answer.objects.exists()

    expect(status(page, 1)).to_have_text(SAVED, timeout=30_000)
    assert len(sent) >= 4
    question = task.questions.get()
    answer = Answer.objects.get(submission__student=student, question=question)
    assert answer.text == "The communes took labour from the harvest."
    # Nothing left waiting in the browser once the server has the text.
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert without_expected_failures(page.js_errors) == []
