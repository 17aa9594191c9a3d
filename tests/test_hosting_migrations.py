"""Upgrades: every model change has its migration, and migrations go forward and back."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from lessons.models import Answer, User


def lessons_migrations() -> list[tuple[str, str]]:
    """The lessons app's migrations, oldest first (the graph's order)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = loader.graph.leaf_nodes("lessons")[0]
    return [node for node in loader.graph.forwards_plan(leaf) if node[0] == "lessons"]


def table_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def test_every_model_change_has_its_migration(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"A model change has no migration (exit {exit_.code}):\n{out.getvalue()}")


def test_every_migration_of_the_app_can_be_reversed_or_says_why_not():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in lessons_migrations():
        migration = loader.get_migration(app, name)
        if getattr(migration, "irreversible_reason", ""):
            continue
        for operation in migration.operations:
            assert operation.reversible, (
                f"{name}: {operation.describe()} cannot be reversed. Give it a reverse "
                "(e.g. reverse_code for RunPython) or set irreversible_reason on the migration."
            )


def test_there_is_one_line_of_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert len(loader.graph.leaf_nodes("lessons")) == 1, "two leaf migrations: merge them"


@pytest.mark.django_db(transaction=True)
def test_migrate_from_zero_to_the_latest_and_back():
    names = lessons_migrations()
    latest = names[-1]
    assert "lessons_user" in table_names()

    migrate([("lessons", None)])
    assert not {"lessons_user", "lessons_answer", "lessons_schoolsettings"} & table_names()

    migrate([latest])
    assert {"lessons_user", "lessons_answer", "lessons_schoolsettings"} <= table_names()
    # Migrating to zero also unapplied the admin's log (it points at users); bring it back.
    call_command("migrate", verbosity=0)
    assert "django_admin_log" in table_names()


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_from_the_previous_migration_keeps_the_data_and_can_roll_back():
    names = lessons_migrations()
    if len(names) < 2:
        pytest.skip("Only one migration: there is no previous release to upgrade from.")
    previous, latest = names[-2], names[-1]

    executor = migrate([previous])
    old_apps = executor.loader.project_state([previous]).apps
    OldUser = old_apps.get_model("lessons", "User")
    OldUser.objects.create(username="from_the_last_release", role="teacher", password="!")

    migrate([latest])
    assert User.objects.filter(username="from_the_last_release").exists()

    # Roll back to the previous release's schema and forward again: the data survives both.
    migrate([previous])
    assert OldUser.objects.filter(username="from_the_last_release").exists()
    migrate([latest])
    assert User.objects.get(username="from_the_last_release").is_teacher


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_gives_submitted_work_an_empty_answer_to_every_question():
    # Before 0004 the marking pages made these when opened; now nothing writes on a GET.
    before, after = (
        ("lessons", "0003_school_settings"),
        ("lessons", "0004_blank_answers_for_submitted_work"),
    )
    executor = migrate([before])
    old = executor.loader.project_state([before]).apps
    teacher = old.get_model("lessons", "User").objects.create(username="t", role="teacher")
    student = old.get_model("lessons", "User").objects.create(username="s", role="student")
    now = timezone.now()
    task = old.get_model("lessons", "Task").objects.create(
        title="T", owner=teacher, opens_at=now, due_at=now + timedelta(days=1)
    )
    Question = old.get_model("lessons", "Question")
    answered, left_out = (
        Question.objects.create(task=task, prompt=p, max_marks=2) for p in ("A", "B")
    )
    Submission = old.get_model("lessons", "Submission")
    submitted = Submission.objects.create(task=task, student=student, status="submitted")
    Submission.objects.create(
        task=task, student=old.get_model("lessons", "User").objects.create(username="s2")
    )
    old.get_model("lessons", "Answer").objects.create(
        submission=submitted, question=answered, text="Mine."
    )

    migrate([after])
    answers = Answer.objects.filter(submission_id=submitted.pk).order_by("question_id")
    assert [(a.question_id, a.text) for a in answers] == [(answered.pk, "Mine."), (left_out.pk, "")]
    # Work not submitted gets its answers when it is submitted.
    assert Answer.objects.count() == 2
    call_command("migrate", verbosity=0)
