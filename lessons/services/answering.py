"""Students answering tasks: autosave with version checks, submit, lateness, another attempt.

Plain functions with keyword-only arguments, called by the views, the tests and the load
test alike. The server's clock decides everything about time (`now` is only for tests).

The rules that keep work from being lost:

- Every save names the version of the answer it was based on. A save based on an older
  version is not applied: it comes back as a conflict carrying the saved text, so the student
  chooses (two tabs or two devices never silently overwrite each other). A save of exactly
  the text already stored is never a conflict.
- The submission row is locked for the length of a save or a submit, so saves and submits of
  one student's work happen one after the other, never interleaved.
- What was saved is kept: a refused save (too long, after the due time when late work is
  refused, into submitted work) changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from ..models import Answer, AnswerRevision, SchoolClass, Submission, Task
from ..models.work import MAX_ANSWER_CHARS


class AnswerRefused(ValueError):
    """A save or submit the rules refuse; `message` says why in the student's words.

    code: "too_long", "submitted" (the work is already submitted), "closed" (the teacher
    closed the task), "past_due" (late work is refused and the due time has passed),
    "not_submitted" (only submitted work can be returned).
    """

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SaveResult:
    """What became of a save.

    outcome: "saved" (a new version was stored), "unchanged" (the text was already stored:
    nothing written) or "conflict" (based on an older version: nothing written).
    version, text, saved_at: the answer as it now is on the server (for a conflict, the
    text to show beside the student's own).
    answer: the answer's row, when the save read or created it (a plain save of new text
    is one UPDATE and does not read it back).
    """

    outcome: str
    version: int
    text: str
    saved_at: datetime | None
    answer: Answer | None = None

    @property
    def is_conflict(self) -> bool:
        return self.outcome == "conflict"

    @property
    def is_saved(self) -> bool:
        return self.outcome in ("saved", "unchanged")


def normalise_text(text: str) -> str:
    """Browsers send line breaks as CRLF; the text is stored (and compared) with LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def format_when(moment: datetime) -> str:
    """A time in the school's zone, as students read it: "Friday 28 November, 17:00"
    (with the year when it is not this year's)."""
    local = timezone.localtime(moment)
    year = f" {local.year}" if local.year != timezone.localdate().year else ""
    return f"{local:%A} {local.day} {local:%B}{year}, {local:%H:%M}"


def is_past_due(task: Task, now: datetime) -> bool:
    return now > task.due_at


def deadline_applies(submission: Submission | None, task: Task) -> bool:
    """Whether the due time governs this work.

    Work a teacher returned for another attempt after the due time is neither refused nor
    flagged late for that: the return is the teacher's permission to carry on.
    """
    if submission is None or submission.status != Submission.Status.RETURNED:
        return True
    return submission.returned_at is None or submission.returned_at < task.due_at


def editing_refusal(
    task: Task, submission: Submission | None, now: datetime
) -> AnswerRefused | None:
    """Why the student may not change their answers now, or None if they may."""
    if submission is not None and not submission.is_editable:
        when = format_when(submission.submitted_at) if submission.submitted_at else ""
        return AnswerRefused(
            f"This task was submitted{' on ' + when if when else ''}, so its answers can no "
            "longer be changed.",
            code="submitted",
        )
    if task.status == Task.Status.CLOSED:
        return AnswerRefused(
            "Your teacher has closed this task, so it no longer takes work. Everything you "
            "saved is kept.",
            code="closed",
        )
    if (
        task.late_policy == Task.LatePolicy.REFUSE
        and is_past_due(task, now)
        and deadline_applies(submission, task)
    ):
        return AnswerRefused(
            f"The due time ({format_when(task.due_at)}) has passed and this task does not "
            "accept late work. Everything you saved before the due time is kept.",
            code="past_due",
        )
    return None


def get_or_start_submission(*, task: Task, student) -> Submission:
    """The student's submission for the task, started now if there is none yet.

    Called on the first save, not when the page is opened, so "not started" stays
    meaningful for the teacher. Two first saves at the same moment find the same row.
    """
    submission, _ = Submission.objects.get_or_create(task=task, student=student)
    return submission


def _locked_submission(submission: Submission) -> Submission:
    # Lock only the submission's row: locking the task too would queue every student's saves.
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("task")
        .get(pk=submission.pk)
    )


def _checked_text(text: str) -> str:
    text = normalise_text(text)
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerRefused(
            f"This answer is too long: {len(text):,} characters, and the limit is "
            f"{MAX_ANSWER_CHARS:,}. Shorten it; your text is kept in the box.",
            code="too_long",
        )
    return text


def save_answer(
    *,
    submission: Submission,
    question,
    text: str,
    base_version: int,
    now: datetime | None = None,
) -> SaveResult:
    """Store a student's answer text, if it is based on the answer's current version.

    Raises AnswerRefused when the text is too long or the work may not change now
    (submitted, closed, past the due time with late work refused); nothing is written then.
    """
    now = now or timezone.now()
    text = _checked_text(text)
    if question.task_id != submission.task_id:
        raise ValueError("The question is not one of the submission's task.")
    with transaction.atomic():
        return _save_locked(_locked_submission(submission), question, text, base_version, now)


def save_student_answer(
    *, task: Task, student, question, text: str, base_version: int, now: datetime | None = None
) -> SaveResult:
    """save_answer for the student's own work on the task, starting it on the first save.

    The autosave's path: finding the student's submission and locking it is one query, not
    two. Before anything is written (no submission yet) an empty box starts nothing, and
    a task that refuses work refuses it (AnswerRefused), as save_answer does.
    """
    now = now or timezone.now()
    text = _checked_text(text)
    if question.task_id != task.pk:
        raise ValueError("The question is not one of the task's.")
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("task")
            .filter(task=task, student=student)
            .order_by("id")
            .first()
        )
        if submission is None:
            refusal = editing_refusal(task, None, now)
            if refusal is not None:
                raise refusal
            if not text.strip():
                # Nothing written yet: opening the page and leaving a box starts nothing.
                return SaveResult(outcome="unchanged", version=0, text="", saved_at=None)
            submission = _locked_submission(get_or_start_submission(task=task, student=student))
        return _save_locked(submission, question, text, base_version, now)


def _save_locked(
    submission: Submission, question, text: str, base_version: int, now: datetime
) -> SaveResult:
    """The save itself, with the submission's row locked (and its task freshly read)."""
    refusal = editing_refusal(submission.task, submission, now)
    if refusal is not None:
        raise refusal
    # The usual case in one statement: the answer exists, is at the version the save was
    # based on, and the text differs. The WHERE on the version is the conflict check.
    updated = (
        Answer.objects.filter(submission=submission, question=question, version=base_version)
        .exclude(text=text)
        .update(text=text, version=F("version") + 1, saved_at=now)
    )
    if updated:
        Submission.objects.filter(pk=submission.pk).update(updated_at=now)
        return SaveResult(outcome="saved", version=base_version + 1, text=text, saved_at=now)
    # Otherwise read the answer to say why: unchanged, a conflict, or no answer yet.
    answer = Answer.objects.filter(submission=submission, question=question).first()
    current_version = answer.version if answer else 0
    current_text = answer.text if answer else ""
    if text == current_text:
        # Already stored (a retry whose first reply was lost, or two tabs agreeing).
        return SaveResult(
            outcome="unchanged",
            version=current_version,
            text=current_text,
            saved_at=answer.saved_at if answer else None,
            answer=answer,
        )
    if answer is not None or base_version != 0:
        return SaveResult(
            outcome="conflict",
            version=current_version,
            text=current_text,
            saved_at=answer.saved_at if answer else None,
            answer=answer,
        )
    answer = Answer.objects.create(
        submission=submission, question=question, text=text, version=1, saved_at=now
    )
    Submission.objects.filter(pk=submission.pk).update(updated_at=now)
    return SaveResult(
        outcome="saved", version=answer.version, text=text, saved_at=now, answer=answer
    )


def would_be_late(task: Task, submission: Submission | None, now: datetime) -> bool:
    return is_past_due(task, now) and deadline_applies(submission, task)


def submit(*, submission: Submission, now: datetime | None = None) -> Submission:
    """Hand the work in: the server's clock decides whether it is late.

    Late work is accepted and flagged, or refused (AnswerRefused), as the task says. Every
    question gets an answer row (empty if never written) and a record of the submitted text
    in its history, so the text of each attempt is kept whatever happens later.
    """
    now = now or timezone.now()
    with transaction.atomic():
        submission = _locked_submission(submission)
        task = submission.task
        refusal = editing_refusal(task, submission, now)
        if refusal is not None:
            if refusal.code == "past_due":
                refusal = AnswerRefused(
                    f"Not submitted: the due time ({format_when(task.due_at)}) has passed and "
                    "this task does not accept late work. Everything you saved before the due "
                    "time is kept, and your teacher can see it.",
                    code="past_due",
                )
            raise refusal
        existing = {a.question_id: a for a in submission.answers.all()}
        missing = [q for q in task.questions.all() if q.pk not in existing]
        Answer.objects.bulk_create(Answer(submission=submission, question=q) for q in missing)
        answers = list(submission.answers.all())
        AnswerRevision.objects.bulk_create(
            AnswerRevision(
                answer=answer,
                kind=AnswerRevision.Kind.SUBMITTED,
                attempt=submission.attempt,
                text=answer.text,
            )
            for answer in answers
        )
        submission.is_late = would_be_late(task, submission, now)
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_at = now
        submission.save(update_fields=["status", "submitted_at", "is_late", "updated_at"])
    return submission


def reopen_for_another_attempt(
    *, submission: Submission, note: str, teacher, now: datetime | None = None
) -> Submission:
    """A teacher's "return for another attempt": the student can edit and submit again.

    The marks of the returned attempt are kept in each answer's history
    (AnswerRevision kind=returned, with the text, mark, level and feedback), then cleared
    from the answer, so the new attempt starts unmarked and unreleased. The submitted texts
    stay in the history; the answers keep their text to carry on from.
    """
    now = now or timezone.now()
    with transaction.atomic():
        submission = _locked_submission(submission)
        if not Task.objects.for_teacher(teacher).filter(pk=submission.task_id).exists():
            raise PermissionDenied("Only a teacher of this task can return work.")
        if submission.status != Submission.Status.SUBMITTED:
            raise AnswerRefused(
                "Only submitted work can be returned for another attempt.", code="not_submitted"
            )
        answers = list(submission.answers.select_related("level"))
        AnswerRevision.objects.bulk_create(
            AnswerRevision(
                answer=answer,
                kind=AnswerRevision.Kind.RETURNED,
                attempt=submission.attempt,
                text=answer.text,
                mark=answer.mark,
                level_number=answer.level.number if answer.level else None,
                feedback=answer.feedback,
            )
            for answer in answers
        )
        for answer in answers:
            answer.credited_points.clear()
        # The marking version moves on, so a marking tab still open on the old attempt
        # cannot write its marks onto the new one.
        Answer.objects.filter(submission=submission).update(
            mark=None,
            level=None,
            mark_adjustment_reason="",
            feedback="",
            marker=None,
            marked_at=None,
            marked_scheme_version=None,
            marking_version=F("marking_version") + 1,
        )
        submission.status = Submission.Status.RETURNED
        submission.attempt += 1
        submission.returned_at = now
        submission.return_note = note.strip()
        submission.released_at = None
        submission.save(
            update_fields=[
                "status",
                "attempt",
                "returned_at",
                "return_note",
                "released_at",
                "updated_at",
            ]
        )
    return submission


# Reading ---------------------------------------------------------------------------------


def word_count(text: str) -> int:
    return len(text.split())


@dataclass
class DashboardEntry:
    task: Task
    submission: Submission | None
    # "due today", "due tomorrow", "overdue", "closed", "returned", or "".
    cue: str = ""


@dataclass
class ClassTasks:
    school_class: SchoolClass
    to_do: list[DashboardEntry]
    submitted: list[DashboardEntry]
    marked: list[DashboardEntry]

    @property
    def has_tasks(self) -> bool:
        return bool(self.to_do or self.submitted or self.marked)


def _cue(task: Task, submission: Submission | None, now: datetime) -> str:
    if editing_refusal(task, submission, now) is not None:
        return "closed"
    if submission is not None and submission.status == Submission.Status.RETURNED:
        return "returned"
    if is_past_due(task, now):
        return "overdue"
    days = (timezone.localdate(task.due_at) - timezone.localdate(now)).days
    return {0: "due today", 1: "due tomorrow"}.get(days, "")


def student_dashboard(*, student, now: datetime | None = None) -> list[ClassTasks]:
    """The student's active classes, each with its tasks: to do, submitted, marked.

    A fixed number of queries, however many classes, tasks and submissions. A task set for
    two of the student's classes is listed under the first.
    """
    now = now or timezone.now()
    classes = list(SchoolClass.objects.for_student(student).active().prefetch_related("teachers"))
    tasks = (
        Task.objects.visible_to_student(student, now)
        .prefetch_related(
            Prefetch(
                "classes",
                queryset=SchoolClass.objects.filter(id__in=[c.id for c in classes]),
                to_attr="student_classes",
            )
        )
        .order_by("due_at", "id")
    )
    submissions = {s.task_id: s for s in Submission.objects.filter(student=student, task__in=tasks)}
    by_class = {
        c.id: ClassTasks(school_class=c, to_do=[], submitted=[], marked=[]) for c in classes
    }
    for task in tasks:
        home = next((c for c in task.student_classes), None)
        if home is None:
            continue
        submission = submissions.get(task.id)
        entry = DashboardEntry(task=task, submission=submission)
        group = by_class[home.id]
        if submission is not None and submission.is_submitted:
            (group.marked if submission.is_released else group.submitted).append(entry)
        else:
            entry.cue = _cue(task, submission, now)
            group.to_do.append(entry)
    for group in by_class.values():
        # Work that can still be done first, soonest due first; closed work last.
        group.to_do.sort(key=lambda e: (e.cue == "closed", e.task.due_at, e.task.id))
        group.submitted.sort(key=lambda e: e.submission.submitted_at, reverse=True)
        group.marked.sort(key=lambda e: e.submission.released_at, reverse=True)
    return list(by_class.values())
