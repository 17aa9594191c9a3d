"""The answering services: saves and their versions, conflicts, lateness at the boundary,
submitting, another attempt, and the student's dashboard."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from lessons.models import Answer, AnswerRevision, Submission, Task
from lessons.models.work import MAX_ANSWER_CHARS
from lessons.services.answering import (
    AnswerRefused,
    get_or_start_submission,
    reopen_for_another_attempt,
    save_answer,
    student_dashboard,
    submit,
)

from .factories import (
    QuestionFactory,
    SchoolClassFactory,
    SubmissionFactory,
    TaskFactory,
    make_levels_question,
    make_points_question,
)

# A Friday: due at 17:00 London time (GMT in November).
DUE = datetime(2025, 11, 28, 17, 0, tzinfo=UTC)
BEFORE = DUE - timedelta(hours=1)
AFTER = DUE + timedelta(seconds=1)


@pytest.fixture
def task(teacher, school_class):
    task = TaskFactory(
        owner=teacher,
        classes=[school_class],
        opens_at=DUE - timedelta(days=7),
        due_at=DUE,
        title="The Great Leap Forward",
    )
    make_points_question(task=task)
    make_levels_question(task=task)
    return task


@pytest.fixture
def questions(task):
    return list(task.questions.order_by("order", "id"))


@pytest.fixture
def submission(task, student):
    return get_or_start_submission(task=task, student=student)


def save(submission, question, text, base, now=BEFORE):
    return save_answer(
        submission=submission, question=question, text=text, base_version=base, now=now
    )


# Saving and versions


def test_first_save_creates_the_answer_at_version_1(submission, questions):
    result = save(submission, questions[0], "Rapid industrialisation.", 0)
    assert result.outcome == "saved"
    assert result.version == 1
    answer = Answer.objects.get(submission=submission, question=questions[0])
    assert (answer.text, answer.version, answer.saved_at) == ("Rapid industrialisation.", 1, BEFORE)


def test_each_save_based_on_the_current_version_moves_it_on(submission, questions):
    save(submission, questions[0], "One", 0)
    result = save(submission, questions[0], "One and two", 1)
    assert (result.outcome, result.version) == ("saved", 2)
    assert Answer.objects.get().text == "One and two"


def test_a_stale_save_is_a_conflict_carrying_the_saved_text_and_changes_nothing(
    submission, questions
):
    save(submission, questions[0], "From the laptop", 0)
    save(submission, questions[0], "From the laptop, more", 1)
    result = save(submission, questions[0], "From the phone", 1)
    assert result.is_conflict and not result.is_saved
    assert (result.text, result.version) == ("From the laptop, more", 2)
    answer = Answer.objects.get()
    assert (answer.text, answer.version) == ("From the laptop, more", 2)


def test_a_first_save_from_a_second_tab_conflicts_with_the_first(submission, questions):
    save(submission, questions[0], "Tab one", 0)
    result = save(submission, questions[0], "Tab two", 0)
    assert result.is_conflict
    assert result.text == "Tab one"


def test_saving_the_text_already_stored_is_never_a_conflict(submission, questions):
    save(submission, questions[0], "Same words", 0)
    save(submission, questions[0], "Same words, more", 1)
    result = save(submission, questions[0], "Same words, more", 0)
    assert (result.outcome, result.version) == ("unchanged", 2)
    assert Answer.objects.get().version == 2


def test_line_breaks_are_stored_as_newlines(submission, questions):
    save(submission, questions[0], "First line\r\nSecond line", 0)
    assert Answer.objects.get().text == "First line\nSecond line"


def test_an_answer_at_the_limit_is_saved_and_one_over_is_refused(submission, questions):
    assert save(submission, questions[0], "a" * MAX_ANSWER_CHARS, 0).is_saved
    with pytest.raises(AnswerRefused) as refused:
        save(submission, questions[0], "b" * (MAX_ANSWER_CHARS + 1), 1)
    assert refused.value.code == "too_long"
    assert "20,001 characters" in refused.value.message
    assert Answer.objects.get().text == "a" * MAX_ANSWER_CHARS


def test_a_question_of_another_task_is_not_saved_into_this_submission(submission):
    with pytest.raises(ValueError):
        save(submission, QuestionFactory(), "Wrong task", 0)
    assert not Answer.objects.exists()


def test_saving_into_submitted_work_is_refused_and_keeps_the_submitted_text(submission, questions):
    save(submission, questions[0], "Handed in", 0)
    submit(submission=submission, now=BEFORE)
    with pytest.raises(AnswerRefused) as refused:
        save(submission, questions[0], "Changed afterwards", 1)
    assert refused.value.code == "submitted"
    assert Answer.objects.get(question=questions[0]).text == "Handed in"


def test_saving_into_a_closed_task_is_refused(submission, questions, task):
    task.status = Task.Status.CLOSED
    task.save()
    with pytest.raises(AnswerRefused) as refused:
        save(submission, questions[0], "Too late", 0)
    assert refused.value.code == "closed"


def test_saves_continue_after_the_due_time_when_late_work_is_accepted(submission, questions):
    assert save(submission, questions[0], "Late but welcome", 0, now=AFTER).is_saved


def test_when_late_work_is_refused_saves_stop_at_the_due_time_and_earlier_text_is_kept(
    submission, questions, task
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    save(submission, questions[0], "Written in time", 0, now=BEFORE)
    assert save(submission, questions[0], "At the stroke of five", 1, now=DUE).is_saved
    with pytest.raises(AnswerRefused) as refused:
        save(submission, questions[0], "A second too late", 2, now=AFTER)
    assert refused.value.code == "past_due"
    assert "Friday 28 November" in refused.value.message
    assert "17:00" in refused.value.message
    assert Answer.objects.get().text == "At the stroke of five"


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_on_the_same_version_never_both_win(
    teacher, student, school_class
):
    task = TaskFactory(owner=teacher, classes=[school_class])
    question = make_points_question(task=task)
    submission = get_or_start_submission(task=task, student=student)
    save_answer(submission=submission, question=question, text="Start", base_version=0)
    barrier = threading.Barrier(2)
    outcomes = []

    def race(text):
        try:
            barrier.wait()
            result = save_answer(
                submission=submission, question=question, text=text, base_version=1
            )
            outcomes.append((result.outcome, text))
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(t,)) for t in ("Tab A", "Tab B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome for outcome, _ in outcomes) == ["conflict", "saved"]
    winner = next(text for outcome, text in outcomes if outcome == "saved")
    answer = Answer.objects.get()
    assert (answer.text, answer.version) == (winner, 2)


def test_starting_a_submission_twice_finds_the_same_one(task, student):
    first = get_or_start_submission(task=task, student=student)
    assert get_or_start_submission(task=task, student=student) == first
    assert Submission.objects.count() == 1


# Submitting and lateness


def test_submitting_records_the_text_of_every_question_and_the_time(submission, questions):
    save(submission, questions[0], "Two aims.", 0)
    submitted = submit(submission=submission, now=BEFORE)
    assert submitted.status == Submission.Status.SUBMITTED
    assert (submitted.submitted_at, submitted.is_late, submitted.attempt) == (BEFORE, False, 1)
    # The unanswered question gets an empty answer, so every question has its row.
    revisions = AnswerRevision.objects.order_by("answer__question__order")
    assert [(r.kind, r.attempt, r.text) for r in revisions] == [
        ("submitted", 1, "Two aims."),
        ("submitted", 1, ""),
    ]


def test_submitting_exactly_at_the_due_time_is_on_time(submission):
    assert submit(submission=submission, now=DUE).is_late is False


def test_submitting_a_second_after_the_due_time_is_late_when_late_work_is_accepted(submission):
    with time_machine.travel(AFTER, tick=False):
        submitted = submit(submission=submission)
    assert submitted.is_late is True
    assert submitted.submitted_at == AFTER


def test_submitting_after_the_due_time_is_refused_when_late_work_is_refused(
    submission, questions, task
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    save(submission, questions[0], "Saved in time", 0)
    with time_machine.travel(AFTER, tick=False), pytest.raises(AnswerRefused) as refused:
        submit(submission=submission)
    assert refused.value.code == "past_due"
    assert "Not submitted" in refused.value.message
    submission.refresh_from_db()
    assert submission.status == Submission.Status.IN_PROGRESS
    assert Answer.objects.get().text == "Saved in time"
    assert not AnswerRevision.objects.exists()


def test_submitting_twice_is_refused(submission):
    submit(submission=submission, now=BEFORE)
    with pytest.raises(AnswerRefused) as refused:
        submit(submission=submission, now=BEFORE)
    assert refused.value.code == "submitted"
    assert AnswerRevision.objects.count() == 2


# Another attempt


def test_returning_work_keeps_the_marks_in_the_history_and_opens_the_answers_again(
    submission, questions, teacher
):
    save(submission, questions[0], "First try", 0)
    save(submission, questions[1], "A famine", 0)
    submit(submission=submission, now=BEFORE)
    level = questions[1].levels.get(number=1)
    Answer.objects.filter(question=questions[1]).update(
        mark=1, level=level, feedback="Explain more.", marker=teacher
    )
    Submission.objects.filter(pk=submission.pk).update(released_at=BEFORE)

    returned = reopen_for_another_attempt(
        submission=submission, note="Develop the second point.", teacher=teacher, now=AFTER
    )
    assert (returned.status, returned.attempt, returned.returned_at) == ("returned", 2, AFTER)
    assert returned.return_note == "Develop the second point."
    assert returned.is_editable and returned.released_at is None
    answer = Answer.objects.get(question=questions[1])
    assert (answer.text, answer.mark, answer.level, answer.feedback) == ("A famine", None, None, "")
    history = [
        (r.kind, r.attempt, r.text, r.mark, r.level_number, r.feedback)
        for r in AnswerRevision.objects.filter(answer=answer).order_by("id")
    ]
    assert history == [
        ("submitted", 1, "A famine", None, None, ""),
        ("returned", 1, "A famine", 1, 1, "Explain more."),
    ]

    # The student carries on from their text and submits the second attempt.
    assert save(submission, questions[1], "A famine, and why", answer.version).is_saved
    submit(submission=submission, now=AFTER + timedelta(hours=1))
    assert AnswerRevision.objects.filter(answer=answer, kind="submitted", attempt=2).get().text == (
        "A famine, and why"
    )


def test_returned_work_may_be_changed_and_resubmitted_after_the_due_time_without_being_late(
    submission, questions, task, teacher
):
    task.late_policy = Task.LatePolicy.REFUSE
    task.save()
    save(submission, questions[0], "On time", 0)
    submit(submission=submission, now=BEFORE)
    reopen_for_another_attempt(submission=submission, note="", teacher=teacher, now=AFTER)
    later = AFTER + timedelta(days=1)
    assert save(submission, questions[0], "Improved", 1, now=later).is_saved
    assert submit(submission=submission, now=later).is_late is False


def test_work_returned_before_the_due_time_is_late_if_resubmitted_after_it(submission, teacher):
    submit(submission=submission, now=BEFORE - timedelta(hours=1))
    reopen_for_another_attempt(submission=submission, note="", teacher=teacher, now=BEFORE)
    assert submit(submission=submission, now=AFTER).is_late is True


def test_only_submitted_work_can_be_returned(submission, teacher):
    with pytest.raises(AnswerRefused) as refused:
        reopen_for_another_attempt(submission=submission, note="", teacher=teacher)
    assert refused.value.code == "not_submitted"


def test_only_a_teacher_of_the_task_can_return_work(submission, outsider_teacher):
    submit(submission=submission, now=BEFORE)
    with pytest.raises(PermissionDenied):
        reopen_for_another_attempt(submission=submission, note="", teacher=outsider_teacher)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED


def test_returning_work_moves_the_marking_version_on(submission, questions, teacher):
    save(submission, questions[0], "Text", 0)
    submit(submission=submission, now=BEFORE)
    before = Answer.objects.get(question=questions[0]).marking_version
    reopen_for_another_attempt(submission=submission, note="", teacher=teacher)
    assert Answer.objects.get(question=questions[0]).marking_version == before + 1


# The dashboard


def test_dashboard_groups_tasks_per_class_as_to_do_submitted_and_marked(student, teacher):
    history = SchoolClassFactory(name="12H History", teachers=[teacher], students=[student])
    politics = SchoolClassFactory(name="12P Politics", teachers=[teacher], students=[student])
    opens = DUE - timedelta(days=10)
    now = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)  # Thursday morning

    def make(title, due, school_class=history, **kwargs):
        kwargs.setdefault("opens_at", opens)
        return TaskFactory(title=title, owner=teacher, classes=[school_class], due_at=due, **kwargs)

    tomorrow = make("Due tomorrow", DUE)
    today = make("Due today", datetime(2025, 11, 27, 17, 0, tzinfo=UTC))
    overdue = make("Overdue", datetime(2025, 11, 26, 17, 0, tzinfo=UTC))
    closed = make(
        "Closed", datetime(2025, 11, 26, 17, 0, tzinfo=UTC), late_policy=Task.LatePolicy.REFUSE
    )
    submitted = make("Submitted", DUE)
    SubmissionFactory(task=submitted, student=student, status="submitted", submitted_at=now)
    marked = make("Marked", DUE, school_class=politics)
    SubmissionFactory(
        task=marked, student=student, status="submitted", submitted_at=now, released_at=now
    )
    make("Draft", DUE, status=Task.Status.DRAFT)
    make("Not open yet", DUE, opens_at=now + timedelta(hours=1))
    TaskFactory(title="Other class", classes=[SchoolClassFactory()], opens_at=opens, due_at=DUE)

    groups = {g.school_class.name: g for g in student_dashboard(student=student, now=now)}
    history_group = groups["12H History"]
    assert [(e.task.title, e.cue) for e in history_group.to_do] == [
        ("Overdue", "overdue"),
        ("Due today", "due today"),
        ("Due tomorrow", "due tomorrow"),
        ("Closed", "closed"),
    ]
    assert [e.task for e in history_group.submitted] == [submitted]
    assert groups["12P Politics"].marked[0].task == marked
    assert {today, tomorrow, overdue, closed} == {e.task for e in history_group.to_do}


def test_dashboard_shows_returned_work_as_to_do(student, teacher, school_class):
    task = TaskFactory(owner=teacher, classes=[school_class])
    SubmissionFactory(task=task, student=student, status="returned", attempt=2)
    (group,) = student_dashboard(student=student)
    assert [(e.task, e.cue) for e in group.to_do] == [(task, "returned")]


def test_dashboard_lists_a_task_of_two_of_the_student_s_classes_once(student, teacher):
    first = SchoolClassFactory(name="A", teachers=[teacher], students=[student])
    second = SchoolClassFactory(name="B", teachers=[teacher], students=[student])
    TaskFactory(owner=teacher, classes=[first, second])
    groups = student_dashboard(student=student)
    assert [len(g.to_do) for g in groups] == [1, 0]


def test_dashboard_cues_use_the_school_s_time_zone(student, teacher, school_class, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    # 23:30 in London on the 27th is already the 28th in Tokyo, where the task is due.
    now = datetime(2025, 11, 27, 23, 30, tzinfo=UTC)
    TaskFactory(
        owner=teacher,
        classes=[school_class],
        opens_at=now - timedelta(days=1),
        due_at=datetime(2025, 11, 28, 8, 0, tzinfo=UTC),
    )
    (group,) = student_dashboard(student=student, now=now)
    assert group.to_do[0].cue == "due today"
