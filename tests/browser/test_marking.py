"""Marking in a real browser: a teacher marks two students' answers question by question with
the keyboard alone, marks save themselves, the teacher releases, and a student sees the result."""

import re

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from lessons.models import Answer, Submission
from lessons.services import marking
from tests.factories import (
    AnswerFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmittedSubmissionFactory,
    TaskFactory,
    make_levels_question,
    make_points_question,
)

SAVED = re.compile(r"^Saved \d\d:\d\d")


@pytest.fixture
def homework(teacher):
    amy = StudentFactory(username="amy", full_name="Amy Able")
    ben = StudentFactory(username="ben", full_name="Ben Baker")
    school_class = SchoolClassFactory(teachers=[teacher], students=[amy, ben])
    task = TaskFactory(owner=teacher, classes=[school_class], title="The Great Leap Forward")
    points_q = make_points_question(task=task)
    levels_q = make_levels_question(task=task)
    for student, texts in [
        (amy, ["To industrialise quickly.", "Famine; and useless backyard steel."]),
        (ben, ["More steel and more grain.", "Millions died in the famine."]),
    ]:
        sub = SubmittedSubmissionFactory(task=task, student=student)
        AnswerFactory(submission=sub, question=points_q, text=texts[0])
        AnswerFactory(submission=sub, question=levels_q, text=texts[1])
    return task, points_q, levels_q, amy, ben


def status_of(page):
    return page.locator("[data-save-status]")


def test_a_teacher_marks_by_question_with_the_keyboard_and_releases(
    page, log_in, teacher, homework
):
    task, points_q, levels_q, amy, ben = homework
    log_in(teacher)

    # Question 1, points-based: Amy first (names in order).
    page.goto(reverse("mark_by_question", args=[task.pk, points_q.pk]))
    expect(page.locator(".answer-card__title")).to_have_text("Amy Able")
    expect(page.locator("#progress-question")).to_have_text("0 / 2 marked")

    # The help overlay opens with ?, and Esc closes it.
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("1")  # credit point 1
    expect(page.locator('input[name="credited_points"]').first).to_be_checked()
    expect(page.locator("[data-computed]")).to_have_text("1")
    expect(status_of(page)).to_have_text(SAVED)
    expect(page.locator("#progress-question")).to_have_text("1 / 2 marked")
    page.keyboard.press("f")
    expect(page.get_by_label("Feedback")).to_be_focused()
    page.keyboard.type("One clear aim; name a second.")
    page.keyboard.press("Escape")  # leaves the box (and saves it)
    expect(status_of(page)).to_have_text(SAVED)
    page.keyboard.press("j")

    expect(page.locator(".answer-card__title")).to_have_text("Ben Baker")
    page.keyboard.press("1")
    page.keyboard.press("2")
    expect(page.locator("[data-computed]")).to_have_text("2")
    page.keyboard.press("f")
    page.keyboard.type("Both aims.")
    page.keyboard.press("Escape")
    expect(status_of(page)).to_have_text(SAVED)
    expect(page.locator("#progress-question")).to_have_text("2 / 2 marked")
    page.keyboard.press("k")
    expect(page.locator(".answer-card__title")).to_have_text("Amy Able")
    expect(page.get_by_label("Feedback")).to_have_value("One clear aim; name a second.")

    # Question 2, levels-based: a digit gives that mark and its level follows.
    page.goto(reverse("mark_by_question", args=[task.pk, levels_q.pk]))
    expect(page.locator(".answer-card__title")).to_have_text("Amy Able")
    page.keyboard.press("4")
    expect(page.get_by_label("Level 2 (3–4 marks)")).to_be_checked()
    expect(page.get_by_label("Mark", exact=True)).to_have_value("4")
    # Marks outside the chosen level cannot be picked.
    expect(page.locator('[data-mark-select] option[value="5"]')).to_be_disabled()
    expect(status_of(page)).to_have_text(SAVED)
    page.keyboard.press("j")
    expect(page.locator(".answer-card__title")).to_have_text("Ben Baker")
    page.keyboard.press("2")
    expect(page.get_by_label("Level 1 (1–2 marks)")).to_be_checked()
    page.keyboard.press("f")
    page.keyboard.type("Explain why the famine happened.")
    page.keyboard.press("Escape")
    expect(status_of(page)).to_have_text(SAVED)
    expect(page.locator("#progress-task")).to_have_text("4 / 4 marked")

    answers = {
        (a.submission.student.username, a.question_id): a
        for a in Answer.objects.select_related("submission__student", "level")
    }
    assert answers[("amy", points_q.id)].mark == 1
    assert answers[("amy", points_q.id)].feedback == "One clear aim; name a second."
    assert answers[("ben", points_q.id)].mark == 2
    assert (answers[("amy", levels_q.id)].mark, answers[("amy", levels_q.id)].level.number) == (
        4,
        2,
    )
    assert answers[("ben", levels_q.id)].mark == 2
    assert answers[("ben", levels_q.id)].feedback == "Explain why the famine happened."

    # Release, from the keyboard too.
    page.goto(reverse("task_release", args=[task.pk]))
    expect(page.get_by_label(re.compile("Only the fully marked work"))).to_be_checked()
    page.get_by_role("button", name="Release marks").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Released marks to 2 students.")).to_be_visible()
    assert Submission.objects.filter(released_at__isnull=False).count() == 2
    assert page.js_errors == []


def test_a_second_tab_on_the_same_answer_sees_a_conflict_not_an_overwrite(
    page, log_in, teacher, homework
):
    task, points_q, _, _, _ = homework
    log_in(teacher)
    url = reverse("mark_by_question", args=[task.pk, points_q.pk])
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)

    page.keyboard.press("f")
    page.keyboard.type("From the first tab.")
    page.keyboard.press("Escape")
    expect(status_of(page)).to_have_text(SAVED)

    other.keyboard.press("f")
    other.keyboard.type("From the second tab.")
    other.keyboard.press("Escape")
    expect(status_of(other)).to_have_text("Not saved: changed by someone else")
    conflict = other.locator("[data-conflict]")
    expect(conflict).to_contain_text("From the first tab.")
    assert Answer.objects.get(submission__student__username="amy", question=points_q).feedback == (
        "From the first tab."
    )
    other.get_by_role("button", name="Keep mine: save it over theirs").click()
    expect(status_of(other)).to_have_text(SAVED)
    expect(conflict).to_have_count(0)
    assert Answer.objects.get(submission__student__username="amy", question=points_q).feedback == (
        "From the second tab."
    )
    assert page.js_errors == []


def test_a_student_sees_released_marks_and_feedback(page, log_in, teacher, homework):
    task, points_q, levels_q, amy, _ = homework
    try:
        url = reverse("student_task", args=[task.pk])
    except NoReverseMatch:
        pytest.skip("The student's task page comes with the answering area.")
    sub = Submission.objects.get(task=task, student=amy)
    answers = {a.question_id: a for a in sub.answers.all()}
    marking.mark_answer(
        answer=answers[points_q.id],
        marker=teacher,
        base_marking_version=0,
        credited_point_ids=[points_q.indicative_points.first().id],
        feedback="Name a second aim.",
    )
    marking.mark_answer(
        answer=answers[levels_q.id],
        marker=teacher,
        base_marking_version=0,
        level_id=levels_q.levels.get(number=2).id,
        mark=3,
    )
    log_in(amy)
    page.goto(url)
    expect(page.get_by_text("Name a second aim.")).to_have_count(0)
    marking.release_marks(task=task, only_fully_marked=True)
    page.goto(url)
    results = page.locator("#results")
    expect(results).to_contain_text("Name a second aim.")
    expect(results).to_contain_text("Total 4 out of 8")
    assert page.js_errors == []


# Going offline makes the browser and htmx log the failed requests; those are expected here.
OFFLINE_NOISE = ("net::ERR_INTERNET_DISCONNECTED", "htmx:afterRequest", "htmx:sendError")


def test_a_save_that_fails_offline_is_kept_and_retried_when_back_online(
    page, log_in, teacher, homework
):
    task, points_q, _, _, _ = homework
    log_in(teacher)
    page.goto(reverse("mark_by_question", args=[task.pk, points_q.pk]))
    page.context.set_offline(True)
    page.keyboard.press("f")
    page.keyboard.type("Written on a train.")
    page.keyboard.press("Escape")
    expect(status_of(page)).to_contain_text("Not saved — no connection to the server.")
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('marking:'))")
    assert len(kept) == 1
    page.context.set_offline(False)
    expect(status_of(page)).to_have_text(SAVED)
    answer = Answer.objects.get(submission__student__username="amy", question=points_q)
    assert answer.feedback == "Written on a train."
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('marking:'))") == []
    assert [e for e in page.js_errors if not any(n in e for n in OFFLINE_NOISE)] == []


def test_marking_left_unsaved_in_the_browser_is_offered_back(page, log_in, teacher, homework):
    task, points_q, _, _, _ = homework
    log_in(teacher)
    url = reverse("mark_by_question", args=[task.pk, points_q.pk])
    page.goto(url)
    form = page.locator("form[data-autosave]")
    key = form.get_attribute("data-autosave-key")
    point = points_q.indicative_points.first()
    # What a page that lost its connection and was closed would have left behind.
    page.evaluate(
        """([key, point]) => localStorage.setItem(key, JSON.stringify({
            data: JSON.stringify([["adjustment_reason", ""], ["credited_points", point],
                                  ["feedback", "Kept in the browser."], ["mark", ""]]),
            base: "0", at: Date.now()}))""",
        [key, str(point.id)],
    )
    page.reload()
    restore = page.get_by_role("button", name="Restore it")
    expect(restore).to_be_visible()
    expect(page.get_by_label("Feedback")).to_have_value("")
    restore.click()
    expect(page.get_by_label("Feedback")).to_have_value("Kept in the browser.")
    expect(status_of(page)).to_have_text(SAVED)
    answer = Answer.objects.get(submission__student__username="amy", question=points_q)
    assert (answer.feedback, answer.mark) == ("Kept in the browser.", 1)
    assert page.js_errors == []
