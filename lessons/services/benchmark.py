"""The Django side of `make bench`: which accounts and pages the load benchmark drives (the
plan), the scale curve (time and queries per page for classes of 30, 300 and 3,000
students, measured in-process), and a small in-process run of the load endpoints that the
tests use to exercise the harness without gunicorn or Locust.
"""

import contextlib
import statistics
import time
from datetime import datetime

from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.endpoints import ENDPOINTS, AutosaveState, request_for

from ..models import Answer, Enrolment, SchoolClass, Submission, Task, User
from .demo_school import DemoSchoolExists, build_demo_school

# The test client's requests carry this host name; the bench server allows it by default.
HOST = "localhost"


def _open_task_for(student: User, now: datetime) -> Task | None:
    """A task the student can still work on: open, not submitted."""
    return (
        Task.objects.visible_to_student(student, now)
        .filter(status=Task.Status.PUBLISHED, due_at__gt=now)
        .exclude(submissions__student=student, submissions__status=Submission.Status.SUBMITTED)
        .order_by("due_at", "id")
        .first()
    )


def _student_account(student: User, now: datetime) -> dict | None:
    task = _open_task_for(student, now)
    if task is None:
        return None
    question = task.questions.order_by("order", "id").first()
    answer = Answer.objects.filter(submission__task=task, submission__student=student).filter(
        question=question
    )
    version = answer.values_list("version", flat=True).first() or 0
    return {
        "username": student.username,
        "question": question.pk,
        "version": version,
        "owner": str(student.pk),
        "paths": {
            "baseline": reverse("bench_baseline"),
            "student task page": reverse("student_task", args=[task.pk]),
            "autosave": reverse("answer_save", args=[task.pk, question.pk]),
            "student dashboard": reverse("home"),
        },
    }


def _marked_task(school_class: SchoolClass) -> Task | None:
    """The class's task with the most submitted work: the one a teacher is marking."""
    return (
        Task.objects.filter(classes=school_class, status=Task.Status.PUBLISHED)
        .annotate(
            submitted=Count(
                "submissions", filter=Q(submissions__status=Submission.Status.SUBMITTED)
            )
        )
        .order_by("-submitted", "due_at", "id")
        .first()
    )


def _teacher_account(teacher: User) -> dict | None:
    school_class = SchoolClass.objects.for_teacher(teacher).order_by("id").first()
    task = _marked_task(school_class) if school_class else None
    if task is None:
        return None
    question = task.questions.order_by("order", "id").first()
    submission = (
        task.submissions.filter(status=Submission.Status.SUBMITTED).order_by("id").first()
        or task.submissions.order_by("id").first()
    )
    paths = {
        "marking by question": reverse("mark_by_question", args=[task.pk, question.pk]),
        "mark book": reverse("class_markbook", args=[school_class.pk]),
        "mark book CSV": reverse("class_markbook_csv", args=[school_class.pk]),
        "submissions overview": reverse("task_submissions", args=[task.pk]),
        "task statistics": reverse("task_statistics", args=[task.pk]),
        "teacher dashboard": reverse("home"),
    }
    if submission is not None:
        paths["marking by student"] = reverse("mark_by_student", args=[task.pk, submission.pk])
    return {"username": teacher.username, "class": school_class.pk, "paths": paths}


def bench_plan(*, prefix: str, students: int, teachers: int, now: datetime | None = None) -> dict:
    """Accounts for the simulated users: students with an open task to autosave into (one
    question each, so two users never race on one answer), and teachers with a class
    whose work they are marking."""
    now = now or timezone.now()
    enrolled = (
        Enrolment.objects.filter(student__username__startswith=f"{prefix}-student")
        .select_related("student")
        .order_by("school_class_id", "student_id")
    )
    # Spread over the classes: the first students of every class, then the next ones.
    by_class: dict[int, list[User]] = {}
    for enrolment in enrolled:
        by_class.setdefault(enrolment.school_class_id, []).append(enrolment.student)
    ordered = [s for rank in zip(*by_class.values(), strict=False) for s in rank]
    student_accounts = []
    for student in ordered:
        account = _student_account(student, now)
        if account:
            student_accounts.append(account)
        if len(student_accounts) >= students:
            break
    teacher_accounts = []
    for teacher in User.objects.filter(
        username__startswith=f"{prefix}-teacher", role=User.Role.TEACHER
    ).order_by("id"):
        account = _teacher_account(teacher)
        if account:
            teacher_accounts.append(account)
        if len(teacher_accounts) >= teachers:
            break
    return {"students": student_accounts, "teachers": teacher_accounts}


# Measuring in-process


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share between 0 and 1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summary(timings_ms: list[float], failures: int, seconds: float) -> dict:
    return {
        "requests": len(timings_ms),
        "failures": failures,
        "rps": len(timings_ms) / seconds if seconds else 0.0,
        "p50": percentile(timings_ms, 0.50),
        "p95": percentile(timings_ms, 0.95),
        "p99": percentile(timings_ms, 0.99),
    }


def _client_for(username: str) -> Client:
    client = Client(SERVER_NAME=HOST)
    client.force_login(User.objects.get(username=username))
    return client


def _send(client: Client, method: str, path: str, data, headers):
    if method == "POST":
        return client.post(path, data, headers=headers)
    return client.get(path, headers=headers)


def run_in_process(*, plan: dict, requests: int = 3) -> dict:
    """The load endpoints, one simulated user each, through Django's test client: no
    server, no load tool. The same figures as the load run, for the harness's own tests;
    the timings mean little."""
    results = {}
    for endpoint in ENDPOINTS:
        account = plan[f"{endpoint.role}s"][0]
        client = _client_for(account["username"])
        state = AutosaveState(account) if endpoint.name == "autosave" else None
        timings, failures = [], 0
        started = time.perf_counter()
        for _ in range(requests):
            method, path, data, headers = request_for(endpoint, account, state)
            begun = time.perf_counter()
            response = _send(client, method, path, data, headers)
            timings.append((time.perf_counter() - begun) * 1000)
            if response.status_code != 200:
                failures += 1
            if endpoint.name == "autosave":
                state.update(response.status_code, response.content.decode())
        results[endpoint.name] = {"max": summary(timings, failures, time.perf_counter() - started)}
    return results


# The scale curve

TEACHER_PAGES = [
    "teacher dashboard",
    "submissions overview",
    "marking by question",
    "marking by student",
    "task statistics",
    "mark book",
    "mark book CSV",
]
# The autosave first: its warm-up save starts the work if the student had not, so the task
# page is measured the same way (with a submission) at every size.
STUDENT_PAGES = ["student dashboard", "autosave", "student task page"]


def _measure(client: Client, request, repeats: int, state: AutosaveState | None = None) -> dict:
    """Median time, queries and size of a page, after one request to warm the caches."""
    method, path, data, headers = request()
    response = _send(client, method, path, data, headers)
    if state is not None:
        state.update(response.status_code, response.content.decode())
    if response.status_code != 200:
        raise RuntimeError(f"{method} {path} answered {response.status_code}")
    timings, counts = [], []
    for _ in range(repeats):
        method, path, data, headers = request()
        with CaptureQueriesContext(connection) as queries:
            begun = time.perf_counter()
            response = _send(client, method, path, data, headers)
            body = b"".join(response) if response.streaming else response.content
            timings.append((time.perf_counter() - begun) * 1000)
        counts.append(len(queries))
        if state is not None:
            state.update(response.status_code, body.decode())
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
    return {
        "ms": round(statistics.median(timings), 2),
        # The fewest of the repeats: now and then a request also reloads the school
        # settings, whose cache expires every 30 s, and that is not the page's own.
        "queries": min(counts),
        "kb": round(len(body) / 1024, 1),
    }


def _scale_class(size: int, *, tasks: int, questions: int, password: str) -> str:
    prefix = f"scale{size}"
    # Built by an earlier run on this database: measure it as it is.
    with contextlib.suppress(DemoSchoolExists):
        build_demo_school(
            teachers=1,
            classes=1,
            students_per_class=size,
            tasks_per_class=tasks,
            questions_per_task=questions,
            answered=0.8,
            marked=0.6,
            password=password,
            prefix=prefix,
            seed=size,
        )
    return prefix


def scale_curve(
    *, sizes: list[int], tasks: int = 10, questions: int = 3, repeats: int = 5, password: str
) -> dict:
    """Time and queries per page for one class of each size (its own teacher and tasks)."""
    pages: dict[str, dict] = {name: {} for name in TEACHER_PAGES + STUDENT_PAGES}
    built = {}
    for size in sizes:
        started = time.perf_counter()
        prefix = _scale_class(size, tasks=tasks, questions=questions, password=password)
        built[str(size)] = round(time.perf_counter() - started, 2)
        plan = bench_plan(prefix=prefix, students=1, teachers=1)
        teacher, student = plan["teachers"][0], plan["students"][0]
        client = _client_for(teacher["username"])
        for name in TEACHER_PAGES:
            path = teacher["paths"][name]
            pages[name][str(size)] = _measure(
                client, lambda path=path: ("GET", path, None, {}), repeats
            )
        client = _client_for(student["username"])
        state = AutosaveState(student)
        for name in STUDENT_PAGES:
            endpoint = next((e for e in ENDPOINTS if e.name == name), None)
            if endpoint is not None:
                request = _request_maker(endpoint, student, state)
            else:
                path = student["paths"][name]
                request = lambda path=path: ("GET", path, None, {})  # noqa: E731
            saving = state if name == "autosave" else None
            pages[name][str(size)] = _measure(client, request, repeats, saving)
    return {
        "sizes": sizes,
        "tasks": tasks,
        "questions": questions,
        "build_seconds": built,
        "pages": pages,
    }


def _request_maker(endpoint, account: dict, state: AutosaveState):
    def request():
        return request_for(endpoint, account, state)

    return request
