"""Data-protection requests: export one student's data, erase it, purge old answers."""

import io
import json
import zipfile
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lessons.models import Answer, Enrolment, Submission, Task, User
from lessons.services.backup import export_school
from lessons.services.data_protection import (
    erase_student,
    rows_referencing_user,
    student_export_data,
    user_reference_fields,
)

from .factories import (
    AnswerFactory,
    QuestionFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
)
from .school_data import build_school


@pytest.fixture
def school(teacher, student, school_class):
    return build_school(teacher=teacher, student=student, school_class=school_class)


def read_export(path) -> tuple[dict, str]:
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["data.json", "index.html"]
        return json.loads(archive.read("data.json")), archive.read("index.html").decode()


def export_of(username, tmp_path) -> tuple[dict, str]:
    path = tmp_path / "export.zip"
    call_command("export_student", username, "--output", str(path), stdout=StringIO())
    return read_export(path)


# Export ------------------------------------------------------------------------------------


def test_export_student_holds_account_classes_answers_history_marks_and_feedback(school, tmp_path):
    data, html = export_of("sam_student", tmp_path)

    assert data["format"] == "glf-student-export"
    assert data["account"]["username"] == "sam_student"
    assert data["account"]["full_name"] == "Sam Student"
    assert [c["name"] for c in data["classes"]] == ["12H History"]
    assert data["classes"][0]["joined_at"]
    assert data["classes"][0]["teachers"] == ["Ms Teacher"]

    [submission] = data["submissions"]
    assert submission["overall_feedback"] == "A thoughtful piece of work overall."
    assert submission["is_late"] is True
    assert submission["total_mark"] == 7
    points, levels = submission["answers"]
    assert points["text"] == "Plots were abolished and work points replaced wages."
    assert points["mark"] == 2
    assert points["feedback"] == "Both points made clearly."
    assert points["credited_points"] == ["Private plots abolished", "Work points, not wages"]
    assert points["marker"] == "Ms Teacher"
    assert points["history"][0]["text"] == "My first try at the communes answer."
    assert levels["level"]["number"] == 2
    assert levels["history"][0]["feedback"] == "Returned: add evidence."
    assert levels["evidence_links"][0]["quote"] == "People's Communes"
    assert levels["evidence_links"][0]["lesson"] == "The Great Leap Forward"

    for text in (
        "Sam Student",
        "12H History",
        "Plots were abolished and work points replaced wages.",
        "My first try at the communes answer.",
        "A thoughtful piece of work overall.",
        "Well argued, use more evidence.",
        "Private plots abolished",
    ):
        assert text in html


def test_export_student_leaves_out_the_password_hash_and_other_students(school, tmp_path):
    data, html = export_of("sam_student", tmp_path)
    raw = json.dumps(data)
    assert "password" not in data["account"]
    assert User.objects.get(username="sam_student").password not in raw
    assert "md5$" not in raw
    assert "Cara" not in raw and "Cara" not in html


def test_export_student_html_escapes_everything_the_student_typed(teacher, school_class, tmp_path):
    hostile = StudentFactory(username="hostile", full_name="<script>alert('name')</script>")
    Enrolment.objects.create(school_class=school_class, student=hostile)
    task = TaskFactory(owner=teacher, classes=[school_class])
    AnswerFactory(
        submission=SubmissionFactory(task=task, student=hostile),
        question=QuestionFactory(task=task),
        text='<img src=x onerror="alert(1)"> & <b>bold</b>',
    )
    data, html = export_of("hostile", tmp_path)
    assert data["account"]["full_name"] == "<script>alert('name')</script>"
    assert "<script>" not in html
    assert "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_export_student_lists_rows_of_other_models_that_point_at_the_student(school, tmp_path):
    # A student who once marked (a model another area might add would look the same).
    Answer.objects.filter(submission__student=school.classmate).update(marker=school.student)
    data, _ = export_of("sam_student", tmp_path)
    relations = [record["relation"] for record in data["other_records"]]
    assert "lessons.Answer.marker" in relations


def test_export_student_costs_the_same_queries_for_one_task_or_many(
    teacher, student, school_class, django_assert_num_queries
):
    def add_task():
        task = TaskFactory(owner=teacher, classes=[school_class])
        submission = SubmissionFactory(task=task, student=student)
        for _ in range(3):
            AnswerFactory(submission=submission, question=QuestionFactory(task=task))

    add_task()
    student_export_data(student=student)  # warm the school-settings cache
    with CaptureQueriesContext(connection) as small:
        student_export_data(student=student)
    for _ in range(4):
        add_task()
    with django_assert_num_queries(len(small.captured_queries)):
        data = student_export_data(student=student)
    assert len(data["submissions"]) == 5


@pytest.mark.parametrize(
    ("username", "message"),
    [("ms_teacher", "teacher account, not a student"), ("nobody", "no account")],
)
def test_export_and_erase_refuse_anyone_but_a_student(teacher, username, message):
    for command in ("export_student", "erase_student"):
        with pytest.raises(CommandError, match=message):
            call_command(command, username, "--yes" if command == "erase_student" else "-o=x")


# Erase -------------------------------------------------------------------------------------


def make_traces(student, client) -> None:
    """Sessions, login records and an admin log entry: all point at the student."""
    client.force_login(student)
    for model, extra in (
        (AccessAttempt, {"get_data": "", "post_data": "", "failures_since_start": 2}),
        (AccessLog, {}),
        (AccessFailureLog, {}),
    ):
        model.objects.create(
            username=student.username,
            ip_address="127.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            **extra,
        )
    LogEntry.objects.log_actions(
        user_id=User.objects.get(username="head_of_history").pk,
        queryset=[student],
        action_flag=CHANGE,
        change_message="Reset password",
        single_object=True,
    )


def test_erase_student_leaves_no_row_referencing_the_student(school, client):
    student = school.student
    make_traces(student, client)
    student_id = student.pk
    assert rows_referencing_user(student_id)  # the check sees what it should

    out = StringIO()
    call_command("erase_student", "sam_student", "--yes", stdout=out)
    assert "Erased sam_student" in out.getvalue()

    assert not get_user_model().objects.filter(pk=student_id).exists()
    assert rows_referencing_user(student_id) == {}
    # The same check, spelled out over every foreign key to the user model.
    fields = user_reference_fields()
    assert len(fields) >= 10
    for model, field in fields:
        assert not model._default_manager.filter(**{field.attname: student_id}).exists()
    assert not AccessAttempt.objects.filter(username="sam_student").exists()
    assert not AccessLog.objects.filter(username="sam_student").exists()
    assert not AccessFailureLog.objects.filter(username="sam_student").exists()
    user_type = ContentType.objects.get_for_model(User)
    assert not LogEntry.objects.filter(content_type=user_type, object_id=str(student_id)).exists()
    assert not Session.objects.exists()


def test_after_erasing_the_student_appears_nowhere_in_a_full_school_export(school, client):
    make_traces(school.student, client)
    erase_student(student=school.student)
    buffer = io.BytesIO()
    export_school(stream=buffer)
    with zipfile.ZipFile(buffer) as archive:
        dump = archive.read("data.json").decode() + archive.read("manifest.json").decode()
    for trace in ("sam_student", "Sam Student", "My first try at the communes answer."):
        assert trace not in dump
    assert "Cara's own answer about communes." in dump


def test_erasing_keeps_everyone_elses_work(school):
    erase_student(student=school.student)
    assert Submission.objects.filter(student=school.classmate).count() == 1
    assert Task.objects.count() == 1
    assert Answer.objects.count() == 1
    assert school.school_class.enrolments.count() == 1


def test_erase_student_asks_for_the_username_and_changes_nothing_without_it(school):
    for typed in (EOFError, "yes"):
        with (
            mock.patch("builtins.input", side_effect=[typed]),
            pytest.raises(CommandError),
        ):
            call_command("erase_student", "sam_student", stdout=StringIO())
    assert User.objects.filter(username="sam_student").exists()
    assert Answer.objects.filter(submission__student=school.student).count() == 2


def test_erase_student_goes_ahead_when_the_username_is_typed(school):
    with mock.patch("builtins.input", return_value="sam_student") as asked:
        call_command("erase_student", "sam_student", stdout=StringIO())
    prompt = asked.call_args.args[0]
    assert "2 answers" in prompt and "1 submissions" in prompt
    assert not User.objects.filter(username="sam_student").exists()


# Retention ---------------------------------------------------------------------------------


@pytest.fixture
def archived_setup(teacher, student):
    """Tasks in classes archived long ago, recently, partly, or not at all."""
    now = timezone.now()

    def task_with_answer(name, *archived_days_ago):
        classes = [
            SchoolClassFactory(
                name=f"{name} {i}",
                teachers=[teacher],
                archived_at=None if days is None else now - timedelta(days=days),
            )
            for i, days in enumerate(archived_days_ago)
        ]
        task = TaskFactory(title=name, owner=teacher, classes=classes)
        AnswerFactory(submission=SubmissionFactory(task=task, student=student))
        return task

    return {
        "long ago": task_with_answer("long ago", 400, 380),
        "recently": task_with_answer("recently", 30),
        "one still in use": task_with_answer("one still in use", 400, None),
        "in use": task_with_answer("in use", None),
        "no class": task_with_answer("no class"),
    }


def submissions_left() -> set[str]:
    return set(Submission.objects.values_list("task__title", flat=True))


def test_purge_deletes_answers_of_tasks_whose_classes_were_all_archived_long_ago(
    archived_setup, settings
):
    settings.RETENTION_DAYS = 365
    out = StringIO()
    call_command("purge_archived_answers", stdout=out)
    assert "Deleted 1 submissions (1 answers) of 1 tasks" in out.getvalue()
    assert submissions_left() == {"recently", "one still in use", "in use", "no class"}
    # The tasks themselves (the teacher's work) stay.
    assert Task.objects.count() == 5


def test_purge_dry_run_only_counts(archived_setup):
    out = StringIO()
    call_command("purge_archived_answers", "--dry-run", "--days", "10", stdout=out)
    assert "Would delete 2 submissions (2 answers) of 2 tasks" in out.getvalue()
    assert len(submissions_left()) == 5


def test_purge_days_option_overrides_the_setting(archived_setup, settings):
    settings.RETENTION_DAYS = 1000
    call_command("purge_archived_answers", "--days", "10", stdout=StringIO())
    assert submissions_left() == {"one still in use", "in use", "no class"}


def test_purge_waits_for_the_last_class_to_pass_the_retention_period(teacher, student):
    with time_machine.travel("2025-01-01 12:00Z"):
        old = SchoolClassFactory(teachers=[teacher], archived_at=timezone.now())
    with time_machine.travel("2025-06-01 12:00Z"):
        newer = SchoolClassFactory(teachers=[teacher], archived_at=timezone.now())
    task = TaskFactory(owner=teacher, classes=[old, newer])
    SubmissionFactory(task=task, student=student)
    with time_machine.travel("2026-01-15 12:00Z"):
        call_command("purge_archived_answers", "--days", "365", stdout=StringIO())
        assert Submission.objects.count() == 1
    with time_machine.travel("2026-06-02 12:00Z"):
        call_command("purge_archived_answers", "--days", "365", stdout=StringIO())
        assert Submission.objects.count() == 0
