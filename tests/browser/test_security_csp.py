"""The Content-Security-Policy in a real browser: no violation, and htmx still works under it."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import Answer
from tests.factories import (
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    TaskFactory,
    make_points_question,
)

SAVED = re.compile(r"^Saved \d\d:\d\d$")

# Runs before the page's own scripts, outside the page's policy (Playwright injects it).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def task(teacher, school_class):
    lesson = LessonFactory(title="OCR notes", owner=teacher)
    passage = PassageFactory(lesson=lesson)
    AnnotationFactory(passage=passage, note="About 5,000 households each.")
    task = TaskFactory(owner=teacher, classes=[school_class], lessons=[lesson], title="The Leap")
    make_points_question(task=task).linked_passages.add(passage)
    return task


@pytest.fixture
def csp_page(page):
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def policy_of(response) -> str:
    policy = response.headers["content-security-policy"]
    assert "'nonce-" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return policy


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


def test_a_teacher_page_runs_under_the_policy_and_htmx_swaps_work(csp_page, log_in, teacher, task):
    page = csp_page
    log_in(teacher)
    response = page.goto(f"/tasks/{task.pk}/")
    policy_of(response)
    question = task.questions.get()

    with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
        page.locator(f"#question-{question.pk}").get_by_role("link", name="Edit").click()
    expect(page.locator(f"#question-{question.pk} textarea").first).to_be_visible()

    # htmx swapped the form in: the page did not navigate away.
    assert page.url.endswith(f"/tasks/{task.pk}/")
    assert violations(page) == []
    assert page.js_errors == []


def test_a_student_answering_page_runs_under_the_policy_and_autosaves(
    csp_page, log_in, student, task
):
    page = csp_page
    log_in(student)
    response = page.goto(f"/my/tasks/{task.pk}/")
    policy_of(response)

    page.get_by_label("Your answer to question 1").press_sequentially("To industrialise China.")

    expect(page.locator(".answer__status").first).to_have_text(SAVED)
    assert Answer.objects.get(submission__student=student).text == "To industrialise China."
    # The project's own scripts ran: the word count is theirs.
    expect(page.locator(".answer__count").first).to_have_text("3 words")
    assert violations(page) == []
    assert page.js_errors == []
