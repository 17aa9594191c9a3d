"""Marking services: marks against both kinds of scheme, ranges, conflicts, return, release,
the overview, anonymity, the mark book and its CSV, statistics and the comment bank."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import F

from lessons.models import Answer, AnswerRevision, CommentBankEntry, Question, Submission
from lessons.services import marking
from lessons.services.marking import MarkingConflict, MarkingError

from .factories import (
    AnswerFactory,
    IndicativePointFactory,
    QuestionFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    SubmittedSubmissionFactory,
    TaskFactory,
    TeacherFactory,
    make_levels_question,
    make_points_question,
)


@pytest.fixture
def task(teacher, school_class):
    return TaskFactory(owner=teacher, classes=[school_class], title="The Great Leap Forward")


@pytest.fixture
def points_q(task):
    return make_points_question(task=task)


@pytest.fixture
def levels_q(task):
    return make_levels_question(task=task)


def submit_work(task, student, questions, **submission):
    """A submission with an answer to each question."""
    sub = SubmittedSubmissionFactory(task=task, student=student, **submission)
    return sub, [AnswerFactory(submission=sub, question=q) for q in questions]


@pytest.fixture
def work(task, student, points_q, levels_q):
    sub, (points_answer, levels_answer) = submit_work(task, student, [points_q, levels_q])
    return sub, points_answer, levels_answer


def point_ids(question):
    return [p.id for p in question.indicative_points.all()]


def level(question, number):
    return question.levels.get(number=number)


def mark(answer, teacher, **kwargs):
    kwargs.setdefault("base_marking_version", answer.marking_version)
    return marking.mark_answer(answer=answer, marker=teacher, **kwargs)


# Points schemes


def test_a_points_mark_is_the_sum_of_the_credited_points_capped_at_the_maximum(points_q):
    points = list(points_q.indicative_points.all())
    assert marking.compute_points_mark(question=points_q, credited_points=[]) == 0
    assert marking.compute_points_mark(question=points_q, credited_points=points[:1]) == 1
    assert marking.compute_points_mark(question=points_q, credited_points=points) == 2


def test_points_worth_more_than_one_mark_add_up(task):
    question = QuestionFactory(task=task, max_marks=5)
    big = IndicativePointFactory(question=question, marks=3)
    small = IndicativePointFactory(question=question, marks=1)
    assert marking.compute_points_mark(question=question, credited_points=[big, small]) == 4
    assert marking.compute_points_mark(question=question, credited_points=[big, big]) == 5


def test_ticking_points_gives_their_total(work, teacher, points_q):
    _, answer, _ = work
    saved = mark(answer, teacher, credited_point_ids=point_ids(points_q), feedback="Two aims.")
    assert saved.mark == 2
    assert set(saved.credited_points.values_list("id", flat=True)) == set(point_ids(points_q))
    assert saved.feedback == "Two aims."
    assert saved.marker == teacher
    assert saved.marking_version == 1
    assert saved.marked_scheme_version == points_q.scheme_version


def test_feedback_alone_leaves_the_answer_unmarked(work, teacher):
    _, answer, _ = work
    saved = mark(answer, teacher, feedback="Started: come back to this.")
    assert saved.mark is None and not saved.is_marked
    assert saved.feedback == "Started: come back to this."


def test_a_mark_of_zero_with_nothing_ticked_is_a_mark(work, teacher):
    _, answer, _ = work
    saved = mark(answer, teacher, mark=0)
    assert saved.mark == 0 and saved.is_marked


def test_an_adjusted_points_mark_needs_a_reason(work, teacher, points_q):
    _, answer, _ = work
    first = point_ids(points_q)[:1]
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, credited_point_ids=first, mark=2)
    assert refused.value.field == "adjustment_reason"
    assert "ticked points add up to 1" in refused.value.message
    answer.refresh_from_db()
    assert answer.mark is None and answer.marking_version == 0
    saved = mark(
        answer, teacher, credited_point_ids=first, mark=2, adjustment_reason="Another valid aim."
    )
    assert saved.mark == 2
    assert saved.mark_adjustment_reason == "Another valid aim."


def test_a_mark_equal_to_the_ticked_total_needs_no_reason(work, teacher, points_q):
    _, answer, _ = work
    saved = mark(answer, teacher, credited_point_ids=point_ids(points_q)[:1], mark=1)
    assert saved.mark == 1


@pytest.mark.parametrize("bad", [-1, 3, 100])
def test_a_mark_outside_zero_to_the_maximum_is_refused(work, teacher, bad):
    _, answer, _ = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, mark=bad, adjustment_reason="because")
    assert refused.value.field == "mark"
    assert refused.value.message == "The mark must be between 0 and 2."
    answer.refresh_from_db()
    assert answer.mark is None


def test_a_point_of_another_question_is_refused(work, teacher, task):
    _, answer, _ = work
    other = make_points_question(task=task)
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, credited_point_ids=point_ids(other)[:1])
    assert refused.value.field == "credited_points"
    assert not answer.credited_points.exists()


def test_a_level_on_a_points_question_is_refused(work, teacher, levels_q):
    _, answer, _ = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, level_id=level(levels_q, 1).id, mark=1)
    assert refused.value.field == "level"


# Levels schemes


def test_a_level_and_a_mark_within_it(work, teacher, levels_q):
    _, _, answer = work
    saved = mark(answer, teacher, level_id=level(levels_q, 2).id, mark=4)
    assert saved.mark == 4 and saved.level.number == 2


@pytest.mark.parametrize("bad_mark", [2, 5, 6])
def test_a_mark_outside_the_chosen_level_is_refused(work, teacher, levels_q, bad_mark):
    _, _, answer = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, level_id=level(levels_q, 2).id, mark=bad_mark)
    assert refused.value.field == "mark"
    assert refused.value.message == (
        "A Level 2 answer earns 3–4 marks: choose a mark in that range."
    )
    answer.refresh_from_db()
    assert answer.mark is None and answer.level is None


def test_a_levels_mark_needs_its_level(work, teacher):
    _, _, answer = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, mark=3)
    assert refused.value.field == "level"


def test_zero_below_the_lowest_level_needs_no_level(work, teacher):
    _, _, answer = work
    saved = mark(answer, teacher, mark=0, feedback="Nothing creditable yet.")
    assert saved.mark == 0 and saved.level is None


def test_a_level_chosen_before_its_mark_is_kept_but_not_marked(work, teacher, levels_q):
    _, _, answer = work
    saved = mark(answer, teacher, level_id=level(levels_q, 3).id)
    assert saved.level.number == 3 and saved.mark is None and not saved.is_marked


def test_a_level_of_another_question_is_refused(work, teacher, task):
    _, _, answer = work
    other = make_levels_question(task=task)
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, level_id=level(other, 1).id, mark=1)
    assert refused.value.field == "level"


def test_points_on_a_levels_question_are_refused(work, teacher, points_q):
    _, _, answer = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, credited_point_ids=point_ids(points_q)[:1])
    assert refused.value.field == "credited_points"


# Versions and conflicts


def test_a_second_marker_on_a_stale_version_is_refused_with_the_saved_marking(
    work, teacher, points_q
):
    _, answer, _ = work
    colleague = TeacherFactory(full_name="Mr Colleague")
    mark(answer, colleague, base_marking_version=0, mark=1, adjustment_reason="r", feedback="A")
    with pytest.raises(MarkingConflict) as refused:
        mark(answer, teacher, base_marking_version=0, mark=0, feedback="B")
    conflict = refused.value
    assert conflict.kind == "marking" and conflict.can_overwrite
    assert conflict.current.feedback == "A" and conflict.current.mark == 1
    assert "Mr Colleague saved marking for this answer" in conflict.message
    answer.refresh_from_db()
    assert answer.feedback == "A" and answer.marking_version == 1
    # Keeping one's own: a save based on the version now saved.
    saved = mark(answer, teacher, base_marking_version=1, mark=0, feedback="B")
    assert saved.feedback == "B" and saved.marking_version == 2


def test_saving_the_same_marking_again_does_not_move_the_version(work, teacher, points_q):
    _, answer, _ = work
    ids = point_ids(points_q)[:1]
    mark(answer, teacher, credited_point_ids=ids, feedback="Same")
    again = mark(answer, teacher, base_marking_version=1, credited_point_ids=ids, feedback="Same")
    assert again.marking_version == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Submission.Status.IN_PROGRESS, "has not been submitted yet"),
        (Submission.Status.RETURNED, "returned to the student for another attempt"),
    ],
)
def test_work_that_is_not_submitted_cannot_be_marked(work, teacher, status, words):
    submission, answer, _ = work
    Submission.objects.filter(pk=submission.pk).update(status=status)
    with pytest.raises(MarkingConflict) as refused:
        mark(answer, teacher, mark=0)
    assert refused.value.kind == "status"
    assert words in refused.value.message
    assert not refused.value.can_overwrite
    answer.refresh_from_db()
    assert answer.mark is None


def test_marking_an_answer_changed_since_the_page_loaded_is_refused(work, teacher):
    _, answer, _ = work
    loaded_version = answer.version
    Answer.objects.filter(pk=answer.pk).update(version=F("version") + 1, text="New attempt")
    with pytest.raises(MarkingConflict) as refused:
        mark(answer, teacher, mark=0, answer_version=loaded_version)
    assert refused.value.kind == "answer"
    assert Answer.objects.get(pk=answer.pk).mark is None


def test_marking_against_a_scheme_changed_since_the_page_loaded_is_refused(work, teacher, points_q):
    _, answer, _ = work
    Question.objects.filter(pk=points_q.pk).update(scheme_version=F("scheme_version") + 1)
    with pytest.raises(MarkingConflict) as refused:
        mark(answer, teacher, mark=0, scheme_version=1)
    assert refused.value.kind == "scheme"


def test_a_changed_scheme_flags_the_mark_for_re_marking(work, teacher, points_q):
    _, answer, _ = work
    mark(answer, teacher, credited_point_ids=point_ids(points_q)[:1])
    Question.objects.filter(pk=points_q.pk).update(scheme_version=F("scheme_version") + 1)
    answer = Answer.objects.select_related("question").get(pk=answer.pk)
    assert answer.needs_remark


def test_marking_time_and_marker_are_recorded(work, teacher):
    _, answer, _ = work
    moment = datetime(2026, 3, 2, 21, 55, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        saved = mark(answer, teacher, mark=0)
    assert saved.marked_at == moment and saved.marker == teacher


def test_the_overall_comment_is_version_checked(work, teacher):
    submission, _, _ = work
    saved = marking.save_overall_feedback(
        submission=submission, marker=teacher, base_feedback_version=0, text="Well argued."
    )
    assert saved.overall_feedback == "Well argued." and saved.feedback_version == 1
    with pytest.raises(MarkingConflict) as refused:
        marking.save_overall_feedback(
            submission=submission, marker=teacher, base_feedback_version=0, text="Other tab"
        )
    assert refused.value.kind == "feedback"
    assert refused.value.current.overall_feedback == "Well argued."
    submission.refresh_from_db()
    assert submission.overall_feedback == "Well argued."


def test_an_overall_comment_on_returned_work_is_refused(work, teacher):
    submission, _, _ = work
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RETURNED)
    with pytest.raises(MarkingConflict):
        marking.save_overall_feedback(
            submission=submission, marker=teacher, base_feedback_version=0, text="x"
        )


def test_overlong_feedback_is_refused(work, teacher):
    _, answer, _ = work
    with pytest.raises(MarkingError) as refused:
        mark(answer, teacher, feedback="x" * (marking.MAX_FEEDBACK_CHARS + 1))
    assert refused.value.field == "feedback"


# Release


def fully_mark(answers, teacher):
    for answer in answers:
        question = answer.question
        if question.is_points:
            mark(answer, teacher, credited_point_ids=point_ids(question)[:1])
        else:
            mark(answer, teacher, level_id=level(question, 1).id, mark=1)


def test_release_only_the_fully_marked_work(task, teacher, points_q, levels_q):
    done, done_answers = submit_work(task, StudentFactory(), [points_q, levels_q])
    half, half_answers = submit_work(task, StudentFactory(), [points_q, levels_q])
    SubmissionFactory(task=task, student=StudentFactory())  # in progress
    fully_mark(done_answers, teacher)
    fully_mark(half_answers[:1], teacher)
    summary = marking.release_summary(task=task)
    assert (summary.submitted, summary.fully_marked, summary.waiting) == (2, 1, 2)

    assert marking.release_marks(task=task, only_fully_marked=True) == 1
    done.refresh_from_db()
    half.refresh_from_db()
    assert done.is_released and not half.is_released

    assert marking.release_marks(task=task, only_fully_marked=False) == 1
    half.refresh_from_db()
    assert half.is_released
    assert not task.submissions.filter(status=Submission.Status.IN_PROGRESS)[0].is_released


def test_work_needing_re_marking_is_not_fully_marked(task, teacher, points_q, levels_q):
    sub, answers = submit_work(task, StudentFactory(), [points_q, levels_q])
    fully_mark(answers, teacher)
    Question.objects.filter(pk=points_q.pk).update(scheme_version=F("scheme_version") + 1)
    assert marking.release_marks(task=task, only_fully_marked=True) == 0


def test_a_missing_answer_makes_work_not_fully_marked(task, teacher, points_q, levels_q):
    sub, answers = submit_work(task, StudentFactory(), [points_q])
    fully_mark(answers, teacher)
    assert not marking.fully_marked_submissions(task=task).exists()


# Return


def test_a_return_needs_a_note_and_submitted_work(work, teacher):
    submission, _, _ = work
    with pytest.raises(MarkingError) as refused:
        marking.return_for_another_attempt(submission=submission, teacher=teacher, note="  ")
    assert refused.value.field == "note"
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.IN_PROGRESS)
    with pytest.raises(MarkingError) as refused:
        marking.return_for_another_attempt(submission=submission, teacher=teacher, note="Redo")
    assert "Only submitted work can be returned" in refused.value.message


def test_returning_keeps_the_marks_in_the_history_and_refuses_stale_marking(
    work, teacher, points_q
):
    pytest.importorskip(
        "lessons.services.answering", reason="reopen_for_another_attempt is the answering area's"
    )
    submission, answer, _ = work
    mark(answer, teacher, credited_point_ids=point_ids(points_q)[:1], feedback="Add a second aim.")
    Submission.objects.filter(pk=submission.pk).update(released_at=datetime.now(tz=UTC))
    loaded_version = Answer.objects.get(pk=answer.pk).marking_version

    returned = marking.return_for_another_attempt(
        submission=submission, teacher=teacher, note="Add a second aim, with evidence."
    )
    assert returned.status == Submission.Status.RETURNED
    assert returned.return_note == "Add a second aim, with evidence."
    assert returned.attempt == 2
    assert not returned.is_released
    history = AnswerRevision.objects.get(answer=answer, kind=AnswerRevision.Kind.RETURNED)
    assert history.mark == 1 and history.feedback == "Add a second aim."
    # A marking page opened before the return cannot mark the new attempt.
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.SUBMITTED)
    with pytest.raises(MarkingConflict):
        mark(answer, teacher, base_marking_version=loaded_version, mark=0)


# The overview and anonymity


def test_the_overview_gives_each_student_a_state(task, teacher, school_class, points_q):
    students = {name: StudentFactory(full_name=name) for name in "ABCDEF"}
    for student in students.values():
        school_class.enrolments.create(student=student)
    SubmissionFactory(task=task, student=students["B"])
    _, late_answers = submit_work(task, students["C"], [points_q], is_late=True)
    submit_work(task, students["D"], [points_q])
    SubmissionFactory(task=task, student=students["E"], status=Submission.Status.RETURNED)
    _, done = submit_work(task, students["F"], [points_q], is_late=True)
    fully_mark(done, teacher)

    overview = marking.task_overview(task=task)
    states = {row.student.full_name: row.state for row in overview.rows}
    assert states == {
        "A": "not_started",
        "B": "in_progress",
        "C": "late",
        "D": "submitted",
        "E": "returned",
        "F": "marked",
        "Sam Student": "not_started",
    }
    counts = {state: n for state, _, n in overview.counts}
    assert counts == {
        "not_started": 2,
        "in_progress": 1,
        "submitted": 1,
        "late": 1,
        "returned": 1,
        "marked": 1,
    }


def test_anonymous_numbers_follow_the_order_students_started_and_never_change(
    task, school_class, points_q
):
    task.anonymous_marking = True
    task.save()
    first, _ = submit_work(task, StudentFactory(full_name="Zed"), [points_q])
    second, _ = submit_work(task, StudentFactory(full_name="Amy"), [points_q])
    queue, numbers = marking.marking_queue_with_numbers(task=task)
    assert [entry.label for entry in queue] == ["Student 1", "Student 2"]
    assert numbers == {first.id: 1, second.id: 2}
    submit_work(task, StudentFactory(full_name="Bea"), [points_q])
    _, later = marking.marking_queue_with_numbers(task=task)
    assert later[first.id] == 1 and later[second.id] == 2


def test_without_anonymity_work_is_marked_in_name_order(task, points_q):
    submit_work(task, StudentFactory(full_name="Zed"), [points_q])
    submit_work(task, StudentFactory(full_name="Amy"), [points_q])
    queue, _ = marking.marking_queue_with_numbers(task=task)
    assert [entry.label for entry in queue] == ["Amy", "Zed"]


# Released results


def test_results_are_none_before_release_and_complete_after(work, teacher, points_q, levels_q):
    submission, points_answer, levels_answer = work
    mark(points_answer, teacher, credited_point_ids=point_ids(points_q)[:1], feedback="One aim.")
    mark(levels_answer, teacher, level_id=level(levels_q, 2).id, mark=3)
    assert marking.released_results(submission=submission) is None
    marking.release_marks(task=submission.task, only_fully_marked=True)
    submission.refresh_from_db()
    results = marking.released_results(submission=submission)
    assert [row.mark for row in results.rows] == [1, 3]
    assert (results.total, results.max_total) == (4, 8)
    assert results.rows[0].answer.feedback == "One aim."


# The mark book


@pytest.fixture
def book_data(task, teacher, school_class, student, points_q, levels_q):
    ada = StudentFactory(username="ada", full_name='=HYPERLINK("http://evil")')
    school_class.enrolments.create(student=ada)
    _, answers = submit_work(task, student, [points_q, levels_q])
    fully_mark(answers, teacher)  # 1 + 1 of 8
    submit_work(task, ada, [points_q, levels_q])
    second = TaskFactory(owner=teacher, classes=[school_class], title="+Second task")
    make_points_question(task=second)
    TaskFactory(owner=teacher, classes=[school_class], status="draft", title="Draft")
    return task, second


def test_the_mark_book_has_students_by_tasks(book_data, school_class, student):
    task, second = book_data
    book = marking.markbook(school_class=school_class)
    assert [column.task for column in book.tasks] == sorted(
        [task, second], key=lambda t: (t.due_at, t.id)
    )
    sam = next(row for row in book.rows if row.student == student)
    cell = sam.cells[[c.task for c in book.tasks].index(task)]
    assert (cell.total, cell.percent, cell.state) == (2, 25, "marked")
    other = sam.cells[[c.task for c in book.tasks].index(second)]
    assert (other.total, other.percent, other.state) == (None, None, "not_started")


def test_the_mark_book_table_is_escaped_for_spreadsheets(book_data, school_class):
    table = marking.markbook_table(marking.markbook(school_class=school_class))
    header, *rows = table
    assert header[:2] == ["Student", "Username"]
    assert any(cell.startswith("'+Second task") for cell in header)
    assert len(rows) == 2
    names = [row[0] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in names


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Plain", "Plain"),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_made_text(value, safe):
    assert marking.spreadsheet_safe(value) == safe


# Statistics


def test_statistics_give_the_mean_the_distribution_and_the_points_most_missed(
    task, teacher, points_q, levels_q
):
    first, second, third = point_ids(points_q)
    for credited, level_number, level_mark in [
        ([first], 1, 1),
        ([first, second], 2, 3),
        ([first], 2, 4),
    ]:
        _, (pa, la) = submit_work(task, StudentFactory(), [points_q, levels_q])
        mark(pa, teacher, credited_point_ids=credited)
        mark(la, teacher, level_id=level(levels_q, level_number).id, mark=level_mark)
    submit_work(task, StudentFactory(), [points_q, levels_q])  # not marked: not counted

    stats = marking.task_statistics(task=task)
    points_stats, levels_stats = stats
    assert points_stats.marked == 3
    assert points_stats.mean == pytest.approx(4 / 3)
    assert points_stats.distribution == [(0, 0), (1, 2), (2, 1)]
    missed = {s.point.id: s.missed for s in points_stats.points}
    assert missed == {first: 0, second: 2, third: 3}
    assert points_stats.points[0].point.id == third
    assert levels_stats.mean == pytest.approx(8 / 3)
    assert [(lvl.number, n) for lvl, n in levels_stats.levels] == [(1, 1), (2, 2), (3, 0)]
    reteach = marking.reteach_list(stats)
    assert [point.point.id for _, point in reteach] == [third, second]


# The comment bank


def test_the_comment_bank_keeps_a_text_once_and_counts_uses(teacher):
    entry = marking.add_comment(teacher=teacher, text="  Use a quotation.  ")
    assert entry.text == "Use a quotation."
    assert marking.add_comment(teacher=teacher, text="Use a quotation.") == entry
    marking.use_comment(entry=entry)
    marking.use_comment(entry=entry)
    entry.refresh_from_db()
    assert entry.use_count == 2
    with pytest.raises(MarkingError):
        marking.add_comment(teacher=teacher, text="   ")
    marking.delete_comment(entry=entry)
    assert not CommentBankEntry.objects.exists()


def test_each_teacher_has_their_own_comment_bank(teacher, outsider_teacher):
    marking.add_comment(teacher=teacher, text="Mine")
    marking.add_comment(teacher=outsider_teacher, text="Theirs")
    assert [c.text for c in marking.comments_for(teacher=teacher)] == ["Mine"]


# Demo data


def test_the_demo_students_answer_and_submit_through_the_answering_services(task, levels_q):
    pytest.importorskip(
        "lessons.services.answering", reason="the demo answers through the answering area"
    )
    from lessons.services.demo import submit_demo_answers

    make_points_question(task=task)
    students = [StudentFactory(), StudentFactory()]
    for student in students:
        SchoolClassFactory(students=[student])
    task.classes.add(*[s.enrolments.get().school_class for s in students])
    assert submit_demo_answers(task=task, students=students) == 2
    assert task.submissions.filter(status=Submission.Status.SUBMITTED).count() == 2
    assert Answer.objects.filter(submission__task=task).exclude(text="").count() == 4
    assert submit_demo_answers(task=task, students=students) == 0


def test_overdue_work_is_flagged_late_in_the_overview(task, student, points_q):
    sub, _ = submit_work(task, student, [points_q], is_late=True)
    sub.submitted_at = task.due_at + timedelta(hours=1)
    sub.save()
    row = next(r for r in marking.task_overview(task=task).rows if r.student == student)
    assert row.state == "late" and row.is_late


@pytest.mark.django_db(transaction=True)
def test_two_markers_saving_at_the_same_moment_never_both_win(task, teacher, student, points_q):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("Row locks between connections are a PostgreSQL matter (SQLite serialises).")
    import threading

    _, (answer,) = submit_work(task, student, [points_q])
    colleague = TeacherFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def save(marker, feedback):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            marking.mark_answer(
                answer=Answer.objects.get(pk=answer.pk),
                marker=marker,
                base_marking_version=0,
                feedback=feedback,
            )
            outcomes.append(("saved", feedback))
        except MarkingConflict:
            outcomes.append(("conflict", feedback))
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=save, args=(teacher, "Mine")),
        threading.Thread(target=save, args=(colleague, "Theirs")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "saved"]
    winner = next(feedback for kind, feedback in outcomes if kind == "saved")
    answer.refresh_from_db()
    assert answer.feedback == winner and answer.marking_version == 1
