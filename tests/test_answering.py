"""The student's task pages: the task page, autosave (htmx, beacon, plain form), conflicts,
submitting, read-only work, the dashboard, and who may reach each URL."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from lessons.models import Answer, Submission, Task
from lessons.models.work import MAX_ANSWER_CHARS
from lessons.services.answering import (
    get_or_start_submission,
    reopen_for_another_attempt,
    save_answer,
    submit,
)

from .factories import (
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    SchoolClassFactory,
    StudentFactory,
    TaskFactory,
    TeacherFactory,
    make_levels_question,
    make_points_question,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def passage(db):
    return PassageFactory(
        heading="The communes", lesson=LessonFactory(title="OCR notes on the Great Leap")
    )


@pytest.fixture
def task(teacher, school_class, passage):
    task = TaskFactory(
        owner=teacher, classes=[school_class], lessons=[passage.lesson], title="The Great Leap"
    )
    question = make_points_question(task=task)
    question.linked_passages.add(passage)
    make_levels_question(task=task)
    return task


@pytest.fixture
def q1(task):
    return task.questions.order_by("order", "id")[0]


@pytest.fixture
def q2(task):
    return task.questions.order_by("order", "id")[1]


@pytest.fixture
def classmate(school_class):
    """A second student of the same class: sees the task, never the first one's work."""
    mate = StudentFactory(username="cal_classmate", full_name="Cal Classmate")
    school_class.enrolments.create(student=mate)
    return mate


def fields(question, text, version=0, **extra):
    return {f"q{question.pk}-text": text, f"q{question.pk}-version": str(version), **extra}


def task_url(task):
    return reverse("student_task", args=[task.pk])


def save_url(task, question):
    return reverse("answer_save", args=[task.pk, question.pk])


def saved_answer(student, question):
    return Answer.objects.get(submission__student=student, question=question)


def write(student, task, question, text):
    submission = get_or_start_submission(task=task, student=student)
    answer = Answer.objects.filter(submission=submission, question=question).first()
    save_answer(
        submission=submission,
        question=question,
        text=text,
        base_version=answer.version if answer else 0,
    )
    return submission


# The task page


def test_task_page_shows_the_lesson_with_its_notes_beside_the_questions(
    student_client, task, passage, q1
):
    AnnotationFactory(passage=passage, note="A collective unit of about 5,000 households.")
    html = student_client.get(task_url(task)).content.decode()
    assert "The Great Leap" in html
    assert "OCR notes on the Great Leap" in html
    assert "A collective unit of about 5,000 households." in html
    assert 'data-notes="' in html  # highlights open their notes
    assert "Identify two key aims" in html
    assert f'name="q{q1.pk}-text"' in html
    assert f'href="#passage-{passage.pk}"' in html  # "Linked passages" for no-JS users
    assert f'data-linked="{passage.pk}"' in html
    assert 'aria-pressed="true"' in html  # the phone's Source / Questions switch


def test_task_page_states_the_due_time_in_the_school_s_zone(student_client, student, task):
    task.due_at = datetime(2025, 11, 28, 17, 0, tzinfo=UTC)
    task.opens_at = task.due_at - timedelta(days=3)
    task.save()
    with time_machine.travel(task.due_at - timedelta(days=1), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        html = student_client.get(task_url(task)).content.decode()
    assert "Due Friday 28 November, 17:00" in html
    assert "late work accepted (marked as late)" in html


def test_opening_the_task_page_does_not_start_the_task(student_client, task):
    student_client.get(task_url(task))
    assert not Submission.objects.exists()


def test_task_page_shows_only_the_notes_of_the_lesson_and_the_student_s_own_teachers(
    student_client, task, passage, teacher, outsider_teacher
):
    AnnotationFactory(passage=passage, note="Shared seed note.", author=None)
    AnnotationFactory(passage=passage, note="My teacher's note.", author=teacher)
    AnnotationFactory(passage=passage, note="Another school's note.", author=outsider_teacher)
    html = student_client.get(task_url(task)).content.decode()
    assert "Shared seed note." in html
    assert "My teacher&#x27;s note." in html
    assert "Another school" not in html


def test_task_page_never_shows_the_mark_scheme(student_client, task, q1, q2):
    html = student_client.get(task_url(task)).content.decode()
    for point in q1.indicative_points.all():
        assert point.text not in html
    for level in q2.levels.all():
        assert level.descriptor.splitlines()[0] not in html
    assert "There was a famine." not in html  # an exemplar


def test_task_page_queries_do_not_grow_with_questions_passages_notes_or_answers(
    client, teacher, student, school_class, django_assert_num_queries
):
    def build(questions, passages):
        lesson = LessonFactory()
        task = TaskFactory(owner=teacher, classes=[school_class], lessons=[lesson])
        made = [PassageFactory(lesson=lesson) for _ in range(passages)]
        for passage in made:
            AnnotationFactory(passage=passage, author=teacher)
        for _ in range(questions):
            question = make_points_question(task=task)
            question.linked_passages.set(made)
            write(student, task, question, "An answer.")
        return task

    small, large = build(1, 1), build(6, 5)
    client.force_login(student)
    client.get(task_url(small))
    with django_assert_num_queries(12) as captured:  # 12: with the student's quotations
        assert client.get(task_url(small)).status_code == 200
    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get(task_url(large)).status_code == 200


def test_answers_are_shown_as_text_never_as_html(student_client, student, task, q1):
    write(student, task, q1, "<script>alert('x')</script><b>bold</b>")
    html = student_client.get(task_url(task)).content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    submit(submission=Submission.objects.get())
    html = student_client.get(task_url(task)).content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html


def test_a_saved_answer_and_its_version_are_in_the_page(student_client, student, task, q1):
    write(student, task, q1, "First.")
    write(student, task, q1, "First. Second.")
    html = student_client.get(task_url(task)).content.decode()
    assert "First. Second.</textarea>" in html
    assert f'name="q{q1.pk}-version" value="2"' in html
    assert "Saved " in html
    assert "2 words" in html


# Autosave with htmx


def test_autosave_answers_a_small_status_and_the_new_version_out_of_band(
    student_client, student, task, q1
):
    response = student_client.post(save_url(task, q1), fields(q1, "Industrialise."), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="saved"' in html and "Saved " in html
    assert f'id="answer-{q1.pk}-version" name="q{q1.pk}-version" value="1" hx-swap-oob="true"' in (
        html
    )
    assert "<textarea" not in html  # the box being typed in is never replaced
    answer = saved_answer(student, q1)
    assert (answer.text, answer.version) == ("Industrialise.", 1)


def test_a_stale_autosave_is_refused_with_both_texts_to_choose_from(
    student_client, student, task, q1
):
    write(student, task, q1, "Saved from the laptop <i>")
    response = student_client.post(save_url(task, q1), fields(q1, "Typed on the phone", 0), **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-state="conflict"' in html
    assert 'data-server-version="1"' in html
    assert "Typed on the phone</textarea>" in html
    assert "Saved from the laptop &lt;i&gt;</textarea>" in html
    assert 'data-resolve="mine"' in html and 'data-resolve="saved"' in html
    assert 'data-resolve="both"' in html
    assert saved_answer(student, q1).text == "Saved from the laptop <i>"
    # "Keep mine": the same text again, based on the version the conflict named.
    response = student_client.post(save_url(task, q1), fields(q1, "Typed on the phone", 1), **HTMX)
    assert response.status_code == 200
    assert saved_answer(student, q1).text == "Typed on the phone"


def test_too_long_an_answer_is_refused_with_a_message_and_nothing_saved(
    student_client, student, task, q1
):
    write(student, task, q1, "Short.")
    text = "x" * (MAX_ANSWER_CHARS + 5)
    response = student_client.post(save_url(task, q1), fields(q1, text, 1), **HTMX)
    assert response.status_code == 422
    assert "too long: 20,005 characters" in response.content.decode()
    assert saved_answer(student, q1).text == "Short."


def test_a_version_that_is_not_a_number_is_refused(student_client, task, q1):
    response = student_client.post(
        save_url(task, q1), {f"q{q1.pk}-text": "Hi", f"q{q1.pk}-version": "x"}, **HTMX
    )
    assert response.status_code == 422
    assert not Answer.objects.exists()


def test_null_characters_are_refused_not_stored(student_client, task, q1):
    response = student_client.post(save_url(task, q1), fields(q1, "a\x00b"), **HTMX)
    assert response.status_code == 422
    assert not Answer.objects.exists()


def test_leaving_an_empty_box_does_not_start_the_task(student_client, task, q1):
    response = student_client.post(save_url(task, q1), fields(q1, ""), **HTMX)
    assert response.status_code == 200
    assert not Submission.objects.exists()


def test_a_beacon_from_a_closing_page_saves_like_any_save(student_client, student, task, q1):
    response = student_client.post(save_url(task, q1), fields(q1, "Sent on leaving", beacon="1"))
    assert response.status_code == 204
    assert saved_answer(student, q1).text == "Sent on leaving"
    stale = student_client.post(save_url(task, q1), fields(q1, "Other", 0, beacon="1"))
    assert stale.status_code == 409
    assert saved_answer(student, q1).text == "Sent on leaving"


def test_an_autosave_after_the_session_expired_is_a_401_not_a_login_page(client, task, q1):
    response = client.post(save_url(task, q1), fields(q1, "Typed while logged out"), **HTMX)
    assert response.status_code == 401
    html = response.content.decode()
    assert 'data-state="logged-out"' in html
    assert 'target="_blank"' in html and reverse("login") in html
    assert "<html" not in html
    assert not Answer.objects.exists()


def test_a_save_from_a_page_opened_by_someone_else_is_refused(
    student_client, student, classmate, task, q1
):
    response = student_client.post(
        save_url(task, q1), fields(q1, "Cal's text", owner=str(classmate.pk)), **HTMX
    )
    assert response.status_code == 401
    assert "someone else is now logged in" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_plain_post_to_the_autosave_url_redirects_back_to_the_question(
    student_client, student, task, q1
):
    response = student_client.post(save_url(task, q1), fields(q1, "No JavaScript here"))
    assert response.status_code == 302
    assert response["Location"] == f"{task_url(task)}#question-{q1.pk}"
    assert saved_answer(student, q1).text == "No JavaScript here"


def test_saves_into_submitted_work_are_refused_with_a_message_to_reload(
    student_client, student, task, q1
):
    submission = write(student, task, q1, "Handed in")
    submit(submission=submission)
    response = student_client.post(save_url(task, q1), fields(q1, "Changed", 1), **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-state="refused"' in html and "submitted" in html
    assert saved_answer(student, q1).text == "Handed in"


def test_late_work_refused_saves_stop_at_the_due_time_with_a_clear_message(
    student_client, student, task, q1
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    write(student, task, q1, "Before the deadline")
    with time_machine.travel(task.due_at + timedelta(seconds=1), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        response = student_client.post(save_url(task, q1), fields(q1, "After", 1), **HTMX)
        assert response.status_code == 409
        assert "does not accept late work" in response.content.decode()
        page = student_client.get(task_url(task)).content.decode()
    assert saved_answer(student, q1).text == "Before the deadline"
    assert "Before the deadline" in page
    assert f'name="q{q1.pk}-text"' not in page  # read-only: what was saved, kept
    assert "does not accept late work" in page


# Saving without JavaScript


def test_the_save_button_without_javascript_saves_every_answer(
    student_client, student, task, q1, q2
):
    data = {**fields(q1, "Aims."), **fields(q2, "Famine."), "save": str(q2.pk)}
    response = student_client.post(reverse("task_save", args=[task.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == f"{task_url(task)}#question-{q2.pk}"
    assert saved_answer(student, q1).text == "Aims."
    assert saved_answer(student, q2).text == "Famine."
    page = student_client.get(response["Location"]).content.decode()
    assert "Your answers were saved at" in page


def test_without_javascript_a_conflict_keeps_both_texts_and_every_other_answer(
    student_client, student, task, q1, q2
):
    write(student, task, q1, "From the other tab")
    data = {**fields(q1, "From this tab", 0), **fields(q2, "Famine.", 0)}
    response = student_client.post(reverse("task_save", args=[task.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    # The box keeps this tab's text, now based on the saved version, with the saved one shown.
    assert f'name="q{q1.pk}-text"' in html
    assert "From this tab</textarea>" in html
    assert "From the other tab</textarea>" in html
    assert f'name="q{q1.pk}-version" value="1"' in html
    assert saved_answer(student, q2).text == "Famine."
    # Saving again keeps this tab's text.
    data = {**fields(q1, "From this tab", 1), **fields(q2, "Famine.", 1)}
    assert student_client.post(reverse("task_save", args=[task.pk]), data).status_code == 302
    assert saved_answer(student, q1).text == "From this tab"


def test_without_javascript_too_long_an_answer_is_refused_at_the_field_and_kept(
    student_client, task, q1
):
    text = "y" * (MAX_ANSWER_CHARS + 1)
    response = student_client.post(reverse("task_save", args=[task.pk]), fields(q1, text))
    assert response.status_code == 422
    html = response.content.decode()
    assert text + "</textarea>" in html
    assert 'aria-invalid="true"' in html
    assert "too long" in html
    assert not Answer.objects.exists()


def test_without_javascript_an_expired_session_shows_back_what_was_typed(client, task, q1):
    response = client.post(reverse("task_save", args=[task.pk]), fields(q1, "Do not lose me"))
    assert response.status_code == 401
    html = response.content.decode()
    assert "no longer logged in" in html
    assert "Do not lose me</textarea>" in html


# Submitting


def test_submit_confirmation_lists_the_unanswered_questions(student_client, student, task, q1):
    write(student, task, q1, "Aims.")
    html = student_client.get(reverse("task_submit", args=[task.pk])).content.decode()
    assert "1 question has no answer" in html
    assert "Question 2" in html
    assert "Submit with 1 empty answer" in html


def test_submitting_after_the_confirmation_makes_the_answers_read_only(
    student_client, student, task, q1, q2
):
    write(student, task, q1, "Aims.")
    response = student_client.post(
        reverse("task_submit", args=[task.pk]), {"empty": str(q2.pk)}, follow=True
    )
    html = response.content.decode()
    assert "Submitted on" in html and "on time" in html
    assert 'name="q' not in html  # no answer box left
    assert "Aims." in html
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.SUBMITTED and not submission.is_late


def test_an_empty_submission_is_accepted_once_confirmed(student_client, task, q1, q2):
    html = student_client.get(reverse("task_submit", args=[task.pk])).content.decode()
    assert "You have not answered any question yet." in html
    response = student_client.post(
        reverse("task_submit", args=[task.pk]), {"empty": f"{q1.pk},{q2.pk}"}
    )
    assert response.status_code == 302
    assert Submission.objects.get().is_submitted


def test_submitting_without_having_seen_which_answers_are_empty_asks_again(
    student_client, student, task, q1, q2
):
    response = student_client.post(reverse("task_submit", args=[task.pk]), {"empty": ""})
    assert response.status_code == 409
    assert "Check the list below again" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_late_submission_is_accepted_and_flagged_with_a_message(
    student_client, student, task, q1, q2
):
    with time_machine.travel(task.due_at + timedelta(minutes=5), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        confirm = student_client.get(reverse("task_submit", args=[task.pk])).content.decode()
        response = student_client.post(
            reverse("task_submit", args=[task.pk]), {"empty": f"{q1.pk},{q2.pk}"}, follow=True
        )
    assert "will be <strong>marked as late</strong>" in confirm
    assert "after the due time: <strong>marked as late</strong>" in response.content.decode()
    assert Submission.objects.get().is_late


def test_a_late_submission_is_refused_with_a_message_when_the_task_refuses_late_work(
    student_client, student, task, q1, q2
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    write(student, task, q1, "Saved in time")
    with time_machine.travel(task.due_at + timedelta(minutes=5), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        confirm = student_client.get(reverse("task_submit", args=[task.pk])).content.decode()
        response = student_client.post(
            reverse("task_submit", args=[task.pk]), {"empty": str(q2.pk)}, follow=True
        )
    assert "does not accept late work" in confirm
    assert "Not submitted" in response.content.decode()
    assert not Submission.objects.get().is_submitted
    assert saved_answer(student, q1).text == "Saved in time"


def test_submitted_work_cannot_be_submitted_again(student_client, student, task, q1):
    submit(submission=write(student, task, q1, "Done"))
    response = student_client.get(reverse("task_submit", args=[task.pk]))
    assert response.status_code == 302
    assert response["Location"] == task_url(task)


def test_returned_work_shows_the_teacher_s_note_and_is_editable_again(
    student_client, student, teacher, task, q1
):
    submission = write(student, task, q1, "First go")
    submit(submission=submission)
    reopen_for_another_attempt(submission=submission, note="Add <detail>.", teacher=teacher)
    html = student_client.get(task_url(task)).content.decode()
    assert "Returned for another attempt" in html
    assert "Add &lt;detail&gt;." in html
    assert f'name="q{q1.pk}-text"' in html
    assert "First go</textarea>" in html


# Nothing of the marking before release


def test_nothing_of_the_marking_appears_on_any_student_page_before_release(
    student_client, student, teacher, task, q1, q2
):
    submission = write(student, task, q1, "Aims.")
    submit(submission=submission)
    Answer.objects.filter(question=q1).update(
        mark=2, feedback="SECRET-FEEDBACK", marker=teacher, marked_at=timezone.now()
    )
    Answer.objects.filter(question=q2).update(
        mark=5, level=q2.levels.get(number=3), feedback="SECRET-LEVEL-FEEDBACK"
    )
    Submission.objects.filter(pk=submission.pk).update(overall_feedback="SECRET-OVERALL")
    for url in [reverse("home"), task_url(task), reverse("task_submit", args=[task.pk])]:
        html = student_client.get(url, follow=True).content.decode()
        assert "SECRET" not in html, url
        assert "Level 3" not in html and "5/6" not in html and "2/2" not in html, url
        assert "Clear, developed explanation" not in html, url


# The dashboard


def test_student_dashboard_lists_tasks_to_do_with_their_due_time_and_cue(
    student_client, student, task
):
    with time_machine.travel(task.due_at - timedelta(hours=3), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        html = student_client.get(reverse("home")).content.decode()
    assert "12H History" in html and "To do" in html
    assert task_url(task) in html and "The Great Leap" in html
    assert "Due today" in html or "Due tomorrow" in html


def test_student_dashboard_shows_submitted_work_and_overdue_work(
    student_client, student, teacher, school_class, task, q1
):
    submit(submission=write(student, task, q1, "Done"))
    overdue = TaskFactory(
        owner=teacher,
        classes=[school_class],
        title="Backyard furnaces",
        opens_at=timezone.now() - timedelta(days=5),
        due_at=timezone.now() - timedelta(days=1),
    )
    html = student_client.get(reverse("home")).content.decode()
    assert "Submitted" in html and "waiting for marks" in html
    assert overdue.title in html and "Overdue" in html


def test_student_dashboard_queries_do_not_grow_with_tasks(
    client, student, teacher, django_assert_num_queries
):
    school_class = SchoolClassFactory(teachers=[teacher], students=[student])
    first = TaskFactory(owner=teacher, classes=[school_class])
    write(student, first, make_points_question(task=first), "Hi")
    client.force_login(student)
    client.get(reverse("home"))
    with django_assert_num_queries(7) as small:
        client.get(reverse("home"))
    for _ in range(5):
        other = SchoolClassFactory(teachers=[TeacherFactory()], students=[student])
        for _ in range(3):
            task = TaskFactory(owner=teacher, classes=[other])
            submit(submission=write(student, task, make_points_question(task=task), "Hi"))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))


# Who may reach each URL


def student_urls(task, question):
    return [
        ("get", task_url(task)),
        ("post", save_url(task, question)),
        ("post", reverse("task_save", args=[task.pk])),
        ("get", reverse("task_submit", args=[task.pk])),
        ("post", reverse("task_submit", args=[task.pk])),
    ]


def test_anonymous_visitors_are_sent_to_log_in_and_saves_get_a_401(client, task, q1):
    for method, url in student_urls(task, q1):
        response = getattr(client, method)(url, fields(q1, "x") if method == "post" else None)
        if url in (save_url(task, q1), reverse("task_save", args=[task.pk])):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url


def test_teachers_get_a_403_on_every_student_url(teacher_client, task, q1):
    for method, url in student_urls(task, q1):
        response = getattr(teacher_client, method)(url, fields(q1, "x") if method == "post" else {})
        assert response.status_code == 403, url


def test_a_student_of_another_class_gets_a_404_on_every_url(client, outsider_student, task, q1):
    client.force_login(outsider_student)
    for method, url in student_urls(task, q1):
        response = getattr(client, method)(url, fields(q1, "x") if method == "post" else {})
        assert response.status_code == 404, url
    assert not Submission.objects.exists()


@pytest.mark.parametrize("state", ["draft", "not yet open"])
def test_a_task_the_student_may_not_see_yet_is_a_404(student_client, task, q1, state):
    if state == "draft":
        task.status = Task.Status.DRAFT
    else:
        task.opens_at = timezone.now() + timedelta(hours=1)
    task.save()
    for method, url in student_urls(task, q1):
        response = getattr(student_client, method)(url, fields(q1, "x") if method == "post" else {})
        assert response.status_code == 404, url


def test_a_question_of_another_task_is_a_404(student_client, task, teacher, school_class):
    other = TaskFactory(owner=teacher, classes=[school_class])
    foreign = make_points_question(task=other)
    response = student_client.post(save_url(task, foreign), fields(foreign, "x"), **HTMX)
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_a_classmate_never_reads_or_writes_another_student_s_answer(
    client, student, classmate, task, q1
):
    write(student, task, q1, "Sam's own words")
    client.force_login(classmate)
    for method, url in student_urls(task, q1):
        data = fields(q1, "Cal's words", 0, empty=str(q1.pk)) if method == "post" else {}
        response = getattr(client, method)(url, data, follow=True)
        assert "Sam&#x27;s own words" not in response.content.decode(), url
        assert "Sam's own words" not in response.content.decode(), url
    assert saved_answer(student, q1).text == "Sam's own words"
    assert saved_answer(student, q1).version == 1
    assert saved_answer(classmate, q1).text == "Cal's words"
    assert Submission.objects.get(student=student).status == Submission.Status.IN_PROGRESS


def test_the_last_saved_piece_for_teachers_says_when_an_answer_was_saved(student, task, q1):
    from django.template.loader import render_to_string

    write(student, task, q1, "Hello")
    answer = saved_answer(student, q1)
    html = render_to_string("answering/_last_saved.html", {"answer": answer})
    assert "Last saved" in html and answer.saved_at.isoformat()[:16] in html
    assert "Not started" in render_to_string("answering/_last_saved.html", {"answer": None})


def test_without_javascript_a_save_from_someone_else_s_page_shows_their_text_back(
    student_client, classmate, task, q1
):
    data = fields(q1, "Cal typed this", owner=str(classmate.pk))
    response = student_client.post(reverse("task_save", args=[task.pk]), data)
    assert response.status_code == 401
    html = response.content.decode()
    assert "Someone else is logged in" in html
    assert "Cal typed this</textarea>" in html
    assert not Answer.objects.exists()


def test_an_autosave_while_the_database_is_down_is_a_503_to_retry(student_client, task, q1):
    student_client.raise_request_exception = False
    down = OperationalError("server closed the connection unexpectedly")
    with mock.patch("lessons.views.answering.save_student_answer", side_effect=down):
        response = student_client.post(save_url(task, q1), fields(q1, "Keep trying"), **HTMX)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_without_javascript_text_refused_after_the_due_time_is_shown_back_to_copy(
    student_client, student, task, q1
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    write(student, task, q1, "Saved in time")
    with time_machine.travel(task.due_at + timedelta(minutes=1), tick=False):
        student_client.force_login(student)  # sessions expire on the same clock
        response = student_client.post(
            reverse("task_save", args=[task.pk]), fields(q1, "Typed too late", 1)
        )
    assert response.status_code == 409
    html = response.content.decode()
    assert f'name="q{q1.pk}-text"' not in html  # the work is closed: read-only
    assert "Saved in time" in html
    assert "Typed too late</textarea>" in html
    assert "does not accept late work" in html
    assert saved_answer(student, q1).text == "Saved in time"
