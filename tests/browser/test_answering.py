"""Answering in a real browser: autosave, offline and back, two tabs, restoring kept text,
submitting, and the phone's Source / Questions switch."""

import re
import threading
import time
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError
from playwright.sync_api import expect

from lessons.models import Answer, Submission
from tests.factories import (
    TEST_PASSWORD,
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    TaskFactory,
    make_levels_question,
    make_points_question,
)

SAVED = re.compile(r"^Saved \d\d:\d\d$")


@pytest.fixture
def task(teacher, school_class):
    lesson = LessonFactory(title="OCR notes")
    communes = PassageFactory(lesson=lesson, heading="The communes")
    PassageFactory(lesson=lesson, heading="Backyard furnaces", text="Steel from backyard furnaces.")
    AnnotationFactory(passage=communes, note="About 5,000 households each.")
    task = TaskFactory(
        owner=teacher, classes=[school_class], lessons=[lesson], title="The Great Leap"
    )
    question = make_points_question(task=task)
    question.linked_passages.add(communes)
    make_levels_question(task=task)
    return task


def open_task(page, log_in, student, task):
    log_in(student)
    page.goto(f"/my/tasks/{task.pk}/")
    return page


def box(page, number):
    return page.get_by_label(f"Your answer to question {number}")


def status(page, number):
    return page.locator(".answer__status").nth(number - 1)


def answer_text(student, task, number):
    question = task.questions.order_by("order", "id")[number - 1]
    return Answer.objects.get(submission__student=student, question=question).text


EXPECTED_FAILURES = (
    "Failed to load resource: net::ERR_INTERNET_DISCONNECTED",
    "Failed to load resource: the server responded with a status of 503",
    "htmx:afterRequest, ",
    "htmx:sendError, ",
    "htmx:responseError, ",
    "Response Status Error Code 503 from ",
    "Failed to load resource: the server responded with a status of 401",
    "Response Status Error Code 401 from ",
)


def without_expected_failures(errors: list[str]) -> list[str]:
    """Chromium logs each request that fails while offline or with the database down as a
    console error, and htmx logs its failed requests: here those are the point of the test.
    Anything else (a script error, a CSP refusal) is still an error."""
    return [e for e in errors if not e.startswith(EXPECTED_FAILURES)]


def test_typed_answer_saves_itself_and_is_there_after_a_reload(page, log_in, student, task):
    open_task(page, log_in, student, task)
    box(page, 1).press_sequentially("To industrialise China rapidly.")
    expect(status(page, 1)).to_have_text(SAVED)
    expect(page.locator(".answer__count").first).to_have_text("4 words")
    assert answer_text(student, task, 1) == "To industrialise China rapidly."

    page.reload()
    expect(box(page, 1)).to_have_value("To industrialise China rapidly.")
    expect(status(page, 1)).to_have_text(SAVED)
    # Nothing kept in the browser once the server has the text.
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert page.js_errors == []


def test_focusing_a_question_highlights_its_linked_passages(page, log_in, student, task):
    open_task(page, log_in, student, task)
    communes = page.locator("section.passage", has_text="The communes")
    expect(communes).not_to_have_class(re.compile("passage--linked"))
    box(page, 1).focus()
    expect(communes).to_have_class(re.compile("passage--linked"))
    box(page, 2).focus()
    expect(communes).not_to_have_class(re.compile("passage--linked"))
    # Notes open from the text with the keyboard.
    page.locator("a.hl").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("About 5,000 households each.")
    assert page.js_errors == []


def test_offline_typing_is_kept_and_saved_when_the_connection_returns(page, log_in, student, task):
    open_task(page, log_in, student, task)
    page.context.set_offline(True)
    box(page, 1).press_sequentially("Written on the bus.")
    expect(status(page, 1)).to_contain_text("Not saved — retrying")
    kept = page.evaluate("Object.values(localStorage).map(v => JSON.parse(v).text)")
    assert kept == ["Written on the bus."]
    assert not Answer.objects.exists()

    page.context.set_offline(False)
    expect(status(page, 1)).to_have_text(SAVED)
    assert answer_text(student, task, 1) == "Written on the bus."
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert without_expected_failures(page.js_errors) == []


def test_unsent_text_is_offered_back_when_the_page_is_opened_again(page, log_in, student, task):
    open_task(page, log_in, student, task)
    # The database is down: every save, and the beacon sent on leaving, gets a 503.
    beacon = threading.Event()

    def database_down(request, *args, **kwargs):
        if request.POST.get("beacon") == "1":
            beacon.set()
        raise OperationalError("database down")

    with mock.patch("lessons.views.answering._save", side_effect=database_down):
        box(page, 2).press_sequentially("The famine killed millions.")
        expect(status(page, 2)).to_contain_text("Not saved — retrying")
        # Leaving with text that could not be saved asks first; the student leaves anyway.
        page.once("dialog", lambda dialog: dialog.accept())
        page.goto("about:blank")
        assert beacon.wait(10), "no beacon was sent on leaving"
    assert not Answer.objects.exists()

    page.goto(f"/my/tasks/{task.pk}/")
    expect(box(page, 2)).to_have_value("")
    offer = page.locator(".answer__restore").nth(1)
    expect(offer).to_contain_text("This device has text for this answer")
    expect(offer.get_by_label("The text kept on this device")).to_have_value(
        "The famine killed millions."
    )
    offer.get_by_role("button", name="Restore it").click()
    expect(box(page, 2)).to_have_value("The famine killed millions.")
    expect(status(page, 2)).to_have_text(SAVED)
    assert answer_text(student, task, 2) == "The famine killed millions."
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert without_expected_failures(page.js_errors) == []


def test_leaving_the_page_before_the_pause_ends_still_saves_the_text(page, log_in, student, task):
    open_task(page, log_in, student, task)
    box(page, 1).fill("Typed just before closing the tab.")
    page.goto("about:blank")  # well within the 2 s pause: the beacon carries the text
    deadline = time.monotonic() + 10
    while not Answer.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer_text(student, task, 1) == "Typed just before closing the tab."
    assert page.js_errors == []


def test_after_the_session_expires_logging_in_again_in_another_tab_saves_the_text(
    page, log_in, student, task
):
    open_task(page, log_in, student, task)
    Session.objects.all().delete()  # the session timed out on the server
    box(page, 1).press_sequentially("Typed after the timeout.")
    expect(status(page, 1)).to_contain_text("you are no longer logged in")
    login_link = status(page, 1).get_by_role("link", name="Log in again")
    expect(login_link).to_have_attribute("target", "_blank")
    assert not Answer.objects.exists()

    # Logging in again in a new tab: the kept text is then saved by the next retry.
    with page.context.expect_page() as new_tab:
        login_link.click()
    login = new_tab.value
    login.get_by_label("Username").fill(student.username)
    login.get_by_label("Password").fill(TEST_PASSWORD)
    login.get_by_role("button", name="Log in").click()
    login.wait_for_load_state()
    login.close()
    expect(status(page, 1)).to_have_text(SAVED, timeout=20_000)
    assert answer_text(student, task, 1) == "Typed after the timeout."
    assert without_expected_failures(page.js_errors) == []


def test_two_pages_on_one_answer_show_both_texts_and_lose_nothing(page, log_in, student, task):
    open_task(page, log_in, student, task)
    other = page.context.new_page()
    other_errors = []
    other.on("pageerror", lambda error: other_errors.append(str(error)))
    other.goto(f"/my/tasks/{task.pk}/")

    box(page, 1).press_sequentially("From the first tab.")
    expect(status(page, 1)).to_have_text(SAVED)

    # The second tab still has the old version: its save is refused, with both texts shown.
    box(other, 1).press_sequentially("From the second tab.")
    expect(status(other, 1)).to_contain_text("changed in another tab")
    panel = other.locator(".conflict").first
    expect(panel.get_by_label("Your text, from this page")).to_have_value("From the second tab.")
    expect(panel.get_by_label("The saved text")).to_have_value("From the first tab.")
    assert answer_text(student, task, 1) == "From the first tab."

    panel.get_by_role("button", name="Put both in the box to combine").click()
    expect(box(other, 1)).to_have_value("From the second tab.\n\nFrom the first tab.")
    expect(status(other, 1)).to_have_text(SAVED)
    assert answer_text(student, task, 1) == "From the second tab.\n\nFrom the first tab."

    # Back in the first tab, typing on meets the combined text: keep it or take it.
    box(page, 1).press_sequentially(" More.")
    expect(status(page, 1)).to_contain_text("changed in another tab")
    page.locator(".conflict").first.get_by_role("button", name="Use the saved text").click()
    expect(box(page, 1)).to_have_value("From the second tab.\n\nFrom the first tab.")
    box(page, 1).press_sequentially(" Final.")
    expect(status(page, 1)).to_have_text(SAVED)
    assert answer_text(student, task, 1) == "From the second tab.\n\nFrom the first tab. Final."
    assert page.js_errors == [] and other_errors == []


def test_submitting_lists_empty_questions_then_shows_the_answers_read_only(
    page, log_in, student, task
):
    open_task(page, log_in, student, task)
    box(page, 1).press_sequentially("Industrialisation and collectivisation.")
    # Submit straight away: the page saves the answer first.
    page.get_by_role("link", name="Submit…").click()
    expect(page.get_by_role("heading", name="Submit “The Great Leap”?")).to_be_visible()
    expect(page.get_by_text("1 question has no answer")).to_be_visible()
    page.get_by_role("button", name="Submit with 1 empty answer").click()

    expect(page.get_by_text(re.compile("Submitted on .*, on time"))).to_be_visible()
    expect(page.locator("textarea.answer__text-input")).to_have_count(0)
    expect(page.locator(".answer__text").first).to_have_text(
        "Industrialisation and collectivisation."
    )
    assert Submission.objects.get().is_submitted
    assert answer_text(student, task, 1) == "Industrialisation and collectivisation."
    assert page.js_errors == []


def test_on_a_phone_a_switch_shows_the_source_or_the_questions(page, log_in, student, task):
    page.set_viewport_size({"width": 390, "height": 844})
    open_task(page, log_in, student, task)
    source_button = page.get_by_role("button", name="Source", exact=True)
    questions_button = page.get_by_role("button", name="Questions", exact=True)
    expect(questions_button).to_have_attribute("aria-pressed", "true")
    expect(box(page, 1)).to_be_visible()
    expect(page.get_by_role("heading", name="The communes", exact=True)).to_be_hidden()

    source_button.click()
    expect(source_button).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("heading", name="The communes", exact=True)).to_be_visible()
    expect(box(page, 1)).to_be_hidden()

    questions_button.click()
    # A question's linked passage link shows the source.
    page.get_by_role("link", name="The communes").click()
    expect(source_button).to_have_attribute("aria-pressed", "true")
    assert page.js_errors == []
