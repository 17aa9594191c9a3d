"""Tasks and their questions: create, edit, publish, copy, delete; the question bank.

Plain functions with keyword-only arguments, called by the views, management commands and
tests alike. Every function that writes does so in one transaction: nothing is half-saved.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from ..models import (
    Answer,
    Exemplar,
    IndicativePoint,
    KeyEvidence,
    Lesson,
    Level,
    Passage,
    Question,
    SchoolClass,
    Submission,
    Task,
)
from .mark_schemes import (
    ExemplarSpec,
    LevelSpec,
    PointSpec,
    Scheme,
    SchemeError,
    validate_scheme,
)


class TaskRuleError(ValueError):
    """A change the rules refuse; the message says why, in the teacher's words."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class SchemeInvalid(ValueError):
    """The mark scheme breaks the rules; `errors` says where (see mark_schemes)."""

    def __init__(self, errors: Sequence[SchemeError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


class SchemeChangeNeedsConfirmation(Exception):
    """Students have started answering: changing the maximum or the scheme needs a yes."""

    def __init__(self, *, answers_started: int, answers_marked: int):
        super().__init__(
            f"{answers_started} answers started, {answers_marked} marked: confirm the change"
        )
        self.answers_started = answers_started
        self.answers_marked = answers_marked


class TaskDeletionNeedsConfirmation(Exception):
    """The task has answers: deleting it needs its title typed as confirmation."""

    def __init__(self, *, answers: int):
        super().__init__(f"{answers} answers would be deleted: type the title to confirm")
        self.answers = answers


# Queries


def started_answers(questions) -> QuerySet:
    """Answers a student has written something in, or that a teacher has marked."""
    return Answer.objects.filter(question__in=questions).filter(~Q(text="") | Q(mark__isnull=False))


def answer_counts(question: Question) -> tuple[int, int]:
    """(answers started, answers marked) for one question."""
    started = started_answers([question])
    return started.count(), started.filter(mark__isnull=False).count()


def scheme_prefetches(prefix: str = "") -> list:
    """Prefetches that show questions with their whole mark scheme in a fixed number of queries."""
    # Ordered within each question: the models' default order starts with the question,
    # which would join the question and task tables into every prefetch for nothing.
    return [
        Prefetch(
            f"{prefix}indicative_points", queryset=IndicativePoint.objects.order_by("order", "id")
        ),
        Prefetch(f"{prefix}levels", queryset=Level.objects.order_by("number")),
        Prefetch(
            f"{prefix}exemplars",
            queryset=Exemplar.objects.select_related("level").order_by("order", "id"),
        ),
        Prefetch(f"{prefix}linked_passages", queryset=Passage.objects.select_related("lesson")),
    ]


def questions_with_schemes(task: Task) -> QuerySet:
    return task.questions.order_by("order", "id").prefetch_related(*scheme_prefetches())


def passages_for_task(task: Task | None, lessons: Iterable[Lesson] | None = None) -> QuerySet:
    """The passages a question of this task may link: those of the task's lessons."""
    if lessons is None:
        lessons = task.lessons.all() if task else []
    return (
        Passage.objects.filter(lesson__in=lessons)
        .select_related("lesson")
        .order_by("lesson__title", "lesson_id", "order", "id")
    )


def bank_questions(*, teacher, query: str = "", lesson: Lesson | None = None) -> QuerySet:
    """The question bank as this teacher sees it.

    The shared bank questions (no task, no owner: the seed lessons' questions), bank-only
    questions the teacher keeps, and the questions the teacher wrote in their own tasks.
    Copies (from the bank or a copied task) are left out: their original is already here.
    """
    own = Q(owner=teacher, copied_from__isnull=True)
    shared = Q(task__isnull=True, owner__isnull=True)
    questions = Question.objects.filter(shared | own)
    query = query.strip()
    if query:
        questions = questions.filter(prompt__icontains=query)
    if lesson is not None:
        of_lesson = Question.objects.filter(Q(lesson=lesson) | Q(task__lessons=lesson))
        questions = questions.filter(id__in=of_lesson.values("id"))
    return (
        questions.select_related("lesson", "task")
        .prefetch_related(*scheme_prefetches())
        .order_by(F("lesson__title").asc(nulls_last=True), "task__title", "order", "id")
    )


def scheme_of(question: Question) -> Scheme:
    """The stored scheme of a question, as plain values (uses prefetched rows if present)."""
    levels = sorted(question.levels.all(), key=lambda level: level.number)
    return Scheme(
        kind=question.scheme_kind,
        max_marks=question.max_marks,
        marks_per_point=question.marks_per_point,
        guidance=question.guidance,
        points=[
            PointSpec(text=p.text, marks=p.marks, alternatives=p.alternatives, id=p.id)
            for p in question.indicative_points.all()
        ],
        levels=[
            LevelSpec(
                min_marks=level.min_marks,
                max_marks=level.max_marks,
                descriptor=level.descriptor,
                number=level.number,
                id=level.id,
            )
            for level in levels
        ],
        exemplars=[
            ExemplarSpec(
                text=e.text,
                mark=e.mark,
                level=e.level.number if e.level_id else None,
                commentary=e.commentary,
                id=e.id,
            )
            for e in question.exemplars.all()
        ],
    )


@dataclass
class DashboardTasks:
    open: list[Task]
    drafts: list[Task]
    recent: list[Task]

    def __bool__(self) -> bool:
        return bool(self.open or self.drafts or self.recent)


def dashboard_tasks(*, teacher, now: datetime | None = None, limit: int = 5) -> DashboardTasks:
    """A teacher's tasks for the dashboard: open or upcoming, drafts, and recently due."""
    now = now or timezone.now()
    # The submitted count is what a teacher opens the dashboard for: work waiting to be marked.
    tasks = (
        Task.objects.for_teacher(teacher)
        .prefetch_related("classes")
        .annotate(
            submitted_count=Count(
                "submissions", filter=Q(submissions__status=Submission.Status.SUBMITTED)
            )
        )
    )
    published = tasks.filter(status=Task.Status.PUBLISHED, due_at__gte=now)
    recent = tasks.exclude(status=Task.Status.DRAFT).filter(
        Q(due_at__lt=now) | Q(status=Task.Status.CLOSED)
    )
    return DashboardTasks(
        open=list(published.order_by("due_at", "id")[:limit]),
        drafts=list(tasks.filter(status=Task.Status.DRAFT).order_by("-updated_at", "id")[:limit]),
        recent=list(recent.order_by("-due_at", "id")[:limit]),
    )


# Tasks


def _check_times(opens_at: datetime, due_at: datetime) -> None:
    if timezone.is_naive(opens_at) or timezone.is_naive(due_at):
        raise ValueError("Task times must be timezone-aware.")
    if due_at <= opens_at:
        raise TaskRuleError("The due time must be after the open time.", field="due_at")


def _check_classes(classes: Sequence[SchoolClass]) -> None:
    if not classes:
        raise TaskRuleError("Choose at least one class.", field="classes")


def lessons_in_use(task: Task, keep: Iterable[Lesson]) -> dict[Lesson, list[int]]:
    """Lessons the task would lose whose passages its questions link, with question numbers."""
    keep_ids = {lesson.id for lesson in keep}
    in_use: dict[Lesson, list[int]] = {}
    for number, question in enumerate(questions_with_schemes(task), start=1):
        for passage in question.linked_passages.all():
            if passage.lesson_id not in keep_ids:
                numbers = in_use.setdefault(passage.lesson, [])
                if number not in numbers:
                    numbers.append(number)
    return in_use


@transaction.atomic
def create_task(
    *,
    owner,
    title: str,
    classes: Sequence[SchoolClass],
    due_at: datetime,
    opens_at: datetime | None = None,
    lessons: Sequence[Lesson] = (),
    instructions: str = "",
    late_policy: str = Task.LatePolicy.ACCEPT,
    show_mark_scheme: bool = False,
    anonymous_marking: bool = False,
) -> Task:
    """A new draft task for one or more of the owner's classes."""
    opens_at = opens_at or timezone.now()
    _check_times(opens_at, due_at)
    _check_classes(classes)
    taught = set(SchoolClass.objects.for_teacher(owner).values_list("id", flat=True))
    if any(c.id not in taught for c in classes):
        raise TaskRuleError("You can only set tasks for classes you teach.", field="classes")
    task = Task.objects.create(
        owner=owner,
        title=title.strip(),
        instructions=instructions,
        opens_at=opens_at,
        due_at=due_at,
        late_policy=late_policy,
        show_mark_scheme=show_mark_scheme,
        anonymous_marking=anonymous_marking,
    )
    task.classes.set(classes)
    task.lessons.set(lessons)
    return task


@transaction.atomic
def update_task(
    *,
    task: Task,
    title: str,
    classes: Sequence[SchoolClass],
    opens_at: datetime,
    due_at: datetime,
    lessons: Sequence[Lesson] = (),
    instructions: str = "",
    late_policy: str = Task.LatePolicy.ACCEPT,
    show_mark_scheme: bool = False,
    anonymous_marking: bool = False,
) -> Task:
    """Change a task's settings (its questions are edited one by one)."""
    _check_times(opens_at, due_at)
    _check_classes(classes)
    in_use = lessons_in_use(task, lessons)
    if in_use:
        lesson, numbers = next(iter(in_use.items()))
        listed = ", ".join(str(n) for n in numbers)
        raise TaskRuleError(
            f"Question {listed} links passages of “{lesson.title}”: unlink them before "
            "removing the lesson.",
            field="lessons",
        )
    task.title = title.strip()
    task.instructions = instructions
    task.opens_at = opens_at
    task.due_at = due_at
    task.late_policy = late_policy
    task.show_mark_scheme = show_mark_scheme
    task.anonymous_marking = anonymous_marking
    task.save()
    task.classes.set(classes)
    task.lessons.set(lessons)
    return task


@transaction.atomic
def publish_task(*, task: Task, now: datetime | None = None) -> Task:
    """Draft → published: students see it from its open time."""
    now = now or timezone.now()
    if task.status != Task.Status.DRAFT:
        raise TaskRuleError("Only a draft can be published.")
    if not task.questions.exists():
        raise TaskRuleError("Add at least one question before publishing.")
    if not task.classes.exists():
        raise TaskRuleError("Choose at least one class before publishing.")
    if task.due_at <= now:
        raise TaskRuleError("The due time has already passed: change the dates before publishing.")
    task.status = Task.Status.PUBLISHED
    task.save(update_fields=["status", "updated_at"])
    return task


@transaction.atomic
def unpublish_task(*, task: Task) -> Task:
    """Published → draft, only while no student has started it (a mistaken publish)."""
    if task.status != Task.Status.PUBLISHED:
        raise TaskRuleError("Only a published task can go back to draft.")
    if task.submissions.exists():
        raise TaskRuleError(
            "Students have started this task, so it cannot go back to draft; close it instead."
        )
    task.status = Task.Status.DRAFT
    task.save(update_fields=["status", "updated_at"])
    return task


@transaction.atomic
def close_task(*, task: Task) -> Task:
    """Published → closed: students still see it, but it no longer takes work."""
    if task.status != Task.Status.PUBLISHED:
        raise TaskRuleError("Only a published task can be closed.")
    task.status = Task.Status.CLOSED
    task.save(update_fields=["status", "updated_at"])
    return task


@transaction.atomic
def reopen_task(*, task: Task) -> Task:
    """Closed → published again."""
    if task.status != Task.Status.CLOSED:
        raise TaskRuleError("Only a closed task can be reopened.")
    task.status = Task.Status.PUBLISHED
    task.save(update_fields=["status", "updated_at"])
    return task


STATUS_ACTIONS = {
    "publish": publish_task,
    "unpublish": unpublish_task,
    "close": close_task,
    "reopen": reopen_task,
}


def set_task_status(*, task: Task, action: str) -> Task:
    """Publish, unpublish, close or reopen, by name."""
    try:
        change = STATUS_ACTIONS[action]
    except KeyError:
        raise TaskRuleError("Unknown action.") from None
    return change(task=task)


@transaction.atomic
def copy_task(
    *,
    task: Task,
    to_classes: Sequence[SchoolClass],
    shift_dates_by: timedelta = timedelta(0),
    owner=None,
    title: str | None = None,
) -> Task:
    """A draft copy of the task, its questions and their schemes, for other classes.

    "Next year" is a copy with the dates shifted (52 weeks keeps the day of the week).
    The copy starts with no students' work; its questions remember what they copied.
    """
    _check_classes(to_classes)
    owner = owner or task.owner
    copy = Task.objects.create(
        owner=owner,
        title=(title or task.title).strip(),
        instructions=task.instructions,
        opens_at=task.opens_at + shift_dates_by,
        due_at=task.due_at + shift_dates_by,
        late_policy=task.late_policy,
        show_mark_scheme=task.show_mark_scheme,
        anonymous_marking=task.anonymous_marking,
    )
    copy.classes.set(to_classes)
    copy.lessons.set(task.lessons.all())
    for question in questions_with_schemes(task):
        _copy_question(question=question, task=copy, owner=owner, order=question.order)
    return copy


@transaction.atomic
def delete_task(*, task: Task, confirmation: str = "") -> None:
    """Delete a task with its questions and students' work.

    Once students have written anything, the task's title must be typed as confirmation.
    """
    answers = started_answers(task.questions.all()).count()
    if answers and confirmation.strip() != task.title.strip():
        raise TaskDeletionNeedsConfirmation(answers=answers)
    task.delete()


@transaction.atomic
def create_task_from_bank(
    *,
    owner,
    title: str,
    classes: Sequence[SchoolClass],
    questions: Sequence[Question],
    due_at: datetime,
    opens_at: datetime | None = None,
    instructions: str = "",
    publish: bool = False,
) -> Task:
    """A task made of copies of bank questions, reading their lessons (the demo's homework)."""
    task = create_task(
        owner=owner,
        title=title,
        classes=classes,
        opens_at=opens_at,
        due_at=due_at,
        instructions=instructions,
    )
    for question in questions:
        copy_question_to_task(question=question, task=task, owner=owner)
    if publish:
        publish_task(task=task, now=opens_at)
    return task


# Questions


def _check_linked_passages(
    passages: Sequence[Passage], *, task: Task | None, lesson: Lesson | None
) -> None:
    if not passages:
        return
    allowed = {lesson.id} if task is None and lesson else set()
    if task is not None:
        allowed = set(task.lessons.values_list("id", flat=True))
    if any(p.lesson_id not in allowed for p in passages):
        raise TaskRuleError(
            "A question can only link passages of the task's lessons.", field="linked_passages"
        )


def _validated(scheme: Scheme) -> Scheme:
    errors = validate_scheme(scheme)
    if errors:
        raise SchemeInvalid(errors)
    return scheme


def _next_order(task: Task | None) -> int:
    if task is None:
        return 0
    highest = task.questions.aggregate(highest=Max("order"))["highest"]
    return 0 if highest is None else highest + 1


@transaction.atomic
def add_question(
    *,
    task: Task | None,
    owner,
    prompt: str,
    scheme: Scheme,
    answer_type: str = Question.AnswerType.EXTENDED,
    linked_passages: Sequence[Passage] = (),
    lesson: Lesson | None = None,
) -> Question:
    """A new question at the end of the task (task None: a question kept only in the bank)."""
    _validated(scheme)
    _check_linked_passages(linked_passages, task=task, lesson=lesson)
    question = Question.objects.create(
        task=task,
        lesson=lesson,
        owner=owner,
        order=_next_order(task),
        prompt=prompt.strip(),
        answer_type=answer_type,
        scheme_kind=scheme.kind,
        max_marks=scheme.max_marks,
        marks_per_point=scheme.marks_per_point or 1,
        guidance=scheme.guidance,
    )
    question.linked_passages.set(linked_passages)
    save_scheme(question=question, scheme=scheme)
    if task is not None:
        _answer_rows_for_submitted_work(question)
    return question


def _answer_rows_for_submitted_work(question: Question) -> None:
    """An empty answer to a question added after students submitted, in each submitted
    work, as submitting makes one for every question: the marker can then mark it (an
    unanswered question earns 0, with feedback), and the marking pages only read."""
    # Every submission of the task locked, not only the submitted ones: a submit in flight
    # is waited for, then seen as submitted; one that starts later sees this question.
    submissions = (
        Submission.objects.select_for_update()
        .filter(task_id=question.task_id)
        .order_by("id")
        .values_list("id", "status")
    )
    Answer.objects.bulk_create(
        Answer(submission_id=pk, question=question)
        for pk, status in submissions
        if status == Submission.Status.SUBMITTED
    )


@transaction.atomic
def update_question(
    *,
    question: Question,
    prompt: str,
    scheme: Scheme,
    answer_type: str | None = None,
    linked_passages: Sequence[Passage] | None = None,
    confirm_scheme_change: bool = False,
) -> bool:
    """Save a question; True when its maximum or mark scheme changed.

    A changed scheme bumps scheme_version, so marks given under the old one show as needing
    re-marking (they are kept, never deleted). Once students have started answering, such a
    change is refused unless confirmed (SchemeChangeNeedsConfirmation says how many).
    """
    _validated(scheme)
    if linked_passages is not None:
        _check_linked_passages(linked_passages, task=question.task, lesson=question.lesson)
    question = Question.objects.select_for_update().get(pk=question.pk)
    changed = scheme_of(question).content() != scheme.content()
    if changed and not confirm_scheme_change:
        started, marked = answer_counts(question)
        if started:
            raise SchemeChangeNeedsConfirmation(answers_started=started, answers_marked=marked)
    question.prompt = prompt.strip()
    if answer_type:
        question.answer_type = answer_type
    question.scheme_kind = scheme.kind
    question.max_marks = scheme.max_marks
    question.marks_per_point = scheme.marks_per_point or 1
    question.guidance = scheme.guidance
    if changed:
        question.scheme_version = F("scheme_version") + 1
    question.save()
    question.refresh_from_db(fields=["scheme_version"])
    if linked_passages is not None:
        question.linked_passages.set(linked_passages)
    if changed:
        save_scheme(question=question, scheme=scheme)
    return changed


@transaction.atomic
def save_scheme(*, question: Question, scheme: Scheme) -> None:
    """Store the scheme's points, levels and exemplars on the question.

    Rows are updated in place where the spec names a stored row (`id`), so answers that
    credit a point or sit in a level keep pointing at it; rows no longer in the scheme are
    deleted. The other kind's rows (a points scheme's levels) are removed.
    """
    points = scheme.points if scheme.is_points else []
    levels = scheme.levels if scheme.is_levels else []

    existing_points = {p.id: p for p in question.indicative_points.all()}
    kept = set()
    for order, spec in enumerate(points):
        point = existing_points.get(spec.id) if spec.id else None
        if point is None:
            point = IndicativePoint(question=question)
        point.order = order
        point.text = spec.text.strip()
        point.marks = spec.marks
        point.alternatives = "\n".join(
            line.strip() for line in spec.alternatives.splitlines() if line.strip()
        )
        point.save()
        kept.add(point.id)
    question.indicative_points.exclude(id__in=kept).delete()

    existing_levels = {level.id: level for level in question.levels.all()}
    keep_levels = {spec.id for spec in levels if spec.id in existing_levels}
    question.levels.exclude(id__in=keep_levels).delete()
    # Numbers are unique per question: move the survivors out of the way before renumbering.
    question.levels.update(number=F("number") + 1000)
    level_by_number: dict[int, Level] = {}
    for position, spec in enumerate(levels):
        level = existing_levels.get(spec.id) if spec.id else None
        if level is None:
            level = Level(question=question)
        level.number = position + 1
        level.min_marks = spec.min_marks
        level.max_marks = spec.max_marks
        level.descriptor = spec.descriptor.strip()
        level.save()
        level_by_number[level.number] = level

    existing_exemplars = {e.id: e for e in question.exemplars.all()}
    kept = set()
    for order, spec in enumerate(scheme.exemplars):
        exemplar = existing_exemplars.get(spec.id) if spec.id else None
        if exemplar is None:
            exemplar = Exemplar(question=question)
        exemplar.order = order
        exemplar.text = spec.text.strip()
        exemplar.mark = spec.mark
        exemplar.commentary = spec.commentary.strip()
        exemplar.level = level_by_number.get(spec.level) if scheme.is_levels else None
        exemplar.save()
        kept.add(exemplar.id)
    question.exemplars.exclude(id__in=kept).delete()


def _renumber(task: Task) -> list[int]:
    ids = list(task.questions.order_by("order", "id").values_list("id", flat=True))
    for order, question_id in enumerate(ids):
        Question.objects.filter(id=question_id).exclude(order=order).update(order=order)
    return ids


@transaction.atomic
def move_question(*, question: Question, direction: str) -> list[int]:
    """Move a question up or down one place; returns the task's question ids in order."""
    if direction not in ("up", "down"):
        raise TaskRuleError("Move a question up or down.")
    task = Task.objects.select_for_update().get(pk=question.task_id)
    ids = _renumber(task)
    position = ids.index(question.id)
    other = position - 1 if direction == "up" else position + 1
    if 0 <= other < len(ids):
        ids[position], ids[other] = ids[other], ids[position]
        Question.objects.filter(id=ids[position]).update(order=position)
        Question.objects.filter(id=ids[other]).update(order=other)
    return ids


@transaction.atomic
def delete_question(*, question: Question) -> list[int]:
    """Delete a question (and students' answers to it); returns the remaining ids in order."""
    task = Task.objects.select_for_update().get(pk=question.task_id)
    question.delete()
    return _renumber(task)


def lessons_needed(question: Question) -> set[int]:
    """Ids of the lessons a question is about: its own, and those of its linked passages."""
    needed = {p.lesson_id for p in question.linked_passages.all()}
    if question.lesson_id:
        needed.add(question.lesson_id)
    return needed


@transaction.atomic
def copy_question_to_task(*, question: Question, task: Task, owner=None) -> Question:
    """Add a copy of a (bank) question at the end of the task.

    A deep copy: prompt, scheme, exemplars, linked passages, key evidence, with copied_from
    set. Editing the copy never changes the original. The task gains the lessons the question
    is about, so that its linked passages are passages of the task's lessons.
    """
    task = Task.objects.select_for_update().get(pk=task.pk)
    task.lessons.add(*lessons_needed(question))
    copy = _copy_question(
        question=question, task=task, owner=owner or task.owner, order=_next_order(task)
    )
    _answer_rows_for_submitted_work(copy)
    return copy


def _copy_question(*, question: Question, task: Task, owner, order: int) -> Question:
    copy = Question.objects.create(
        task=task,
        lesson=question.lesson,
        owner=owner,
        order=order,
        prompt=question.prompt,
        max_marks=question.max_marks,
        answer_type=question.answer_type,
        scheme_kind=question.scheme_kind,
        marks_per_point=question.marks_per_point,
        guidance=question.guidance,
        topic=question.topic,
        copied_from=question,
    )
    copy.linked_passages.set(question.linked_passages.all())
    IndicativePoint.objects.bulk_create(
        IndicativePoint(
            question=copy, order=p.order, text=p.text, marks=p.marks, alternatives=p.alternatives
        )
        for p in question.indicative_points.all()
    )
    levels = {}
    for level in question.levels.all():
        levels[level.id] = Level.objects.create(
            question=copy,
            number=level.number,
            min_marks=level.min_marks,
            max_marks=level.max_marks,
            descriptor=level.descriptor,
        )
    Exemplar.objects.bulk_create(
        Exemplar(
            question=copy,
            level=levels.get(e.level_id),
            order=e.order,
            text=e.text,
            mark=e.mark,
            commentary=e.commentary,
        )
        for e in question.exemplars.all()
    )
    KeyEvidence.objects.bulk_create(
        KeyEvidence(
            question=copy,
            passage_id=k.passage_id,
            start=k.start,
            end=k.end,
            quote=k.quote,
            prefix=k.prefix,
            suffix=k.suffix,
            detached=k.detached,
            description=k.description,
        )
        for k in question.key_evidence.all()
    )
    return copy
