"""A realistic synthetic school for benchmarks: teachers, classes, students, tasks with both
shapes of mark scheme, answers written, submitted, marked and released.

Built with bulk inserts (a few thousand rows per statement), so 3,000 students in 100
classes with 10 tasks each take seconds, not the hours the services would need row by row.
Every row is what the services themselves would write: versions, revisions of submitted
text, marks inside the scheme's levels, credited points that add up to the mark.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from ..models import (
    Annotation,
    Answer,
    AnswerRevision,
    CommentBankEntry,
    Enrolment,
    IndicativePoint,
    Lesson,
    Level,
    Passage,
    Question,
    SchoolClass,
    Submission,
    Task,
    User,
)
from ..models.library import ANCHOR_CONTEXT_CHARS

BATCH = 2000

FIRST_NAMES = [
    "Aaliyah",
    "Ada",
    "Aiden",
    "Alfie",
    "Amara",
    "Amelia",
    "Arjun",
    "Ava",
    "Ben",
    "Bilal",
    "Caleb",
    "Chloe",
    "Daniel",
    "Eden",
    "Elif",
    "Ella",
    "Emeka",
    "Erin",
    "Ethan",
    "Evie",
    "Farah",
    "Finley",
    "Freya",
    "George",
    "Grace",
    "Hana",
    "Harper",
    "Isaac",
    "Isla",
    "Jack",
    "Jasmine",
    "Kai",
    "Leo",
    "Lily",
    "Luca",
    "Maya",
    "Mia",
    "Mohammed",
    "Niamh",
    "Noah",
    "Nour",
    "Oliver",
    "Oscar",
    "Priya",
    "Rhys",
    "Ruby",
    "Sami",
    "Sofia",
    "Theo",
    "Zara",
]
LAST_NAMES = [
    "Adeyemi",
    "Ahmed",
    "Bailey",
    "Baker",
    "Brown",
    "Campbell",
    "Chen",
    "Clarke",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hall",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Lewis",
    "Martin",
    "Murphy",
    "Nguyen",
    "Novak",
    "Okafor",
    "Patel",
    "Roberts",
    "Robinson",
    "Rossi",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wright",
    "Young",
]

PASSAGES = [
    (
        "The communes",
        "In 1958 some 740,000 cooperatives were merged into about 26,000 People's Communes. "
        "Private plots were abolished and work points replaced wages. Communal kitchens fed "
        "whole villages, and peasants were moved between projects as the cadres decided.",
    ),
    (
        "Steel targets",
        "Mao announced that China would overtake Britain's steel output within fifteen years. "
        "Backyard furnaces appeared in every village; peasants melted down pots and tools, "
        "and much of the iron they made was too brittle to use.",
    ),
    (
        "Famine",
        "Grain was procured for the cities and for export on the basis of inflated harvest "
        "reports. Between 1959 and 1961 tens of millions of people died of starvation, the "
        "worst famine in recorded history.",
    ),
]
NOTES = [
    (0, "People's Communes", Annotation.Kind.KEY_TERM, "Large collective units."),
    (1, "Backyard furnaces", Annotation.Kind.KEY_TERM, "Small village furnaces for steel."),
    (2, "inflated harvest reports", Annotation.Kind.CONTEXT, "Cadres feared reporting less."),
]
ANSWER_SENTENCES = [
    "The Great Leap Forward aimed to industrialise China very quickly.",
    "Mao wanted to overtake Britain's steel production within fifteen years.",
    "Peasants were organised into People's Communes with communal kitchens.",
    "Backyard furnaces produced brittle, useless iron.",
    "Grain procurement based on inflated reports caused a terrible famine.",
    "Millions of people died between 1959 and 1961.",
    "Private plots were abolished and work points replaced wages.",
    "Labour was taken from the fields, so crops rotted unharvested.",
]
POINTS = [
    "To industrialise China rapidly.",
    "To increase agricultural output through collectivisation.",
    "To show the superiority of Chinese socialism.",
]
LEVELS = [
    (1, 1, 2, "Simple statements with limited detail."),
    (2, 3, 4, "Clear explanation of one consequence, or limited explanation of two."),
    (3, 5, 6, "Clear, developed explanation of two significant consequences."),
]
FEEDBACK = [
    "Good use of the source.",
    "Explain the consequence, not only name it.",
    "Support this with a figure from the passage.",
    "Clear and well organised.",
]


class DemoSchoolExists(ValueError):
    """A demo school with this prefix is already in the database."""


@dataclass
class DemoSchool:
    """What was built, and how long it took."""

    prefix: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def _user_rows(prefix: str, role: str, count: int, password: str, rng: random.Random):
    kind = "teacher" if role == User.Role.TEACHER else "student"
    for n in range(1, count + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if role == User.Role.TEACHER:
            name = f"{rng.choice(['Ms', 'Mr', 'Dr'])} {name.split()[1]}"
        yield User(username=f"{prefix}-{kind}{n}", full_name=name, role=role, password=password)


def _anchor(text: str, quote: str) -> dict:
    start = text.index(quote)
    end = start + len(quote)
    return {
        "start": start,
        "end": end,
        "quote": quote,
        "prefix": text[max(0, start - ANCHOR_CONTEXT_CHARS) : start],
        "suffix": text[end : end + ANCHOR_CONTEXT_CHARS],
    }


def _lesson(prefix: str, owner: User) -> tuple[Lesson, list[Passage]]:
    lesson = Lesson.objects.create(
        title=f"The Great Leap Forward ({prefix})",
        author="A. Historian",
        source_kind=Lesson.SourceKind.ESSAY,
        owner=owner,
    )
    passages = Passage.objects.bulk_create(
        Passage(lesson=lesson, order=n, heading=heading, text=text)
        for n, (heading, text) in enumerate(PASSAGES)
    )
    Annotation.objects.bulk_create(
        Annotation(
            passage=passages[n], kind=kind, note=note, author=owner, **_anchor(passages[n].text, q)
        )
        for n, q, kind, note in NOTES
    )
    return lesson, passages


def _due_times(tasks_per_class: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """(opens, due) per task: all but the last two are past due, those two are open."""
    times = []
    for t in range(tasks_per_class):
        due = now + timedelta(days=7 * (t - tasks_per_class + 2) + 3, hours=t % 5)
        opens = min(due - timedelta(days=14), now - timedelta(days=1))
        times.append((opens, due))
    return times


def _answer_text(rng: random.Random, question: Question) -> str:
    count = rng.randint(1, 2) if question.is_points else rng.randint(3, 7)
    return " ".join(rng.choice(ANSWER_SENTENCES) for _ in range(count))


def _mark(rng: random.Random, question: Question, points, levels) -> tuple:
    """(mark, level, credited points) as a marker would give them."""
    if question.is_points:
        credited = rng.sample(points, rng.randint(0, len(points)))
        return min(sum(p.marks for p in credited), question.max_marks), None, credited
    mark = rng.randint(0, question.max_marks)
    level = next((level for level in levels if level.contains(mark)), None)
    return mark, level, []


def build_demo_school(
    *,
    teachers: int,
    classes: int,
    students_per_class: int,
    tasks_per_class: int,
    questions_per_task: int,
    answered: float,
    marked: float,
    password: str,
    prefix: str = "demo",
    seed: int = 1,
    now: datetime | None = None,
) -> DemoSchool:
    """Build the school in one transaction; DemoSchoolExists if the prefix is taken.

    answered: the share of students who have written answers to a task (all its
    questions); those past the due time submitted, and about half of the rest.
    marked: the share of submitted work that is marked (every answer), released once the
    task is past its due time.
    Usernames are "<prefix>-teacher<n>" and "<prefix>-student<n>", all with `password`.
    """
    if not (teachers >= 1 and classes >= 1 and students_per_class >= 0):
        raise ValueError("A demo school needs at least one teacher and one class.")
    if not (0 <= answered <= 1 and 0 <= marked <= 1):
        raise ValueError("The shares answered and marked are between 0 and 1.")
    if tasks_per_class < 0 or questions_per_task < 1:
        raise ValueError("A task needs at least one question.")
    if User.objects.filter(username__startswith=f"{prefix}-").exists():
        raise DemoSchoolExists(
            f"A demo school with the prefix {prefix!r} is already in this database. "
            "Use another --prefix, or a fresh database."
        )
    started = time.perf_counter()
    now = now or timezone.now()
    rng = random.Random(seed)
    hashed = make_password(password)  # Once: hashing is deliberately slow.
    with transaction.atomic():
        school = _build(
            prefix=prefix,
            rng=rng,
            now=now,
            hashed=hashed,
            teachers=teachers,
            classes=classes,
            students_per_class=students_per_class,
            tasks_per_class=tasks_per_class,
            questions_per_task=questions_per_task,
            answered=answered,
            marked=marked,
        )
    # Planner statistics for the new rows, as a live database has them: without them
    # PostgreSQL plans for empty tables and the pages measured on the school mislead.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    school.seconds = time.perf_counter() - started
    return school


def _build(
    *,
    prefix,
    rng,
    now,
    hashed,
    teachers,
    classes,
    students_per_class,
    tasks_per_class,
    questions_per_task,
    answered,
    marked,
) -> DemoSchool:
    staff = User.objects.bulk_create(
        _user_rows(prefix, User.Role.TEACHER, teachers, hashed, rng), batch_size=BATCH
    )
    students = User.objects.bulk_create(
        _user_rows(prefix, User.Role.STUDENT, classes * students_per_class, hashed, rng),
        batch_size=BATCH,
    )
    lesson, passages = _lesson(prefix, staff[0])
    groups = SchoolClass.objects.bulk_create(
        SchoolClass(name=f"{prefix.title()} {10 + k % 4}{'ABCDEFGHJK'[k % 10]} History {k + 1}")
        for k in range(classes)
    )
    SchoolClass.teachers.through.objects.bulk_create(
        SchoolClass.teachers.through(schoolclass_id=g.id, user_id=staff[k % teachers].id)
        for k, g in enumerate(groups)
    )
    roster = {
        g.id: students[k * students_per_class : (k + 1) * students_per_class]
        for k, g in enumerate(groups)
    }
    Enrolment.objects.bulk_create(
        (Enrolment(school_class_id=g, student=s) for g, members in roster.items() for s in members),
        batch_size=BATCH,
    )
    CommentBankEntry.objects.bulk_create(
        CommentBankEntry(teacher=t, text=text, use_count=n)
        for t in staff
        for n, text in enumerate(FEEDBACK)
    )

    times = _due_times(tasks_per_class, now)
    tasks = Task.objects.bulk_create(
        (
            Task(
                title=f"Homework {t + 1}: the Great Leap Forward",
                instructions="Read the source, then answer every question.",
                owner=staff[k % teachers],
                opens_at=times[t][0],
                due_at=times[t][1],
                status=Task.Status.PUBLISHED,
            )
            for k in range(classes)
            for t in range(tasks_per_class)
        ),
        batch_size=BATCH,
    )
    task_class = {task.id: groups[i // tasks_per_class] for i, task in enumerate(tasks)}
    Task.classes.through.objects.bulk_create(
        (Task.classes.through(task_id=t, schoolclass_id=g.id) for t, g in task_class.items()),
        batch_size=BATCH,
    )
    Task.lessons.through.objects.bulk_create(
        (Task.lessons.through(task_id=task.id, lesson_id=lesson.id) for task in tasks),
        batch_size=BATCH,
    )
    questions = Question.objects.bulk_create(
        (
            Question(
                task=task,
                order=n,
                prompt=(
                    "Identify two aims of the Great Leap Forward."
                    if n % 2 == 0
                    else "Explain two consequences of the Great Leap Forward."
                ),
                max_marks=2 if n % 2 == 0 else 6,
                answer_type=Question.AnswerType.SHORT
                if n % 2 == 0
                else Question.AnswerType.EXTENDED,
                scheme_kind=Question.SchemeKind.POINTS
                if n % 2 == 0
                else Question.SchemeKind.LEVELS,
            )
            for task in tasks
            for n in range(questions_per_task)
        ),
        batch_size=BATCH,
    )
    Question.linked_passages.through.objects.bulk_create(
        (
            Question.linked_passages.through(question_id=q.id, passage_id=passages[q.order % 3].id)
            for q in questions
        ),
        batch_size=BATCH,
    )
    points = IndicativePoint.objects.bulk_create(
        (
            IndicativePoint(question=q, order=n, text=text, marks=1)
            for q in questions
            if q.is_points
            for n, text in enumerate(POINTS)
        ),
        batch_size=BATCH,
    )
    levels = Level.objects.bulk_create(
        (
            Level(question=q, number=n, min_marks=low, max_marks=high, descriptor=text)
            for q in questions
            if q.is_levels
            for n, low, high, text in LEVELS
        ),
        batch_size=BATCH,
    )
    points_of: dict[int, list] = {}
    for point in points:
        points_of.setdefault(point.question_id, []).append(point)
    levels_of: dict[int, list] = {}
    for level in levels:
        levels_of.setdefault(level.question_id, []).append(level)
    questions_of: dict[int, list] = {}
    for question in questions:
        questions_of.setdefault(question.task_id, []).append(question)

    # Work: who answered, submitted, was marked. Decided first, written in bulk after.
    plans = []
    for task in tasks:
        past_due = task.due_at < now
        for student in roster[task_class[task.id].id]:
            if rng.random() >= answered:
                continue
            submitted = past_due or rng.random() < 0.5
            is_marked = submitted and rng.random() < marked
            plans.append((task, student, submitted, is_marked, past_due))
    submissions = Submission.objects.bulk_create(
        (
            Submission(
                task=task,
                student=student,
                status=Submission.Status.SUBMITTED if submitted else Submission.Status.IN_PROGRESS,
                submitted_at=task.due_at - timedelta(hours=rng.randint(1, 48))
                if submitted
                else None,
                released_at=now if is_marked and past_due else None,
                overall_feedback=rng.choice(FEEDBACK) if is_marked else "",
            )
            for task, student, submitted, is_marked, past_due in plans
        ),
        batch_size=BATCH,
    )
    answers = []
    credits = []
    for submission, (task, _, _, is_marked, _) in zip(submissions, plans, strict=True):
        for question in questions_of[task.id]:
            text = _answer_text(rng, question)
            answer = Answer(
                submission=submission,
                question=question,
                text=text,
                version=rng.randint(1, 12),
                saved_at=submission.submitted_at or now - timedelta(minutes=rng.randint(1, 600)),
            )
            if is_marked:
                mark, level, credited = _mark(
                    rng, question, points_of.get(question.id, []), levels_of.get(question.id, [])
                )
                answer.mark, answer.level = mark, level
                answer.feedback = rng.choice(FEEDBACK)
                answer.marker_id = task.owner_id
                answer.marked_at = now
                answer.marking_version = 1
                answer.marked_scheme_version = question.scheme_version
                credits.append((answer, credited))
            answers.append(answer)
    Answer.objects.bulk_create(answers, batch_size=BATCH)
    Answer.credited_points.through.objects.bulk_create(
        (
            Answer.credited_points.through(answer_id=answer.id, indicativepoint_id=point.id)
            for answer, credited in credits
            for point in credited
        ),
        batch_size=BATCH,
    )
    submitted_ids = {s.id for s, plan in zip(submissions, plans, strict=True) if plan[2]}
    AnswerRevision.objects.bulk_create(
        (
            AnswerRevision(
                answer=answer, kind=AnswerRevision.Kind.SUBMITTED, attempt=1, text=answer.text
            )
            for answer in answers
            if answer.submission_id in submitted_ids
        ),
        batch_size=BATCH,
    )
    return DemoSchool(
        prefix=prefix,
        counts={
            "teachers": len(staff),
            "students": len(students),
            "classes": len(groups),
            "tasks": len(tasks),
            "questions": len(questions),
            "submissions": len(submissions),
            "submitted": len(submitted_ids),
            "answers": len(answers),
            "marked answers": len(credits),
        },
    )
