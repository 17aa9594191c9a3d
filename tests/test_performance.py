"""Performance: the session refresh policy, the benchmark's baseline view, the demo school
builder, query counts of the heavy pages, and a smoke run of the benchmark harness."""

import csv
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import run as bench_run
from bench.endpoints import BY_NAME, ENDPOINTS, AutosaveState, request_for
from bench.report import load_table, ratios, scale_table, write_json
from lessons.middleware import BACKGROUND_HEADER
from lessons.models import Answer, Question, SchoolClass, Submission, Task, User
from lessons.services import marking
from lessons.services.answering import AnswerRefused, save_student_answer, submit
from lessons.services.benchmark import bench_plan, run_in_process, scale_curve
from lessons.services.demo_school import DemoSchoolExists, build_demo_school

from .factories import QuestionFactory, TaskFactory

# The session refresh policy


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.fixture
def task(teacher, school_class):
    return TaskFactory(owner=teacher, classes=[school_class])


def test_page_views_do_not_rewrite_the_session_within_the_refresh_interval(
    teacher_client, settings, django_assert_num_queries
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        teacher_client.get(reverse("home"))
        expiry = session_row(teacher_client).expire_date
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_REFRESH_SECONDS - 5)):
        assert teacher_client.get(reverse("home")).status_code == 200
        assert "sessionid" not in teacher_client.get(reverse("home")).cookies
    assert session_row(teacher_client).expire_date == expiry


def test_a_request_after_the_refresh_interval_pushes_the_expiry_on(teacher_client, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        teacher_client.get(reverse("home"))
        first = session_row(teacher_client).expire_date
    later = start + timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = teacher_client.get(reverse("home"))
    assert "sessionid" in response.cookies
    assert session_row(teacher_client).expire_date == later + timedelta(
        seconds=settings.SESSION_COOKIE_AGE
    )
    assert session_row(teacher_client).expire_date > first


def test_an_idle_session_still_times_out(teacher_client, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert teacher_client.get(reverse("home")).status_code == 200
    idle = start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(idle, tick=False):
        response = teacher_client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_active_every_few_minutes_stays_logged_in_past_the_timeout(teacher_client, settings):
    start = timezone.now()
    step = timedelta(seconds=settings.SESSION_REFRESH_SECONDS // 2)
    moment = start
    while moment < start + timedelta(seconds=settings.SESSION_COOKIE_AGE * 2):
        with time_machine.travel(moment, tick=False):
            assert teacher_client.get(reverse("home")).status_code == 200
        moment += step


def test_the_live_refresh_of_the_overview_does_not_keep_a_session_alive(
    teacher_client, task, settings
):
    url = reverse("task_submissions", args=[task.pk])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert teacher_client.get(url).status_code == 200
        expiry = session_row(teacher_client).expire_date
    headers = {"HX-Request": "true", "HX-Target": "submissions-overview", BACKGROUND_HEADER: "true"}
    # The overview polls every 20 s; minutes apart is enough to cross every refresh interval.
    step = timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 1)
    moment = start + step
    while moment < start + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60):
        with time_machine.travel(moment, tick=False):
            response = teacher_client.get(url, headers=headers)
            assert response.status_code == 200
            assert "sessionid" not in response.cookies
        moment += step
    assert session_row(teacher_client).expire_date == expiry
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        response = teacher_client.get(url, headers=headers)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_overview_marks_its_live_refresh_as_a_background_request(teacher_client, task):
    html = teacher_client.get(reverse("task_submissions", args=[task.pk])).content.decode()
    section = html[html.index('id="submissions-overview"') :]
    section = section[: section.index(">")]
    assert "data-live-refresh" in section
    assert f'hx-headers=\'{{"{BACKGROUND_HEADER}": "true"}}\'' in section


def test_logging_out_leaves_no_session_behind(teacher_client):
    key = teacher_client.session.session_key
    teacher_client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert Session.objects.count() == 0


# The benchmark's baseline view


@pytest.fixture
def bench_on(settings):
    settings.GLF_BENCH_ENDPOINTS = True


def test_the_baseline_view_is_a_404_unless_the_benchmark_turns_it_on(teacher_client, client):
    assert teacher_client.get(reverse("bench_baseline")).status_code == 404


def test_the_baseline_view_is_a_404_for_anonymous_users_too_when_off(client, db):
    assert client.get(reverse("bench_baseline")).status_code == 404


def test_the_baseline_view_sends_anonymous_users_to_log_in(client, db, bench_on):
    response = client.get(reverse("bench_baseline"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_baseline_view_answers_ok_to_teachers_and_students(
    teacher_client, student_client, bench_on
):
    for client in (teacher_client, student_client):
        response = client.get(reverse("bench_baseline"))
        assert response.status_code == 200
        assert response.content == b"ok\n"


def test_the_baseline_view_loads_only_the_session_and_the_user(
    student_client, bench_on, django_assert_num_queries
):
    student_client.get(reverse("bench_baseline"))  # The school settings are cached after this.
    with django_assert_num_queries(2) as captured:
        student_client.get(reverse("bench_baseline"))
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "django_session" in tables and "lessons_user" in tables


def test_the_baseline_view_refuses_posts(student_client, bench_on):
    assert student_client.post(reverse("bench_baseline")).status_code == 405


# The demo school


def small_school(**overrides):
    options = {
        "teachers": 2,
        "classes": 3,
        "students_per_class": 4,
        "tasks_per_class": 3,
        "questions_per_task": 2,
        "answered": 1.0,
        "marked": 1.0,
        "password": "demo-pass-123",
        "prefix": "t",
    }
    return build_demo_school(**{**options, **overrides})


def test_the_demo_school_has_the_rows_asked_for(db):
    school = small_school()
    assert school.counts["students"] == 12 and school.counts["teachers"] == 2
    students = User.objects.filter(username__startswith="t-student", role=User.Role.STUDENT)
    assert students.count() == 12
    assert (
        User.objects.filter(username__startswith="t-teacher", role=User.Role.TEACHER).count() == 2
    )
    classes = SchoolClass.objects.filter(name__startswith="T ")
    assert classes.count() == 3
    for school_class in classes:
        assert school_class.enrolments.count() == 4
        assert school_class.teachers.count() == 1
        assert school_class.tasks.count() == 3
    assert Task.objects.filter(classes__in=classes).count() == 9
    assert Question.objects.filter(task__classes__in=classes).count() == 18
    # Everyone answered every task: 9 tasks × 4 students, 2 answers each.
    assert Submission.objects.filter(task__classes__in=classes).count() == 36
    assert Answer.objects.filter(submission__task__classes__in=classes).count() == 72
    assert school.counts["answers"] == 72


def test_the_demo_school_marks_inside_the_mark_scheme(db):
    small_school()
    marked = Answer.objects.filter(mark__isnull=False).select_related("question", "level")
    assert marked.exists()
    for answer in marked.prefetch_related("credited_points"):
        question = answer.question
        assert 0 <= answer.mark <= question.max_marks
        assert answer.submission.status == Submission.Status.SUBMITTED
        if question.is_points:
            credited = sum(p.marks for p in answer.credited_points.all())
            assert answer.mark == min(credited, question.max_marks)
        elif answer.mark:
            assert answer.level.contains(answer.mark)
    # Past due work is submitted; the last two tasks of each class are still open.
    now = timezone.now()
    assert not Submission.objects.filter(
        task__due_at__lt=now, status=Submission.Status.IN_PROGRESS
    ).exists()
    assert Task.objects.filter(due_at__gt=now).count() == 6
    released = Submission.objects.filter(released_at__isnull=False)
    assert released.exists() and not released.filter(task__due_at__gt=now).exists()


def test_the_demo_school_answers_only_the_share_asked_for(db):
    small_school(answered=0.0)
    assert not Submission.objects.exists()
    small_school(prefix="u", answered=1.0, marked=0.0)
    assert Submission.objects.exists() and not Answer.objects.filter(mark__isnull=False).exists()


def test_the_demo_logins_work_with_the_password_given(db):
    small_school()
    user = User.objects.get(username="t-student1")
    assert user.check_password("demo-pass-123")
    assert not user.check_password("wrong")


def test_the_demo_school_refuses_to_build_twice_with_one_prefix(db):
    small_school()
    with pytest.raises(DemoSchoolExists):
        small_school()
    assert User.objects.filter(username__startswith="t-").count() == 14
    small_school(prefix="v")
    assert User.objects.filter(username__startswith="v-").count() == 14


def test_make_demo_school_prints_what_it_built_and_refuses_a_second_run(db):
    out = io.StringIO()
    call_command(
        "make_demo_school",
        "--classes=2",
        "--students-per-class=3",
        "--tasks-per-class=2",
        "--teachers=1",
        "--answered=50%",
        "--password=demo-pass-123",
        stdout=out,
    )
    assert "Built demo school 'demo'" in out.getvalue()
    assert "students: 6," in out.getvalue() and "demo-student6" in out.getvalue()
    with pytest.raises(CommandError, match="already in this database"):
        call_command("make_demo_school", "--classes=1", stdout=io.StringIO())


# The benchmark harness, in-process (no gunicorn, no Locust)


@pytest.fixture
def demo_school(db):
    return small_school(prefix="demo", classes=2, teachers=1, tasks_per_class=3, marked=0.5)


def test_the_plan_gives_students_open_work_and_teachers_a_class_to_mark(demo_school):
    plan = bench_plan(prefix="demo", students=5, teachers=3)
    assert len(plan["students"]) == 5 and len(plan["teachers"]) == 1
    for account in plan["students"]:
        student = User.objects.get(username=account["username"])
        task = Task.objects.get(questions=account["question"])
        assert task.due_at > timezone.now()
        assert not Submission.objects.filter(
            task=task, student=student, status=Submission.Status.SUBMITTED
        ).exists()
    # One answer per simulated student: two users never race on one answer.
    assert len({a["username"] for a in plan["students"]}) == 5


def test_the_in_process_run_drives_every_endpoint_without_a_failure(demo_school, bench_on):
    plan = bench_plan(prefix="demo", students=2, teachers=1)
    results = run_in_process(plan=plan, requests=3)
    assert list(results) == [endpoint.name for endpoint in ENDPOINTS]
    for name, phases in results.items():
        assert phases["max"]["requests"] == 3, name
        assert phases["max"]["failures"] == 0, name
        assert phases["max"]["p50"] <= phases["max"]["p95"] <= phases["max"]["p99"]
    saver = plan["students"][0]
    answer = Answer.objects.get(
        question_id=saver["question"], submission__student__username=saver["username"]
    )
    assert answer.version == saver["version"] + 3
    assert answer.text.startswith("Draft 3:")


def test_the_report_prints_ratios_to_the_baseline_and_writes_json(tmp_path, demo_school, bench_on):
    plan = bench_plan(prefix="demo", students=2, teachers=1)
    results = run_in_process(plan=plan, requests=2)
    table = load_table(results, rate=100)
    assert "baseline" in table.splitlines()[2] and "1.00" in table.splitlines()[2]
    assert all(name in table for name in results)
    path = write_json({"load": results, "conditions": {"cores": 2}}, tmp_path, "stamp")
    data = json.loads(path.read_text())
    assert data["ratios"]["baseline"] == 1.0
    assert set(data["ratios"]) == set(results)
    assert json.loads((tmp_path / "latest.json").read_text()) == data


def test_ratios_compare_maximum_throughput_with_the_baseline():
    figures = {
        "baseline": {"max": {"rps": 400.0}},
        "autosave": {"max": {"rps": 220.0}},
        "mark book": {"fixed": {"rps": 100.0}},
    }
    assert ratios(figures) == {"baseline": 1.0, "autosave": 0.55, "mark book": None}


def test_the_scale_curve_measures_every_page_with_the_same_queries_at_each_size(db, bench_on):
    scale = scale_curve(sizes=[3, 9], tasks=2, questions=2, repeats=1, password="demo-pass-123")
    assert scale["sizes"] == [3, 9]
    for page, by_size in scale["pages"].items():
        assert set(by_size) == {"3", "9"}, page
        assert by_size["3"]["queries"] == by_size["9"]["queries"], page
        assert by_size["3"]["ms"] > 0
    assert "mark book" in scale_table(scale)


def test_bench_pages_refuses_a_plan_without_a_demo_school(db, tmp_path):
    with pytest.raises(CommandError, match="make_demo_school"):
        call_command("bench_pages", "plan", f"--out={tmp_path / 'plan.json'}")


def test_bench_pages_writes_the_plan(demo_school, tmp_path):
    out = tmp_path / "plan.json"
    call_command("bench_pages", "plan", f"--out={out}", "--students=3", stdout=io.StringIO())
    assert len(json.loads(out.read_text())["students"]) == 3


def test_make_bench_says_what_to_set_without_a_database_url(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert bench_run.main([]) == 2
    assert "DATABASE_URL=postgresql://" in capsys.readouterr().err


def test_the_bench_database_sits_next_to_the_one_given():
    url, name = bench_run.bench_database_url("postgresql://glf:pw@db.internal:5432/glf")
    assert name == "glf_bench"
    assert url == "postgresql://glf:pw@db.internal:5432/glf_bench"
    with pytest.raises(SystemExit):
        bench_run.bench_database_url("sqlite:///var/db.sqlite3")


# Query counts of the autosave


def autosave_post(client, account, state):
    method, path, data, headers = request_for(BY_NAME["autosave"], account, state)
    response = client.post(path, data, headers=headers)
    state.update(response.status_code, response.content.decode())
    return response


def test_an_autosave_takes_the_same_few_queries_in_a_small_and_a_large_school(
    db, bench_on, django_assert_num_queries
):
    counts = []
    for prefix, classes, size in (("small", 1, 3), ("large", 4, 30)):
        small_school(prefix=prefix, classes=classes, students_per_class=size, answered=0.5)
        account = bench_plan(prefix=prefix, students=1, teachers=1)["students"][0]
        client = Client()
        client.force_login(User.objects.get(username=account["username"]))
        state = AutosaveState(account)
        assert autosave_post(client, account, state).status_code == 200  # Warm the caches.
        with CaptureQueriesContext(connection) as captured:
            assert autosave_post(client, account, state).status_code == 200
        counts.append(len(captured))
        sql = [q["sql"] for q in captured.captured_queries]
        # Session, user, task, question, the submission locked, one UPDATE of the answer
        # (its version in the WHERE), the submission's time: no SELECT of the answer.
        assert sum(s.startswith("UPDATE") for s in sql) == 2
        assert not any(s.startswith("SELECT") and 'FROM "lessons_answer"' in s for s in sql)
    assert counts[0] == counts[1]


def test_a_first_save_starts_the_work_and_an_empty_one_does_not(student, task, db):
    question = QuestionFactory(task=task)
    result = save_student_answer(
        task=task, student=student, question=question, text="   ", base_version=0
    )
    assert result.outcome == "unchanged" and not Submission.objects.exists()
    result = save_student_answer(
        task=task, student=student, question=question, text="Communes", base_version=0
    )
    assert result.outcome == "saved" and result.version == 1
    answer = Answer.objects.get(submission__student=student, question=question)
    assert answer.text == "Communes" and answer.version == 1


def test_the_one_statement_save_still_refuses_a_stale_version(student, task, db):
    question = QuestionFactory(task=task)
    save_student_answer(task=task, student=student, question=question, text="A", base_version=0)
    save_student_answer(task=task, student=student, question=question, text="B", base_version=1)
    stale = save_student_answer(
        task=task, student=student, question=question, text="C", base_version=1
    )
    assert stale.is_conflict and stale.version == 2 and stale.text == "B"
    again = save_student_answer(
        task=task, student=student, question=question, text="B", base_version=1
    )
    assert again.outcome == "unchanged" and again.version == 2
    assert Answer.objects.get(question=question).text == "B"


def test_a_save_based_on_a_version_of_an_answer_that_does_not_exist_is_a_conflict(
    student, task, db
):
    question = QuestionFactory(task=task)
    save_student_answer(task=task, student=student, question=question, text="A", base_version=0)
    other = QuestionFactory(task=task)
    result = save_student_answer(
        task=task, student=student, question=other, text="Text", base_version=3
    )
    assert result.is_conflict and result.version == 0
    assert not Answer.objects.filter(question=other).exists()


def test_saving_into_submitted_work_is_refused_on_the_autosave_path(student, task, db):
    question = QuestionFactory(task=task)
    save_student_answer(task=task, student=student, question=question, text="A", base_version=0)
    submit(submission=Submission.objects.get(student=student))
    with pytest.raises(AnswerRefused):
        save_student_answer(
            task=task, student=student, question=question, text="After", base_version=1
        )
    assert Answer.objects.get(question=question).text == "A"


# The mark book, a page of students at a time; its CSV complete


@pytest.fixture
def big_class(db):
    """A class of 7 students, 2 tasks, every answer marked."""
    small_school(prefix="mb", classes=1, students_per_class=7, tasks_per_class=2, marked=1.0)
    teacher = User.objects.get(username="mb-teacher1")
    return teacher, SchoolClass.objects.get(teachers=teacher)


@pytest.fixture
def pages_of_3(monkeypatch):
    monkeypatch.setattr(marking, "MARKBOOK_PAGE_SIZE", 3)
    monkeypatch.setattr(marking, "MARKBOOK_CSV_CHUNK", 3)


def names_in_order(school_class):
    students = User.objects.filter(enrolments__school_class=school_class)
    return [
        s.display_name
        for s in sorted(students, key=lambda s: (s.display_name.casefold(), s.username))
    ]


def test_the_mark_book_shows_a_page_of_students_with_links_to_the_others(
    client, big_class, pages_of_3
):
    teacher, school_class = big_class
    client.force_login(teacher)
    url = reverse("class_markbook", args=[school_class.pk])
    names = names_in_order(school_class)
    first = client.get(url).content.decode()
    assert "Students 1–3 of 7" in first and "Page 1 of 3" in first
    assert 'href="?page=2"' in first and 'href="?page=0"' not in first
    assert all(name in first for name in names[:3])
    assert not any(name in first for name in names[3:] if name not in names[:3])
    last = client.get(url + "?page=3").content.decode()
    assert "Students 7–7 of 7" in last and names[6] in last and 'href="?page=2"' in last
    assert client.get(url + "?page=99").content.decode().count("Students 7–7 of 7") == 2
    assert "Students 1–3 of 7" in client.get(url + "?page=abc").content.decode()


def test_a_small_class_has_no_page_links(teacher_client, school_class):
    html = teacher_client.get(reverse("class_markbook", args=[school_class.pk])).content.decode()
    assert "Pages of the mark book" not in html


def test_the_class_mean_covers_every_student_not_only_the_page(big_class, pages_of_3):
    _, school_class = big_class
    whole = marking.markbook(school_class=school_class)
    page = marking.markbook(school_class=school_class, page=1)
    assert len(page.rows) == 3 and len(whole.rows) == 7
    for number, column in enumerate(page.tasks):
        percents = [row.cells[number].percent for row in whole.rows]
        percents = [p for p in percents if p is not None]
        assert percents, "every answer is marked in this class"
        assert column.marked == len(percents)
        assert column.mean_percent == round(sum(percents) / len(percents))


def test_the_csv_has_every_student_read_in_chunks(client, big_class, pages_of_3):
    teacher, school_class = big_class
    client.force_login(teacher)
    response = client.get(reverse("class_markbook_csv", args=[school_class.pk]))
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    assert header[:2] == ["Student", "Username"] and len(header) == 2 + 2 * 3
    assert [row[0] for row in rows] == names_in_order(school_class)
    assert rows == marking.markbook_table(marking.markbook(school_class=school_class))[1:]


def test_a_mark_book_page_takes_the_same_queries_for_a_class_of_4_and_of_12(
    client, db, pages_of_3, django_assert_num_queries
):
    counts = []
    for prefix, size in (("four", 4), ("twelve", 12)):
        small_school(prefix=prefix, classes=1, students_per_class=size, tasks_per_class=2)
        teacher = User.objects.get(username=f"{prefix}-teacher1")
        client.force_login(teacher)
        school_class = SchoolClass.objects.get(teachers=teacher)
        for url in (
            reverse("class_markbook", args=[school_class.pk]) + "?page=2",
            reverse("class_markbook_csv", args=[school_class.pk]),
        ):
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)
            counts.append(len(captured))
    # The CSV reads one chunk of 3 students per query: 2 chunks for 4 students, 4 for 12.
    page_small, csv_small, page_large, csv_large = counts
    assert page_small == page_large
    assert csv_large - csv_small == 2


# The submissions overview, a page of students at a time


@pytest.fixture
def overview_pages_of_3(monkeypatch):
    monkeypatch.setattr(marking, "OVERVIEW_PAGE_SIZE", 3)


def marked_task(school_class):
    return Task.objects.filter(classes=school_class).order_by("due_at").first()


def test_the_overview_shows_a_page_of_students_and_counts_for_the_whole_task(
    client, big_class, overview_pages_of_3
):
    teacher, school_class = big_class
    client.force_login(teacher)
    task = marked_task(school_class)
    url = reverse("task_submissions", args=[task.pk])
    whole = marking.task_overview(task=task)
    assert len(whole.rows) == 7
    names = [row.student.display_name for row in whole.rows]
    first = client.get(url).content.decode()
    assert "Students 1–3 of 7" in first and 'href="?page=2"' in first
    assert all(name in first for name in names[:3])
    second = client.get(url + "?page=2").content.decode()
    assert "Students 4–6 of 7" in second and all(name in second for name in names[3:6])
    # The counts are the task's, whatever page is shown.
    for state, _, count in whole.counts:
        assert f'id="count-{state}">{count}<' in second
    # The live refresh keeps to the page shown.
    assert f'hx-get="{url}?page=2"' in second


def test_an_overview_page_is_the_same_rows_as_the_whole_list(big_class, overview_pages_of_3):
    _, school_class = big_class
    task = marked_task(school_class)
    whole = marking.task_overview(task=task)
    paged = [marking.task_overview(task=task, page=n) for n in (1, 2, 3)]
    assert [p.pages for p in paged] == [3, 3, 3]
    rows = [row for page in paged for row in page.rows]
    assert [(r.student.pk, r.state, r.number) for r in rows] == [
        (r.student.pk, r.state, r.number) for r in whole.rows
    ]
    assert [r.submission.pk if r.submission else None for r in rows] == [
        r.submission.pk if r.submission else None for r in whole.rows
    ]
    assert all(page.counts == whole.counts for page in paged)


def test_an_anonymous_overview_pages_only_the_students_who_started(big_class, overview_pages_of_3):
    _, school_class = big_class
    task = marked_task(school_class)
    task.anonymous_marking = True
    task.save()
    started = Submission.objects.filter(task=task).count()
    overview = marking.task_overview(task=task, page=1)
    assert overview.student_count == started
    assert [row.number for row in overview.rows] == list(range(1, min(3, started) + 1))
    assert overview.not_started_hidden == 7 - started


def test_an_overview_page_takes_the_same_queries_for_4_and_for_12_students(
    client, db, overview_pages_of_3
):
    counts = []
    for prefix, size in (("four", 4), ("twelve", 12)):
        small_school(prefix=prefix, classes=1, students_per_class=size, tasks_per_class=2)
        teacher = User.objects.get(username=f"{prefix}-teacher1")
        client.force_login(teacher)
        task = marked_task(SchoolClass.objects.get(teachers=teacher))
        url = reverse("task_submissions", args=[task.pk]) + "?page=2"
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
