"""The marking pages: who may reach each URL, marking with htmx and without JavaScript,
conflicts, anonymity, return, release and what students see, the mark book's CSV, the
comment bank, and query counts that do not grow with the class."""

import contextlib
import csv
import io

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from lessons.models import Answer, CommentBankEntry, Submission, Task
from lessons.services import answering, marking

from .factories import (
    AnswerFactory,
    CommentBankEntryFactory,
    PassageFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    SubmittedSubmissionFactory,
    TaskFactory,
    TeacherFactory,
    make_levels_question,
    make_points_question,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def task(teacher, school_class):
    passage = PassageFactory(heading="The communes", lesson__title="OCR study notes")
    task = TaskFactory(
        owner=teacher, classes=[school_class], title="The Great Leap Forward", lessons=[]
    )
    task.lessons.add(passage.lesson)
    points_q = make_points_question(task=task)
    points_q.linked_passages.add(passage)
    make_levels_question(task=task)
    return task


def questions(task):
    return list(task.questions.order_by("order", "id"))


def submit_work(task, student, texts=None, **submission):
    sub = SubmittedSubmissionFactory(task=task, student=student, **submission)
    texts = texts or ["Mao wanted more steel.", "There was a famine."]
    answers = [
        AnswerFactory(submission=sub, question=q, text=text, version=2)
        for q, text in zip(questions(task), texts, strict=False)
    ]
    return sub, answers


@pytest.fixture
def work(task, student):
    return submit_work(task, student)


def post_mark(client, answer, data=None, htmx=True, **extra):
    question = answer.question
    payload = {
        "base_marking_version": answer.marking_version,
        "answer_version": answer.version,
        "scheme_version": question.scheme_version,
        "feedback": "",
        "mark": "",
        "adjustment_reason": "",
    }
    payload.update(data or {})
    return client.post(reverse("answer_mark", args=[answer.pk]), payload, **(HTMX if htmx else {}))


def point_ids(question):
    return [p.id for p in question.indicative_points.all()]


def level_id(question, number):
    return question.levels.get(number=number).id


# Who may reach each URL


def marking_urls(task, work):
    sub, (answer, _) = work
    question = questions(task)[0]
    class_pk = task.classes.first().pk
    return [
        ("get", reverse("task_submissions", args=[task.pk])),
        ("get", reverse("mark_by_question", args=[task.pk, question.pk])),
        ("get", reverse("mark_by_student", args=[task.pk, sub.pk])),
        ("get", reverse("answer_mark", args=[answer.pk])),
        ("post", reverse("answer_mark", args=[answer.pk])),
        ("post", reverse("submission_feedback", args=[sub.pk])),
        ("get", reverse("submission_return", args=[sub.pk])),
        ("post", reverse("submission_return", args=[sub.pk])),
        ("get", reverse("task_release", args=[task.pk])),
        ("post", reverse("task_release", args=[task.pk])),
        ("post", reverse("task_toggle_anonymous", args=[task.pk])),
        ("get", reverse("task_statistics", args=[task.pk])),
        ("get", reverse("class_markbook", args=[class_pk])),
        ("get", reverse("class_markbook_csv", args=[class_pk])),
    ]


def test_anonymous_visitors_are_sent_to_log_in_from_every_marking_url(client, task, work):
    for method, url in marking_urls(task, work) + [("get", reverse("comment_bank"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_students_get_403_on_every_marking_url(student_client, task, work):
    for method, url in marking_urls(task, work) + [
        ("get", reverse("comment_bank")),
        ("post", reverse("comment_bank")),
    ]:
        assert getattr(student_client, method)(url, {"mark": "2"}).status_code == 403, url
    answer = work[1][0]
    answer.refresh_from_db()
    assert answer.mark is None


def test_another_teacher_gets_404_for_every_marking_url(client, outsider_teacher, task, work):
    client.force_login(outsider_teacher)
    for method, url in marking_urls(task, work):
        assert getattr(client, method)(url, {"which": "all"}).status_code == 404, url
    assert not Submission.objects.filter(released_at__isnull=False).exists()


def test_another_teacher_cannot_mark_an_answer_of_my_class(client, outsider_teacher, work):
    client.force_login(outsider_teacher)
    answer = work[1][0]
    response = post_mark(client, answer, {"mark": "0"})
    assert response.status_code == 404
    answer.refresh_from_db()
    assert answer.mark is None


def test_a_submission_of_another_task_is_404_on_my_task(teacher_client, task, work, teacher):
    other = TaskFactory(owner=teacher, classes=list(task.classes.all()))
    url = reverse("mark_by_student", args=[other.pk, work[0].pk])
    assert teacher_client.get(url).status_code == 404


def test_a_co_teacher_of_the_class_may_mark(client, task, work, school_class):
    colleague = TeacherFactory()
    school_class.teachers.add(colleague)
    client.force_login(colleague)
    answer = work[1][0]
    assert post_mark(client, answer, {"mark": "0"}).status_code == 200


def test_another_teachers_comments_are_404(teacher_client, outsider_teacher):
    theirs = CommentBankEntryFactory(teacher=outsider_teacher)
    for action in ("use", "delete"):
        response = teacher_client.post(reverse("comment_bank"), {"action": action, "id": theirs.pk})
        assert response.status_code == 404
    assert CommentBankEntry.objects.filter(pk=theirs.pk).exists()


def test_write_only_urls_refuse_get(teacher_client, task, work):
    for url in [
        reverse("submission_feedback", args=[work[0].pk]),
        reverse("task_toggle_anonymous", args=[task.pk]),
    ]:
        assert teacher_client.get(url).status_code == 405, url


def test_the_task_editor_and_the_class_page_link_here(teacher_client, task, school_class):
    editor = teacher_client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert reverse("task_submissions", args=[task.pk]) in editor
    page = teacher_client.get(reverse("class_detail", args=[school_class.pk])).content.decode()
    assert reverse("class_markbook", args=[school_class.pk]) in page


# The overview


def test_the_overview_lists_every_student_with_state_and_counts(
    teacher_client, task, work, school_class
):
    school_class.enrolments.create(student=StudentFactory(full_name="Nia Notyet"))
    response = teacher_client.get(reverse("task_submissions", args=[task.pk]))
    html = response.content.decode()
    assert "Sam Student" in html and "Nia Notyet" in html
    assert 'id="count-submitted">1<' in html
    assert 'id="count-not_started">1<' in html
    assert 'hx-trigger="refresh-overview"' in html
    assert 'src="/static/js/marking.js"' in html


def test_the_overview_refresh_is_just_the_overview(teacher_client, task, work):
    response = teacher_client.get(
        reverse("task_submissions", args=[task.pk]),
        HTTP_HX_TARGET="submissions-overview",
        **HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="submissions-overview"')
    assert "<html" not in html


# Marking by question


def test_marking_by_question_shows_the_question_passages_and_whole_scheme(
    teacher_client, task, work
):
    points_q, levels_q = questions(task)
    html = teacher_client.get(
        reverse("mark_by_question", args=[task.pk, points_q.pk])
    ).content.decode()
    assert "Identify two key aims" in html
    assert "The communes" in html  # the linked passage
    for point in points_q.indicative_points.all():
        assert escape(point.text) in html
    assert "Mao wanted more steel." in html
    assert "0 / 1 marked" in html and "0 / 2 marked" in html

    html = teacher_client.get(
        reverse("mark_by_question", args=[task.pk, levels_q.pk])
    ).content.decode()
    for lvl in levels_q.levels.all():
        assert escape(lvl.descriptor.splitlines()[0]) in html
    assert "There was a famine." in html  # the student's answer and an exemplar
    assert "Level 2 · 3 marks" in html  # an exemplar with its mark


def test_marking_by_question_starts_at_the_first_unmarked_and_links_next_and_previous(
    teacher_client, task, teacher
):
    subs = []
    for name in ["Amy", "Ben", "Cat"]:
        subs.append(submit_work(task, StudentFactory(full_name=name)))
    points_q = questions(task)[0]
    marking.mark_answer(answer=subs[0][1][0], marker=teacher, base_marking_version=0, mark=0)
    url = reverse("mark_by_question", args=[task.pk, points_q.pk])
    html = teacher_client.get(url).content.decode()
    assert "Answer 2 of 3" in html
    assert f"{url}?submission={subs[0][0].pk}" in html and 'rel="prev"' in html
    assert f"{url}?submission={subs[2][0].pk}" in html and 'rel="next"' in html
    assert "1 / 3 marked" in html


def test_work_not_submitted_is_not_in_the_marking_queue(teacher_client, task, student):
    draft = SubmissionFactory(task=task, student=student)
    url = reverse("mark_by_question", args=[task.pk, questions(task)[0].pk])
    assert teacher_client.get(f"{url}?submission={draft.pk}").status_code == 404
    assert "No submitted work to mark yet" in teacher_client.get(url).content.decode()


def test_a_question_of_another_task_is_404(teacher_client, task, teacher, school_class):
    other = make_points_question(task=TaskFactory(owner=teacher, classes=[school_class]))
    url = reverse("mark_by_question", args=[task.pk, other.pk])
    assert teacher_client.get(url).status_code == 404


def test_a_question_left_blank_can_be_marked(teacher_client, task, student):
    sub = SubmissionFactory(task=task, student=student)
    AnswerFactory(submission=sub, question=questions(task)[0], text="Only the first.")
    # Submitting makes the empty answer; the marking page only reads.
    answering.submit(submission=sub)
    levels_q = questions(task)[1]
    blank = Answer.objects.get(submission=sub, question=levels_q)
    html = teacher_client.get(
        reverse("mark_by_question", args=[task.pk, levels_q.pk])
    ).content.decode()
    assert "No answer written." in html
    assert post_mark(teacher_client, blank, {"mark": "0"}).status_code == 200
    blank.refresh_from_db()
    assert blank.mark == 0


def test_student_text_is_shown_as_text(teacher_client, task, student):
    submit_work(task, student, texts=["<script>alert(1)</script> & more"])
    html = teacher_client.get(
        reverse("mark_by_question", args=[task.pk, questions(task)[0].pk])
    ).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


# Saving marks


def test_an_htmx_save_answers_with_the_new_version_and_progress(teacher_client, work):
    answer = work[1][0]
    ids = point_ids(answer.question)
    response = post_mark(teacher_client, answer, {"credited_points": ids[:1], "feedback": "Good"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("Saved ")
    assert f'id="answer-{answer.pk}-version" value="1" hx-swap-oob="true"' in html
    assert 'id="progress-task" hx-swap-oob="true">1 / 2 marked' in html
    assert 'id="progress-question" hx-swap-oob="true">1 / 1 marked' in html
    assert "Mark <strong>1</strong> / 2" in html
    answer.refresh_from_db()
    assert (answer.mark, answer.feedback, answer.marking_version) == (1, "Good", 1)


def test_a_level_mark_outside_its_level_is_refused_at_the_field(teacher_client, work):
    answer = work[1][1]
    response = post_mark(
        teacher_client, answer, {"level": level_id(answer.question, 1), "mark": "4"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="answer-{answer.pk}-mark-error"' in html
    assert "A Level 1 answer earns 1–2 marks: choose a mark in that range." in html
    answer.refresh_from_db()
    assert answer.mark is None and answer.level is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mark": "7"}, "mark", "The mark must be between 0 and 2."),
        ({"mark": "two"}, "mark", "Enter the mark as a whole number."),
        ({"mark": "-1"}, "mark", "The mark must be between 0 and 2."),
        ({"credited_points": ["999999"]}, "credited_points", "not in this question"),
    ],
)
def test_bad_points_marks_are_refused_with_a_message(teacher_client, work, data, field, message):
    answer = work[1][0]
    response = post_mark(teacher_client, answer, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert f'id="answer-{answer.pk}-{field}-error"' in response.content.decode()
    answer.refresh_from_db()
    assert answer.mark is None and answer.marking_version == 0


def test_without_javascript_a_save_redirects_back_to_the_answer(teacher_client, task, work):
    answer = work[1][1]
    response = post_mark(
        teacher_client,
        answer,
        {"level": level_id(answer.question, 2), "mark": "3", "feedback": "Explain more."},
        htmx=False,
    )
    url = reverse("mark_by_question", args=[task.pk, answer.question.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{url}?submission={work[0].pk}#answer-{answer.pk}"
    page = teacher_client.get(response["Location"]).content.decode()
    assert "Saved the marking of Sam Student&#x27;s answer to question 2." in page


def test_a_beacon_from_a_closing_page_is_saved_without_a_page_or_message(teacher_client, work):
    answer = work[1][0]
    response = post_mark(teacher_client, answer, {"feedback": "Last words", "beacon": "1"}, False)
    assert response.status_code == 204
    answer.refresh_from_db()
    assert answer.feedback == "Last words"
    stale = post_mark(
        teacher_client,
        answer,
        {"feedback": "Older", "beacon": "1", "base_marking_version": 0},
        False,
    )
    assert stale.status_code == 409
    feedback_url = reverse("submission_feedback", args=[work[0].pk])
    sent = teacher_client.post(
        feedback_url, {"base_feedback_version": 0, "overall_feedback": "Bye", "beacon": "1"}
    )
    assert sent.status_code == 204
    page = teacher_client.get(reverse("task_submissions", args=[work[0].task_id])).content
    assert b"Saved the" not in page


def test_without_javascript_an_error_re_shows_the_page_with_what_was_typed(teacher_client, work):
    answer = work[1][0]
    response = post_mark(
        teacher_client,
        answer,
        {"credited_points": point_ids(answer.question)[:1], "mark": "2", "feedback": "Kept <b>"},
        htmx=False,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give a reason for a mark of 2 when the ticked points add up to 1." in html
    assert "Kept &lt;b&gt;</textarea>" in html
    assert 'value="2"' in html
    assert "checked" in html


def test_from_the_student_page_a_save_goes_back_there(teacher_client, task, work):
    answer = work[1][0]
    response = post_mark(teacher_client, answer, {"mark": "0", "return_to": "student"}, htmx=False)
    assert response["Location"] == (
        reverse("mark_by_student", args=[task.pk, work[0].pk]) + f"#answer-{answer.pk}"
    )


def test_a_conflict_shows_the_other_markers_values_and_saves_nothing(
    teacher_client, work, task, school_class
):
    answer = work[1][0]
    colleague = TeacherFactory(full_name="Mr Colleague")
    school_class.teachers.add(colleague)
    marking.mark_answer(
        answer=answer, marker=colleague, base_marking_version=0, mark=0, feedback="Theirs"
    )
    response = post_mark(teacher_client, answer, {"mark": "1", "adjustment_reason": "x"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Mr Colleague saved marking for this answer" in html
    assert "<dd>Theirs</dd>" in html
    assert 'name="overwrite_version" value="1"' in html
    answer.refresh_from_db()
    assert answer.feedback == "Theirs"

    # "Keep mine" saves on top of the version the colleague saved.
    kept = post_mark(
        teacher_client,
        answer,
        {"base_marking_version": 0, "overwrite_version": 1, "feedback": "Mine", "mark": "0"},
    )
    assert kept.status_code == 200
    answer.refresh_from_db()
    assert answer.feedback == "Mine" and answer.marking_version == 2


def test_without_javascript_a_conflict_is_the_whole_page_with_409(teacher_client, work, teacher):
    answer = work[1][0]
    marking.mark_answer(answer=answer, marker=teacher, base_marking_version=0, feedback="Tab 1")
    response = post_mark(teacher_client, answer, {"feedback": "Tab 2"}, htmx=False)
    assert response.status_code == 409
    html = response.content.decode()
    assert "<html" in html and "Keep mine" in html and "Tab 2</textarea>" in html


def test_marking_returned_work_is_refused_with_a_clear_message(teacher_client, work):
    sub, (answer, _) = work
    Submission.objects.filter(pk=sub.pk).update(status=Submission.Status.RETURNED)
    response = post_mark(teacher_client, answer, {"mark": "0"})
    assert response.status_code == 409
    assert "returned to the student for another attempt" in response.content.decode()
    assert "Keep mine" not in response.content.decode()
    answer.refresh_from_db()
    assert answer.mark is None


def test_without_javascript_marking_returned_work_shows_why_on_the_page(teacher_client, work):
    sub, (answer, _) = work
    Submission.objects.filter(pk=sub.pk).update(status=Submission.Status.RETURNED)
    response = post_mark(teacher_client, answer, {"mark": "0", "feedback": "Kept"}, htmx=False)
    assert response.status_code == 409
    html = response.content.decode()
    assert "returned to the student for another attempt" in html
    assert "What you wrote, not saved" in html and "Kept" in html
    answer.refresh_from_db()
    assert answer.mark is None and answer.feedback == ""


def test_marking_an_answer_that_changed_since_the_page_loaded_is_refused(teacher_client, work):
    answer = work[1][0]
    response = post_mark(teacher_client, answer, {"mark": "0", "answer_version": "1"})
    assert response.status_code == 409
    assert "The student&#x27;s answer changed" in response.content.decode()


def test_use_theirs_brings_back_the_card_as_saved(teacher_client, work, teacher):
    answer = work[1][0]
    marking.mark_answer(answer=answer, marker=teacher, base_marking_version=0, feedback="Saved")
    url = reverse("answer_mark", args=[answer.pk])
    html = teacher_client.get(url, **HTMX).content.decode()
    assert html.lstrip().startswith(f'<article class="answer-card" id="answer-{answer.pk}"')
    assert ">Saved</textarea>" in html and 'value="1"' in html
    assert teacher_client.get(url).status_code == 302


def test_the_overall_comment_saves_and_conflicts(teacher_client, work, task):
    sub = work[0]
    url = reverse("submission_feedback", args=[sub.pk])
    data = {"base_feedback_version": 0, "overall_feedback": "A thoughtful piece."}
    response = teacher_client.post(url, data, **HTMX)
    assert response.status_code == 200
    assert 'id="feedback-version" value="1" hx-swap-oob="true"' in response.content.decode()
    stale = teacher_client.post(url, {**data, "overall_feedback": "Other tab"}, **HTMX)
    assert stale.status_code == 409
    assert "A thoughtful piece." in stale.content.decode()
    plain = teacher_client.post(url, {"base_feedback_version": 1, "overall_feedback": "Final"})
    assert plain["Location"] == (
        reverse("mark_by_student", args=[task.pk, sub.pk]) + "#overall-feedback"
    )
    sub.refresh_from_db()
    assert sub.overall_feedback == "Final"


# Marking by student


def test_marking_by_student_shows_every_answer_and_the_overall_comment(teacher_client, task, work):
    html = teacher_client.get(reverse("mark_by_student", args=[task.pk, work[0].pk])).content
    html = html.decode()
    assert "Mao wanted more steel." in html and "There was a famine." in html
    assert html.count("data-answer-card") == 2
    assert 'name="overall_feedback"' in html
    assert "Return for another attempt" in html


def test_work_in_progress_is_shown_without_marking_forms(teacher_client, task, student):
    draft = SubmissionFactory(task=task, student=student)
    AnswerFactory(submission=draft, question=questions(task)[0], text="Half done")
    html = teacher_client.get(reverse("mark_by_student", args=[task.pk, draft.pk])).content
    html = html.decode()
    assert "Half done" in html
    assert "data-autosave" not in html
    assert "Not submitted yet" in html


# Anonymous marking


def test_names_are_hidden_on_every_marking_page_until_revealed(
    teacher_client, task, work, school_class
):
    submit_work(task, StudentFactory(username="zoe_k", full_name="Zoe Keller"))
    task.anonymous_marking = True
    task.save()
    sub = work[0]
    pages = [
        reverse("task_submissions", args=[task.pk]),
        reverse("mark_by_question", args=[task.pk, questions(task)[0].pk]),
        reverse("mark_by_question", args=[task.pk, questions(task)[1].pk]),
        reverse("mark_by_student", args=[task.pk, sub.pk]),
        reverse("submission_return", args=[sub.pk]),
    ]
    for url in pages:
        html = teacher_client.get(url).content.decode()
        for name in ["Sam Student", "sam_student", "Zoe Keller", "zoe_k"]:
            assert name not in html, (url, name)
        assert "Student 1" in html or "Student 2" in html, url
    answer = work[1][0]
    saved = post_mark(teacher_client, answer, {"mark": "0"}, htmx=False)
    assert "Sam Student" not in teacher_client.get(saved["Location"]).content.decode()

    response = teacher_client.post(
        reverse("task_toggle_anonymous", args=[task.pk]),
        {"anonymous": "0", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("task_submissions", args=[task.pk])
    assert not Task.objects.get(pk=task.pk).anonymous_marking
    assert "Sam Student" in teacher_client.get(pages[0]).content.decode()


# Return


def test_return_asks_for_a_note(teacher_client, work):
    url = reverse("submission_return", args=[work[0].pk])
    assert "Note to the student" in teacher_client.get(url).content.decode()
    response = teacher_client.post(url, {"note": "   "})
    assert response.status_code == 422
    assert "Write a note telling the student what to improve." in response.content.decode()
    assert Submission.objects.get(pk=work[0].pk).status == Submission.Status.SUBMITTED


def test_only_submitted_work_can_be_returned(teacher_client, task, student):
    draft = SubmissionFactory(task=task, student=student)
    response = teacher_client.post(
        reverse("submission_return", args=[draft.pk]), {"note": "Try again"}
    )
    assert response.status_code == 422
    assert "Only submitted work can be returned" in response.content.decode()


def test_returning_work_reopens_it_for_the_student(teacher_client, task, work):
    pytest.importorskip(
        "lessons.services.answering", reason="reopen_for_another_attempt is the answering area's"
    )
    response = teacher_client.post(
        reverse("submission_return", args=[work[0].pk]), {"note": "Use the source."}
    )
    assert response["Location"] == reverse("task_submissions", args=[task.pk])
    sub = Submission.objects.get(pk=work[0].pk)
    assert sub.status == Submission.Status.RETURNED and sub.return_note == "Use the source."


# Release, and what students see


SENTINEL_FEEDBACK = "Feedback-7QX: cite the Lushan Conference."
SENTINEL_OVERALL = "Overall-9ZK: a clear, well-evidenced answer."


@pytest.fixture
def marked_work(work, teacher):
    sub, (points_answer, levels_answer) = work
    marking.mark_answer(
        answer=points_answer,
        marker=teacher,
        base_marking_version=0,
        credited_point_ids=point_ids(points_answer.question)[:1],
        feedback=SENTINEL_FEEDBACK,
    )
    marking.mark_answer(
        answer=levels_answer,
        marker=teacher,
        base_marking_version=0,
        level_id=level_id(levels_answer.question, 3),
        mark=5,
    )
    marking.save_overall_feedback(
        submission=sub, marker=teacher, base_feedback_version=0, text=SENTINEL_OVERALL
    )
    return sub


def student_facing_pages(task):
    pages = [reverse("home")]
    # The answering area's task page, once merged.
    with contextlib.suppress(NoReverseMatch):
        pages.append(reverse("student_task", args=[task.pk]))
    return pages


def results_html(task, submission):
    submission = Submission.objects.select_related("task").get(pk=submission.pk)
    return render_to_string(
        "marking/_student_results.html", {"task": task, "submission": submission}
    )


def test_before_release_no_student_url_shows_anything_of_the_marking(
    student_client, task, marked_work
):
    for url in student_facing_pages(task):
        response = student_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SENTINEL_FEEDBACK not in html and SENTINEL_OVERALL not in html, url
        assert "Level 3" not in html and "Your marks" not in html, url
    assert results_html(task, marked_work).strip() == ""
    sub, _ = marked_work, None
    assert student_client.get(reverse("mark_by_student", args=[task.pk, sub.pk])).status_code == 403


def test_after_release_the_student_sees_marks_feedback_and_total(
    student_client, teacher_client, task, marked_work
):
    response = teacher_client.post(reverse("task_release", args=[task.pk]), {"which": "marked"})
    assert response["Location"] == reverse("task_submissions", args=[task.pk])
    html = results_html(task, marked_work)
    assert SENTINEL_FEEDBACK in html and SENTINEL_OVERALL in html
    assert "<strong>1</strong> out of 2" in html and "<strong>5</strong> out of 6" in html
    assert "Level 3" in html
    assert "Total <strong>6</strong> out of 8" in html
    assert "Mark scheme for question" not in html  # the task does not show it
    for url in student_facing_pages(task)[1:]:
        page = student_client.get(url).content.decode()
        assert SENTINEL_FEEDBACK in page and SENTINEL_OVERALL in page, url


def test_the_mark_scheme_is_shown_after_release_only_if_the_task_allows(task, marked_work):
    Task.objects.filter(pk=task.pk).update(show_mark_scheme=True)
    marking.release_marks(task=task, only_fully_marked=False)
    task.refresh_from_db()
    html = results_html(task, marked_work)
    assert "Mark scheme for question 1" in html
    assert "Points credited: To rapidly industrialise China" in html


def test_feedback_is_escaped_in_the_results(task, work, teacher):
    sub, (answer, _) = work
    marking.mark_answer(
        answer=answer, marker=teacher, base_marking_version=0, mark=0, feedback="<img src=x>"
    )
    marking.release_marks(task=task, only_fully_marked=False)
    html = results_html(task, sub)
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html


def test_the_release_page_says_how_many_are_fully_marked(teacher_client, task, marked_work):
    submit_work(task, StudentFactory())
    html = teacher_client.get(reverse("task_release", args=[task.pk])).content.decode()
    assert "<strong>2</strong> pieces of work submitted" in html
    assert "<strong>1</strong> fully marked" in html
    response = teacher_client.post(reverse("task_release", args=[task.pk]), {"which": "nonsense"})
    assert response.status_code == 422
    assert not Submission.objects.filter(released_at__isnull=False).exists()
    teacher_client.post(reverse("task_release", args=[task.pk]), {"which": "all"})
    assert Submission.objects.filter(released_at__isnull=False).count() == 2


# Statistics and the mark book


def test_the_statistics_page_shows_the_reteach_list(teacher_client, task, marked_work):
    html = teacher_client.get(reverse("task_statistics", args=[task.pk])).content.decode()
    assert "To re-teach" in html
    assert "To increase agricultural production" in html  # missed by the only marked answer
    assert "Mean mark <strong>1.0</strong> / 2" in html


def test_the_mark_book_shows_totals_percentages_and_states(
    teacher_client, task, marked_work, school_class
):
    html = teacher_client.get(reverse("class_markbook", args=[school_class.pk])).content.decode()
    assert "The Great Leap Forward" in html
    assert (
        '<span class="markbook__total">6</span> <span class="markbook__percent">75%</span>' in html
    )


def test_the_mark_book_csv_opens_cleanly_in_a_spreadsheet(
    teacher_client, task, marked_work, school_class
):
    school_class.enrolments.create(
        student=StudentFactory(username="eve", full_name="=cmd|' /C calc'!A0")
    )
    response = teacher_client.get(reverse("class_markbook_csv", args=[school_class.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="markbook-12h-history-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == [
        "Student",
        "Username",
        "The Great Leap Forward: mark (out of 8)",
        "The Great Leap Forward: %",
        "The Great Leap Forward: state",
    ]
    assert len(rows) == 3  # the header and one row per student
    by_user = {row[1]: row for row in rows[1:]}
    assert by_user["sam_student"] == ["Sam Student", "sam_student", "6", "75", "Marked"]
    assert by_user["eve"][0] == "'=cmd|' /C calc'!A0"
    assert by_user["eve"][2:] == ["", "", "Not started"]


# The comment bank


def test_comments_are_added_from_the_marking_page_and_listed_for_insertion(teacher_client, teacher):
    response = teacher_client.post(
        reverse("comment_bank"), {"action": "add", "feedback": "Quote the source."}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="comment-bank-list"')
    assert 'data-insert-text="Quote the source."' in html
    blank = teacher_client.post(reverse("comment_bank"), {"action": "add", "text": " "}, **HTMX)
    assert blank.status_code == 422
    assert "Write the comment to save." in blank.content.decode()
    assert CommentBankEntry.objects.filter(teacher=teacher).count() == 1


def test_the_comment_bank_page_works_without_javascript(teacher_client, teacher):
    response = teacher_client.post(
        reverse("comment_bank"), {"action": "add", "text": "Be precise."}
    )
    assert response["Location"] == reverse("comment_bank")
    entry = CommentBankEntry.objects.get(teacher=teacher)
    page = teacher_client.get(reverse("comment_bank")).content.decode()
    assert "Be precise." in page
    assert teacher_client.post(reverse("comment_bank"), {"action": "add"}).status_code == 422
    used = teacher_client.post(reverse("comment_bank"), {"action": "use", "id": entry.pk}, **HTMX)
    assert used.status_code == 204
    entry.refresh_from_db()
    assert entry.use_count == 1
    teacher_client.post(reverse("comment_bank"), {"action": "delete", "id": entry.pk})
    assert not CommentBankEntry.objects.exists()


def test_the_marking_page_offers_my_comments(teacher_client, task, work, teacher):
    CommentBankEntryFactory(teacher=teacher, text="Develop your explanation.")
    CommentBankEntryFactory(text="Someone else's comment.")
    html = teacher_client.get(
        reverse("mark_by_question", args=[task.pk, questions(task)[1].pk])
    ).content.decode()
    assert "Develop your explanation." in html
    assert "Someone else&#x27;s comment." not in html
    assert "Level 3 descriptor" in html  # the scheme's starting points


# Query counts that do not grow with the class


def class_of(size, teacher):
    students = [StudentFactory() for _ in range(size)]
    school_class = SchoolClassFactory(teachers=[teacher], students=students)
    task = TaskFactory(owner=teacher, classes=[school_class])
    passage = PassageFactory()
    task.lessons.add(passage.lesson)
    points_q = make_points_question(task=task)
    points_q.linked_passages.add(passage)
    make_levels_question(task=task)
    subs = []
    for student in students:
        sub, answers = submit_work(task, student)
        marking.mark_answer(answer=answers[0], marker=teacher, base_marking_version=0, mark=0)
        subs.append(sub)
    CommentBankEntryFactory(teacher=teacher)
    return school_class, task, subs


def get_whole(client, url: str):
    """GET, reading a streamed body too (the CSV queries the database as it streams)."""
    response = client.get(url)
    if response.streaming:
        response.whole = b"".join(response.streaming_content)
    return response


def count_queries(client, url: str) -> int:
    client.get(url)  # The school settings are cached after the first request: warm it.
    with CaptureQueriesContext(connection) as captured:
        assert get_whole(client, url).status_code == 200, url
    return len(captured)


def pages_of(school_class, task, subs):
    points_q, levels_q = questions(task)
    return [
        reverse("task_submissions", args=[task.pk]),
        reverse("mark_by_question", args=[task.pk, points_q.pk]),
        reverse("mark_by_question", args=[task.pk, levels_q.pk]) + f"?submission={subs[1].pk}",
        reverse("mark_by_student", args=[task.pk, subs[1].pk]),
        reverse("task_release", args=[task.pk]),
        reverse("task_statistics", args=[task.pk]),
        reverse("class_markbook", args=[school_class.pk]),
        reverse("class_markbook_csv", args=[school_class.pk]),
    ]


def test_marking_pages_use_as_many_queries_for_30_students_as_for_3(
    teacher_client, teacher, django_assert_num_queries
):
    small = [count_queries(teacher_client, url) for url in pages_of(*class_of(3, teacher))]
    large_pages = pages_of(*class_of(30, teacher))
    for url, expected in zip(large_pages, small, strict=True):
        with django_assert_num_queries(expected):
            get_whole(teacher_client, url)


def test_the_mark_book_queries_do_not_grow_with_tasks(
    teacher_client, teacher, django_assert_num_queries
):
    school_class, _, _ = class_of(3, teacher)
    url = reverse("class_markbook", args=[school_class.pk])
    small = count_queries(teacher_client, url)
    for _ in range(4):
        extra = TaskFactory(owner=teacher, classes=[school_class])
        make_points_question(task=extra)
        for enrolment in school_class.enrolments.all():
            submit_work(extra, enrolment.student, texts=["x"])
    with django_assert_num_queries(small):
        teacher_client.get(url)


def test_a_save_uses_as_many_queries_for_30_students_as_for_3(teacher_client, teacher):
    counts = []
    teacher_client.get(reverse("home"))  # Warm the cached school settings.
    for size in (3, 30):
        _, task, subs = class_of(size, teacher)
        answer = Answer.objects.get(submission=subs[1], question=questions(task)[1])
        with CaptureQueriesContext(connection) as captured:
            response = post_mark(teacher_client, answer, {"feedback": "Good"})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_marking_page_lists_only_earlier_attempts_in_the_history(
    teacher_client, teacher, task, work
):
    from lessons.services.answering import reopen_for_another_attempt, save_answer, submit

    sub, (points_answer, _) = work
    url = reverse("mark_by_question", args=[task.pk, points_answer.question_id])
    assert "Earlier attempts" not in teacher_client.get(url).content.decode()

    reopen_for_another_attempt(submission=sub, note="Add a second aim.", teacher=teacher)
    points_answer.refresh_from_db()
    save_answer(
        submission=sub,
        question=points_answer.question,
        text="Second attempt text",
        base_version=points_answer.version,
    )
    submit(submission=sub)
    html = teacher_client.get(url).content.decode()
    # The factory-made first attempt has no submitted copy; the return snapshot is attempt 1.
    assert "Earlier attempts (1)" in html
    history = html[
        html.index("Earlier attempts") : html.index("</details>", html.index("Earlier attempts"))
    ]
    assert "Attempt 1" in history and "Attempt 2" not in history
