"""Marking: marks and feedback against the mark scheme, conflicts, return, release, the
mark book and statistics.

Plain functions with keyword-only arguments, called by the views, management commands and
tests alike. Every write is one transaction and checks the version the marker's page was
based on, so two markers (or two tabs) never silently overwrite each other: a stale save is
refused with MarkingConflict, carrying what is saved now.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from ..models import (
    Answer,
    AnswerRevision,
    CommentBankEntry,
    Enrolment,
    EvidenceLink,
    IndicativePoint,
    KeyEvidence,
    Level,
    Question,
    SchoolClass,
    Submission,
    Task,
    User,
)
from .tasks import scheme_prefetches

MAX_FEEDBACK_CHARS = 10_000
MAX_REASON_CHARS = 1_000
MAX_NOTE_CHARS = 2_000
MAX_COMMENT_CHARS = 2_000


class MarkingError(ValueError):
    """Input the rules refuse; `field` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class MarkingConflict(Exception):
    """The work or its marking changed since the marker's page loaded; nothing was saved.

    kind: "marking" (another marker or tab saved this answer's marking: the marker may keep
    theirs by saving again on top of `current`), "feedback" (the same, for the overall
    comment), "answer" (the student's answer changed), "scheme" (the question's mark scheme
    changed), "status" (the submission was returned, or is not submitted).
    current: the Answer or Submission as saved now.
    """

    def __init__(self, message: str, *, kind: str, current):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.current = current

    @property
    def can_overwrite(self) -> bool:
        return self.kind in ("marking", "feedback")


# Marks


def compute_points_mark(*, question: Question, credited_points: Iterable[IndicativePoint]) -> int:
    """The marks of the credited points, capped at the question's maximum."""
    return min(sum(point.marks for point in credited_points), question.max_marks)


def _not_markable_message(submission: Submission) -> str:
    if submission.status == Submission.Status.RETURNED:
        return (
            "This work was returned to the student for another attempt, so it cannot be "
            "marked until they submit again. Nothing was saved."
        )
    return "This work has not been submitted yet, so it cannot be marked. Nothing was saved."


def _check_range(question: Question, mark: int) -> None:
    if not 0 <= mark <= question.max_marks:
        raise MarkingError(f"The mark must be between 0 and {question.max_marks}.", field="mark")


def _validated_marks(
    *,
    question: Question,
    credited_point_ids: Sequence[int],
    level_id: int | None,
    mark: int | None,
    adjustment_reason: str,
) -> tuple[list[IndicativePoint], Level | None, int | None]:
    """(credited points, level, mark) as they will be stored, or MarkingError."""
    if mark is not None:
        _check_range(question, mark)
    if question.is_points:
        if level_id is not None:
            raise MarkingError("This question has a points-based mark scheme.", field="level")
        by_id = {point.id: point for point in question.indicative_points.all()}
        unknown = [pk for pk in credited_point_ids if pk not in by_id]
        if unknown:
            raise MarkingError(
                "That point is not in this question's mark scheme. Reload the page.",
                field="credited_points",
            )
        points = [by_id[pk] for pk in dict.fromkeys(credited_point_ids)]
        computed = compute_points_mark(question=question, credited_points=points)
        if mark is None:
            # Nothing ticked and no mark typed: not marked yet (feedback alone may be saved).
            return points, None, computed if points else None
        if mark != computed and not adjustment_reason.strip():
            raise MarkingError(
                f"Give a reason for a mark of {mark} when the ticked points add up to {computed}.",
                field="adjustment_reason",
            )
        return points, None, mark

    if credited_point_ids:
        raise MarkingError(
            "This question has a levels-based mark scheme: choose a level, not points.",
            field="credited_points",
        )
    levels = {level.id: level for level in question.levels.all()}
    if level_id is None:
        if mark is None:
            return [], None, None
        if any(level.contains(mark) for level in levels.values()):
            raise MarkingError("Choose the level this answer is at.", field="level")
        # A mark in no level: only 0 when the lowest level starts at 1 (nothing creditable).
        return [], None, mark
    level = levels.get(level_id)
    if level is None:
        raise MarkingError(
            "That level is not in this question's mark scheme. Reload the page.", field="level"
        )
    if mark is not None and not level.contains(mark):
        raise MarkingError(
            f"A Level {level.number} answer earns {level.min_marks}–{level.max_marks} marks: "
            f"choose a mark in that range.",
            field="mark",
        )
    # A level with no mark yet is kept (the marker chose the level first); not marked yet.
    return [], level, mark


@transaction.atomic
def mark_answer(
    *,
    answer: Answer,
    marker: User,
    base_marking_version: int,
    credited_point_ids: Sequence[int] = (),
    level_id: int | None = None,
    mark: int | None = None,
    adjustment_reason: str = "",
    feedback: str = "",
    answer_version: int | None = None,
    scheme_version: int | None = None,
    now: datetime | None = None,
) -> Answer:
    """Save the marking of one answer: credited points or level, mark, reason, feedback.

    The whole marking is given each time (the marking form sends all of it). Refused with
    MarkingConflict when the marking moved on from base_marking_version, the student's
    answer from answer_version, the scheme from scheme_version, or the submission is not
    submitted; with MarkingError when a value breaks the mark scheme's rules. Saving what is
    already saved changes nothing (no new version, so no conflict for another marker).
    """
    now = now or timezone.now()
    locked = (
        Answer.objects.select_for_update(of=("self",))
        .select_related("submission", "question")
        .get(pk=answer.pk)
    )
    question = Question.objects.prefetch_related("indicative_points", "levels").get(
        pk=locked.question_id
    )
    submission = locked.submission
    if submission.status != Submission.Status.SUBMITTED:
        raise MarkingConflict(_not_markable_message(submission), kind="status", current=locked)
    if answer_version is not None and answer_version != locked.version:
        raise MarkingConflict(
            "The student's answer changed since you opened this page (it was returned and "
            "submitted again). Nothing was saved: reload to mark the new answer.",
            kind="answer",
            current=locked,
        )
    if scheme_version is not None and scheme_version != question.scheme_version:
        raise MarkingConflict(
            "The mark scheme of this question changed since you opened this page. Nothing "
            "was saved: reload to mark against the new scheme.",
            kind="scheme",
            current=locked,
        )
    if locked.marking_version != base_marking_version:
        who = locked.marker.display_name if locked.marker_id else "Someone"
        raise MarkingConflict(
            f"{who} saved marking for this answer after you opened it. Nothing of yours was "
            "saved yet: compare, then keep yours or use theirs.",
            kind="marking",
            current=locked,
        )
    if len(feedback) > MAX_FEEDBACK_CHARS:
        raise MarkingError(
            f"Feedback can be at most {MAX_FEEDBACK_CHARS:,} characters.", field="feedback"
        )
    if len(adjustment_reason) > MAX_REASON_CHARS:
        raise MarkingError(
            f"The reason can be at most {MAX_REASON_CHARS:,} characters.",
            field="adjustment_reason",
        )
    points, level, mark = _validated_marks(
        question=question,
        credited_point_ids=list(credited_point_ids),
        level_id=level_id,
        mark=mark,
        adjustment_reason=adjustment_reason,
    )
    point_ids = {point.id for point in points}
    unchanged = (
        set(locked.credited_points.values_list("id", flat=True)) == point_ids
        and locked.level_id == (level.id if level else None)
        and locked.mark == mark
        and locked.mark_adjustment_reason == adjustment_reason
        and locked.feedback == feedback
        and (mark is None or locked.marked_scheme_version == question.scheme_version)
    )
    if unchanged:
        return locked
    locked.level = level
    locked.mark = mark
    locked.mark_adjustment_reason = adjustment_reason
    locked.feedback = feedback
    locked.marker = marker
    locked.marked_at = now
    locked.marked_scheme_version = question.scheme_version if mark is not None else None
    locked.marking_version = locked.marking_version + 1
    locked.save(
        update_fields=[
            "level",
            "mark",
            "mark_adjustment_reason",
            "feedback",
            "marker",
            "marked_at",
            "marked_scheme_version",
            "marking_version",
        ]
    )
    locked.credited_points.set(points)
    return locked


@transaction.atomic
def save_overall_feedback(
    *, submission: Submission, marker: User, base_feedback_version: int, text: str
) -> Submission:
    """The overall comment on a submission, version-checked like an answer's marking."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.Status.SUBMITTED:
        raise MarkingConflict(_not_markable_message(locked), kind="status", current=locked)
    if locked.feedback_version != base_feedback_version:
        raise MarkingConflict(
            "Someone else saved the overall comment after you opened this page. Nothing of "
            "yours was saved yet: compare, then keep yours or use theirs.",
            kind="feedback",
            current=locked,
        )
    if len(text) > MAX_FEEDBACK_CHARS:
        raise MarkingError(
            f"The comment can be at most {MAX_FEEDBACK_CHARS:,} characters.",
            field="overall_feedback",
        )
    if locked.overall_feedback == text:
        return locked
    locked.overall_feedback = text
    locked.feedback_version = locked.feedback_version + 1
    locked.save(update_fields=["overall_feedback", "feedback_version", "updated_at"])
    return locked


# Return and release


@transaction.atomic
def return_for_another_attempt(*, submission: Submission, teacher: User, note: str) -> Submission:
    """Give submitted work back to the student to improve, with a note saying what to do.

    The answering area's reopen_for_another_attempt keeps the marks given so far in the
    answers' history and makes the answers editable again. Marking pages opened before the
    return are refused afterwards (the marking versions move on), and the return withdraws
    any release: the student sees marks again only when the new attempt is released.
    """
    note = note.strip()
    if not note:
        raise MarkingError("Write a note telling the student what to improve.", field="note")
    if len(note) > MAX_NOTE_CHARS:
        raise MarkingError(f"The note can be at most {MAX_NOTE_CHARS:,} characters.", field="note")
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.Status.SUBMITTED:
        raise MarkingError(
            "Only submitted work can be returned for another attempt; this is "
            f"{locked.get_status_display().lower()}.",
            field="note",
        )
    # Owned by the answering area (lessons/services/answering.py).
    from .answering import reopen_for_another_attempt

    reopen_for_another_attempt(submission=locked, note=note, teacher=teacher)
    Answer.objects.filter(submission=locked).update(marking_version=F("marking_version") + 1)
    Submission.objects.filter(pk=locked.pk).update(
        released_at=None, feedback_version=F("feedback_version") + 1
    )
    locked.refresh_from_db()
    return locked


def _current_mark() -> Q:
    """An answer marked under its question's current mark scheme (prefix: answers__)."""
    return Q(answers__mark__isnull=False) & Q(
        answers__marked_scheme_version=F("answers__question__scheme_version")
    )


def with_marking_counts(submissions: QuerySet) -> QuerySet:
    """Submissions with marked_count (current marks), remark_count and total_mark."""
    stale = Q(answers__mark__isnull=False) & ~Q(
        answers__marked_scheme_version=F("answers__question__scheme_version")
    )
    return submissions.annotate(
        marked_count=Count("answers", filter=_current_mark(), distinct=True),
        remark_count=Count("answers", filter=stale, distinct=True),
        total_mark=Sum("answers__mark"),
    )


def fully_marked_submissions(*, task: Task) -> QuerySet:
    """Submitted work with every question marked under the current mark scheme."""
    question_count = task.questions.count()
    return with_marking_counts(
        Submission.objects.filter(task=task, status=Submission.Status.SUBMITTED)
    ).filter(marked_count=question_count, remark_count=0)


@transaction.atomic
def release_marks(*, task: Task, only_fully_marked: bool, now: datetime | None = None) -> int:
    """Let students see their marks and feedback: all submitted work, or only the fully
    marked. Returns how many submissions were released now."""
    now = now or timezone.now()
    pending = Submission.objects.filter(
        task=task, status=Submission.Status.SUBMITTED, released_at__isnull=True
    )
    if only_fully_marked:
        pending = pending.filter(id__in=fully_marked_submissions(task=task).values("id"))
    return pending.update(released_at=now)


@dataclass
class ReleaseSummary:
    submitted: int
    fully_marked: int
    released: int
    waiting_fully_marked: int  # fully marked, not yet released
    waiting: int  # submitted, not yet released


def release_summary(*, task: Task) -> ReleaseSummary:
    """What a release would do, for the confirmation page."""
    question_count = task.questions.count()
    rows = list(
        with_marking_counts(
            Submission.objects.filter(task=task, status=Submission.Status.SUBMITTED)
        ).values_list("marked_count", "remark_count", "released_at")
    )
    full = [r for r in rows if r[0] == question_count and r[1] == 0]
    return ReleaseSummary(
        submitted=len(rows),
        fully_marked=len(full),
        released=sum(1 for r in rows if r[2] is not None),
        waiting_fully_marked=sum(1 for r in full if r[2] is None),
        waiting=sum(1 for r in rows if r[2] is None),
    )


def set_anonymous_marking(*, task: Task, anonymous: bool) -> Task:
    """Hide students' names while marking this task, or reveal them."""
    Task.objects.filter(pk=task.pk).update(anonymous_marking=anonymous)
    task.anonymous_marking = anonymous
    return task


# Comment bank


def add_comment(*, teacher: User, text: str) -> CommentBankEntry:
    """Save a comment to the teacher's bank (the same text twice is kept once)."""
    text = text.strip()
    if not text:
        raise MarkingError("Write the comment to save.", field="text")
    if len(text) > MAX_COMMENT_CHARS:
        raise MarkingError(
            f"A comment can be at most {MAX_COMMENT_CHARS:,} characters.", field="text"
        )
    entry, _ = CommentBankEntry.objects.get_or_create(teacher=teacher, text=text)
    return entry


def use_comment(*, entry: CommentBankEntry) -> None:
    """Count a use, so the most used comments come first."""
    CommentBankEntry.objects.filter(pk=entry.pk).update(use_count=F("use_count") + 1)


def delete_comment(*, entry: CommentBankEntry) -> None:
    entry.delete()


def comments_for(*, teacher: User) -> list[CommentBankEntry]:
    return list(CommentBankEntry.objects.filter(teacher=teacher).order_by("-use_count", "id"))


# The task overview


STATE_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "late": "Submitted late",
    "returned": "Returned",
    "marked": "Marked",
}


def submission_state(submission: Submission | None, question_count: int) -> str:
    """not_started, in_progress, submitted, late, returned or marked (fully marked)."""
    if submission is None:
        return "not_started"
    if submission.status == Submission.Status.IN_PROGRESS:
        return "in_progress"
    if submission.status == Submission.Status.RETURNED:
        return "returned"
    marked = getattr(submission, "marked_count", None)
    remark = getattr(submission, "remark_count", 0)
    if question_count and marked == question_count and not remark:
        return "marked"
    return "late" if submission.is_late else "submitted"


def anonymous_label(number: int) -> str:
    return f"Student {number}"


@dataclass
class StudentRow:
    """One student's line of the task overview."""

    student: User
    submission: Submission | None
    number: int | None  # the anonymous number, once the student has started
    state: str
    question_count: int

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def marked_count(self) -> int:
        return getattr(self.submission, "marked_count", 0) or 0

    @property
    def remark_count(self) -> int:
        return getattr(self.submission, "remark_count", 0) or 0

    @property
    def total_mark(self) -> int | None:
        return getattr(self.submission, "total_mark", None)

    @property
    def is_released(self) -> bool:
        return bool(self.submission and self.submission.is_released)

    @property
    def is_late(self) -> bool:
        return bool(self.submission and self.submission.is_late)


@dataclass
class Overview:
    task: Task
    rows: list[StudentRow]
    question_count: int
    max_total: int
    anonymous: bool
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    released: int = 0
    not_started_hidden: int = 0  # anonymous: students not started, listed only as a count
    # Which page of the students the rows are (one page holds everyone without paging).
    page: int = 1
    pages: int = 1
    student_count: int = 0
    first: int = 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    @property
    def submitted(self) -> int:
        return sum(n for state, _, n in self.counts if state in ("submitted", "late", "marked"))


def _student_sort_key(student: User) -> tuple:
    return (student.display_name.casefold(), student.username)


def anonymous_numbers(submissions: Iterable[Submission]) -> dict[int, int]:
    """Submission id → "Student N" number, stable for the task: in the order the students
    started (a later start never renumbers an earlier one)."""
    ids = sorted(submission.id for submission in submissions)
    return {pk: number for number, pk in enumerate(ids, start=1)}


# Students per page of the task overview: a page costs the same for 30 or 3,000 students.
OVERVIEW_PAGE_SIZE = 100

_OVERVIEW_FIELDS = ("id", "student_id", "status", "is_late", "released_at")


def _display_key(pk, username, full_name, first_name, last_name) -> tuple:
    """_student_sort_key from plain values, without making a User of every student."""
    name = full_name or f"{first_name} {last_name}".strip() or username
    return (name.casefold(), username)


def task_overview(*, task: Task, page: int | None = None, per_page: int | None = None) -> Overview:
    """Every student of the task's classes with their state, and the counts of each state.

    With a page number, the rows are that page of students (the counts are still the
    whole task's); the whole list is read as plain values and only the page's students and
    submissions become objects, so a page costs the same for a class of 30 or of 3,000.
    """
    per_page = per_page or OVERVIEW_PAGE_SIZE
    totals = task.questions.aggregate(count=Count("id"), marks=Sum("max_marks"))
    question_count = totals["count"]
    states = list(
        with_marking_counts(task.submissions.all())
        .order_by("id")
        .values(*_OVERVIEW_FIELDS, "marked_count", "remark_count")
    )
    numbers = {values["id"]: number for number, values in enumerate(states, start=1)}
    by_student = {values["student_id"]: values for values in states}
    enrolled = Enrolment.objects.filter(
        school_class__in=task.classes.all(), student__role=User.Role.STUDENT
    ).values("student_id")
    # Someone who left the class after starting keeps their work in the overview.
    people = User.objects.filter(
        Q(id__in=enrolled) | Q(id__in=task.submissions.values("student_id"))
    ).values_list("id", "username", "full_name", "first_name", "last_name")
    entries = []
    for person in people:
        values = by_student.get(person[0])
        state = submission_state(SimpleNamespace(**values) if values else None, question_count)
        number = numbers[values["id"]] if values else None
        entries.append((person, values, number, state))
    anonymous = task.anonymous_marking
    if anonymous:
        entries.sort(key=lambda entry: (entry[2] is None, entry[2] or 0))
    else:
        entries.sort(key=lambda entry: _display_key(*entry[0]))
    counter = Counter(entry[3] for entry in entries)
    overview = Overview(
        task=task,
        rows=[],
        question_count=question_count,
        max_total=totals["marks"] or 0,
        anonymous=anonymous,
        counts=[(state, label, counter.get(state, 0)) for state, label in STATE_LABELS.items()],
        released=sum(1 for entry in entries if entry[1] and entry[1]["released_at"]),
    )
    if anonymous:
        overview.not_started_hidden = counter.get("not_started", 0)
        entries = [entry for entry in entries if entry[1] is not None]
    overview.student_count = len(entries)
    if page is not None:
        overview.pages = max(1, -(-len(entries) // per_page))
        overview.page = min(max(page, 1), overview.pages)
        overview.first = (overview.page - 1) * per_page + 1
        entries = entries[overview.first - 1 : overview.first - 1 + per_page]
    submissions = with_marking_counts(
        Submission.objects.filter(id__in=[entry[1]["id"] for entry in entries if entry[1]])
    ).in_bulk()
    for person, values, number, state in entries:
        pk, username, full_name, first_name, last_name = person
        overview.rows.append(
            StudentRow(
                student=User(
                    id=pk,
                    username=username,
                    full_name=full_name,
                    first_name=first_name,
                    last_name=last_name,
                    role=User.Role.STUDENT,
                ),
                submission=submissions[values["id"]] if values else None,
                number=number,
                state=state,
                question_count=question_count,
            )
        )
    return overview


# Marking pages


QUEUE_FIELDS = (
    "id",
    "task_id",
    "student_id",
    "status",
    "attempt",
    "submitted_at",
    "is_late",
    "released_at",
    "student__id",
    "student__username",
    "student__full_name",
    "student__first_name",
    "student__last_name",
    "student__role",
)


@dataclass
class QueueEntry:
    """A submission in the marking order, with how it is named while marking."""

    submission: Submission
    number: int
    label: str


def marking_queue_with_numbers(*, task: Task) -> tuple[list[QueueEntry], dict[int, int]]:
    """The submitted work of the task in marking order, each named (or numbered, when names
    are hidden) the same way on every marking page; and every submission's number."""
    # Only what a queue shows: a large task's queue is thousands of rows on every page.
    submissions = list(
        task.submissions.select_related("student").only(*QUEUE_FIELDS).order_by("id")
    )
    numbers = anonymous_numbers(submissions)
    submitted = [s for s in submissions if s.status == Submission.Status.SUBMITTED]
    if task.anonymous_marking:
        entries = [QueueEntry(s, numbers[s.id], anonymous_label(numbers[s.id])) for s in submitted]
    else:
        submitted.sort(key=lambda s: _student_sort_key(s.student))
        entries = [QueueEntry(s, numbers[s.id], s.student.display_name) for s in submitted]
    return entries, numbers


def submission_numbers(*, task: Task) -> dict[int, int]:
    """Every submission's anonymous number, as marking_queue_with_numbers gives them,
    without reading the queue itself (for a save, which shows one answer)."""
    return anonymous_numbers(
        SimpleNamespace(id=pk) for pk in task.submissions.order_by().values_list("id", flat=True)
    )


def submitted_count(*, task: Task) -> int:
    """How long the marking queue is."""
    return task.submissions.filter(status=Submission.Status.SUBMITTED).count()


def label_for(*, task: Task, submission: Submission, numbers: dict[int, int]) -> str:
    if task.anonymous_marking:
        return anonymous_label(numbers[submission.id])
    return submission.student.display_name


def answers_for_marking(answers: QuerySet) -> QuerySet:
    """Answers with what a marking card shows, in a constant number of queries."""
    return answers.select_related(
        "submission__student", "submission__task", "question", "level", "marker"
    ).prefetch_related(
        "credited_points",
        Prefetch(
            "revisions",
            queryset=AnswerRevision.objects.order_by("-attempt", "-created_at", "-id"),
        ),
        # The evidence area's "Evidence used" and highlights (services.evidence).
        Prefetch(
            "evidence_links",
            queryset=EvidenceLink.objects.select_related("passage__lesson").order_by(
                "created_at", "id"
            ),
        ),
    )


def questions_for_marking(task: Task) -> list[Question]:
    return list(
        task.questions.order_by("order", "id").prefetch_related(
            *scheme_prefetches(),
            Prefetch("key_evidence", queryset=KeyEvidence.objects.select_related("passage")),
        )
    )


@dataclass
class Progress:
    marked: int
    total: int

    def __str__(self) -> str:
        return f"{self.marked} / {self.total} marked"

    @property
    def done(self) -> bool:
        return self.total > 0 and self.marked >= self.total


def marking_progress(
    *, task: Task, submitted_count: int, question_count: int
) -> tuple[dict[int, Progress], Progress]:
    """Marked answers of submitted work, per question and for the whole task."""
    current = Q(mark__isnull=False) & Q(marked_scheme_version=F("question__scheme_version"))
    rows = (
        Answer.objects.filter(submission__task=task, submission__status=Submission.Status.SUBMITTED)
        .filter(current)
        .order_by()
        .values_list("question_id")
        .annotate(n=Count("id"))
    )
    per_question = {question_id: Progress(n, submitted_count) for question_id, n in rows}
    total = Progress(sum(p.marked for p in per_question.values()), submitted_count * question_count)
    return per_question, total


def submission_marking(*, submission: Submission) -> tuple[int, int]:
    """(answers marked under the current scheme, total of the marks given) of one submission."""
    totals = with_marking_counts(Submission.objects.filter(pk=submission.pk)).values_list(
        "marked_count", "total_mark"
    )
    marked, total = totals.get()
    return marked, total or 0


# Students' released results


@dataclass
class ResultRow:
    number: int
    question: Question
    answer: Answer | None

    @property
    def mark(self) -> int | None:
        return self.answer.mark if self.answer else None

    @property
    def credited_ids(self) -> set[int]:
        if self.answer is None:
            return set()
        return {point.id for point in self.answer.credited_points.all()}


@dataclass
class Results:
    submission: Submission
    rows: list[ResultRow]
    show_mark_scheme: bool

    @property
    def total(self) -> int:
        return sum(row.mark or 0 for row in self.rows)

    @property
    def max_total(self) -> int:
        return sum(row.question.max_marks for row in self.rows)

    @property
    def fully_marked(self) -> bool:
        return all(row.mark is not None for row in self.rows)


def released_results(*, submission: Submission) -> Results | None:
    """A student's marks and feedback, or None before they are released."""
    if submission is None or not submission.is_released:
        return None
    task = submission.task
    questions = task.questions.order_by("order", "id")
    if task.show_mark_scheme:
        questions = questions.prefetch_related(*scheme_prefetches())
    answers = {
        answer.question_id: answer
        for answer in Answer.objects.filter(submission=submission)
        .select_related("level")
        .prefetch_related("credited_points")
    }
    return Results(
        submission=submission,
        rows=[
            ResultRow(number=n, question=q, answer=answers.get(q.id))
            for n, q in enumerate(questions, start=1)
        ],
        show_mark_scheme=task.show_mark_scheme,
    )


# The mark book


@dataclass
class MarkbookCell:
    submission: Submission | None
    state: str
    max_total: int
    question_count: int

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def total(self) -> int | None:
        if self.submission is None or not getattr(self.submission, "marked_count", 0):
            return None
        return self.submission.total_mark or 0

    @property
    def fully_marked(self) -> bool:
        return self.state == "marked"

    @property
    def percent(self) -> int | None:
        """Only for fully marked work: a part-marked total would mislead."""
        if not self.fully_marked or not self.max_total:
            return None
        return round(100 * (self.total or 0) / self.max_total)

    @property
    def is_released(self) -> bool:
        return bool(self.submission and self.submission.is_released)

    @property
    def is_late(self) -> bool:
        return bool(self.submission and self.submission.is_late)


@dataclass
class MarkbookTask:
    task: Task
    max_total: int
    question_count: int
    # Over the whole class, not only the students of the page shown.
    marked: int = 0
    percents: list[int] = field(default_factory=list)

    @property
    def mean_percent(self) -> int | None:
        return round(sum(self.percents) / len(self.percents)) if self.percents else None


@dataclass
class MarkbookRow:
    student: User
    cells: list[MarkbookCell]


# Students per page of the mark book, and per chunk of its CSV export: a page's cost (and
# its queries) is the same for a class of 30 or of 3,000.
MARKBOOK_PAGE_SIZE = 100
MARKBOOK_CSV_CHUNK = 500


@dataclass
class Markbook:
    school_class: SchoolClass
    tasks: list[MarkbookTask]
    rows: list[MarkbookRow]
    page: int = 1
    pages: int = 1
    student_count: int = 0
    first: int = 1  # the position of the page's first student in the class

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def _markbook_columns(school_class: SchoolClass) -> list[MarkbookTask]:
    tasks = (
        Task.objects.filter(classes=school_class)
        .exclude(status=Task.Status.DRAFT)
        .annotate(question_count=Count("questions"), max_total=Sum("questions__max_marks"))
        .order_by("due_at", "id")
    )
    return [
        MarkbookTask(task=t, max_total=t.max_total or 0, question_count=t.question_count)
        for t in tasks
    ]


def _class_students(school_class: SchoolClass) -> list[User]:
    """The class's students in name order, with only what the mark book shows of them.

    Read as plain values (the whole class in one light query) and sorted here, as the
    overview sorts them; the page then reads the work of its own students only.
    """
    values = User.objects.filter(
        role=User.Role.STUDENT, enrolments__school_class=school_class
    ).values_list("id", "username", "full_name", "first_name", "last_name")
    students = [
        User(id=pk, username=username, full_name=full, first_name=first, last_name=last)
        for pk, username, full, first, last in values
    ]
    return sorted(students, key=_student_sort_key)


def _markbook_rows(
    school_class: SchoolClass, columns: list[MarkbookTask], students: Sequence[User]
) -> list[MarkbookRow]:
    submissions = with_marking_counts(
        Submission.objects.filter(
            task__in=[c.task.id for c in columns],
            student__in=[s.id for s in students],
        )
    )
    found = {(s.task_id, s.student_id): s for s in submissions}
    rows = []
    for student in students:
        cells = []
        for column in columns:
            submission = found.get((column.task.id, student.id))
            cells.append(
                MarkbookCell(
                    submission=submission,
                    state=submission_state(submission, column.question_count),
                    max_total=column.max_total,
                    question_count=column.question_count,
                )
            )
        rows.append(MarkbookRow(student=student, cells=cells))
    return rows


def _summarise_columns(school_class: SchoolClass, columns: list[MarkbookTask]) -> None:
    """Each task's fully marked count and percentages over the whole class, from one
    aggregate query of plain values (no page of rows needed)."""
    by_task = {column.task.id: column for column in columns}
    counted = with_marking_counts(
        Submission.objects.filter(
            task__in=list(by_task),
            status=Submission.Status.SUBMITTED,
            student__enrolments__school_class=school_class,
            student__role=User.Role.STUDENT,
        )
    ).values_list("task_id", "marked_count", "remark_count", "total_mark")
    for task_id, marked, remark, total in counted:
        column = by_task[task_id]
        if column.question_count and marked == column.question_count and not remark:
            column.marked += 1
            if column.max_total:
                column.percents.append(round(100 * (total or 0) / column.max_total))


def markbook(
    *, school_class: SchoolClass, page: int | None = None, per_page: int | None = None
) -> Markbook:
    """Students × set tasks of one class: total, percentage and state.

    One page of students (page 1, 2, …; out of range means the nearest page), or every
    student with page=None. The same four queries whatever the size of the class.
    """
    per_page = per_page or MARKBOOK_PAGE_SIZE
    columns = _markbook_columns(school_class)
    students = _class_students(school_class)
    count = len(students)
    pages = max(1, -(-count // per_page))
    first = 0
    if page is not None:
        page = min(max(page, 1), pages)
        first = (page - 1) * per_page
        students = students[first : first + per_page]
    rows = _markbook_rows(school_class, columns, students)
    _summarise_columns(school_class, columns)
    return Markbook(
        school_class=school_class,
        tasks=columns,
        rows=rows,
        page=page or 1,
        pages=pages if page is not None else 1,
        student_count=count,
        first=first + 1,
    )


# Characters a spreadsheet reads as the start of a formula (or that hide one after them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A cell's text that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _markbook_header(columns: list[MarkbookTask]) -> list[str]:
    header = ["Student", "Username"]
    for column in columns:
        title = column.task.title
        header += [
            f"{title}: mark (out of {column.max_total})",
            f"{title}: %",
            f"{title}: state",
        ]
    return header


def _markbook_line(row: MarkbookRow) -> list[str]:
    line = [row.student.display_name, row.student.username]
    for cell in row.cells:
        state = cell.state_label
        if cell.is_late:
            state += " (late)"
        if cell.is_released:
            state += ", released"
        line += [
            "" if cell.total is None else str(cell.total),
            "" if cell.percent is None else str(cell.percent),
            state,
        ]
    return line


def markbook_table(book: Markbook) -> list[list[str]]:
    """The mark book as rows of cells for CSV: a header, then one student per row."""
    table = [_markbook_header(book.tasks)] + [_markbook_line(row) for row in book.rows]
    return [[spreadsheet_safe(value) for value in line] for line in table]


def markbook_table_stream(
    *, school_class: SchoolClass, chunk: int | None = None
) -> Iterator[list[str]]:
    """The whole mark book as CSV rows, read a chunk of students at a time, so that a
    class of thousands is sent as it is read rather than built whole in memory."""
    chunk = chunk or MARKBOOK_CSV_CHUNK
    columns = _markbook_columns(school_class)
    students = _class_students(school_class)
    yield [spreadsheet_safe(value) for value in _markbook_header(columns)]
    for start in range(0, len(students), chunk):
        for row in _markbook_rows(school_class, columns, students[start : start + chunk]):
            yield [spreadsheet_safe(value) for value in _markbook_line(row)]


# Statistics


@dataclass
class PointStat:
    point: IndicativePoint
    credited: int
    marked: int

    @property
    def missed(self) -> int:
        return self.marked - self.credited

    @property
    def missed_percent(self) -> int:
        return round(100 * self.missed / self.marked) if self.marked else 0


@dataclass
class QuestionStats:
    number: int
    question: Question
    marked: int
    mean: float | None
    distribution: list[tuple[int, int]]  # (mark, how many answers earned it)
    levels: list[tuple[Level, int]]
    points: list[PointStat]

    @property
    def most_common(self) -> int:
        return max((n for _, n in self.distribution), default=0)

    @property
    def mean_percent(self) -> int | None:
        if self.mean is None:
            return None
        return round(100 * self.mean / self.question.max_marks)


def task_statistics(*, task: Task) -> list[QuestionStats]:
    """Per question: how many marked, the mean, the distribution of marks, levels reached,
    and for points schemes how often each indicative point was credited."""
    questions = questions_for_marking(task)
    submitted = Q(submission__status=Submission.Status.SUBMITTED, mark__isnull=False)
    marked = Answer.objects.filter(question__task=task).filter(submitted).order_by()
    by_mark: dict[int, Counter] = defaultdict(Counter)
    for question_id, mark, n in marked.values_list("question_id", "mark").annotate(n=Count("id")):
        by_mark[question_id][mark] = n
    by_level = dict(
        marked.filter(level__isnull=False).values_list("level_id").annotate(n=Count("id"))
    )
    credited = dict(
        IndicativePoint.objects.filter(question__task=task)
        .annotate(
            n=Count(
                "credited_in",
                filter=Q(
                    credited_in__submission__status=Submission.Status.SUBMITTED,
                    credited_in__mark__isnull=False,
                ),
            )
        )
        .values_list("id", "n")
    )
    stats = []
    for number, question in enumerate(questions, start=1):
        counts = by_mark.get(question.id, Counter())
        total = sum(counts.values())
        mean = sum(mark * n for mark, n in counts.items()) / total if total else None
        stats.append(
            QuestionStats(
                number=number,
                question=question,
                marked=total,
                mean=mean,
                distribution=[(m, counts.get(m, 0)) for m in range(question.max_marks + 1)],
                levels=[(level, by_level.get(level.id, 0)) for level in question.levels.all()]
                if question.is_levels
                else [],
                points=sorted(
                    (
                        PointStat(point=p, credited=credited.get(p.id, 0), marked=total)
                        for p in question.indicative_points.all()
                    ),
                    key=lambda s: (-s.missed, s.point.order),
                )
                if question.is_points
                else [],
            )
        )
    return stats


def reteach_list(stats: Sequence[QuestionStats]) -> list[tuple[QuestionStats, PointStat]]:
    """Indicative points missed by at least half of the marked answers, most missed first."""
    missed = [
        (stat, point)
        for stat in stats
        for point in stat.points
        if point.marked and point.missed * 2 >= point.marked
    ]
    return sorted(missed, key=lambda pair: (-pair[1].missed_percent, pair[0].number))
