"""export_school / import_school: the whole school out to a zip and back, row for row."""

import json
import stat
import zipfile
from io import StringIO
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError

from lessons.models import Lesson, User
from lessons.services.backup import (
    SCHOOL_EXPORT_VERSION,
    backup_models,
    school_row_counts,
    serialised_rows,
    wipe_school,
)
from lessons.services.school import current_school_settings

from .factories import LessonFactory, StudentFactory
from .school_data import build_school


def snapshot() -> dict[str, list[dict]]:
    return {model._meta.label: serialised_rows(model) for model in backup_models()}


@pytest.fixture
def school(teacher, student, school_class):
    return build_school(teacher=teacher, student=student, school_class=school_class)


@pytest.fixture
def export_path(school, tmp_path):
    path = tmp_path / "school.zip"
    call_command("export_school", "--output", str(path), stdout=StringIO())
    return path


def test_every_model_of_the_app_is_in_the_backup():
    from django.apps import apps

    labels = {model._meta.label for model in backup_models()}
    for model in apps.get_app_config("lessons").get_models():
        assert model._meta.label in labels
    assert "auth.Group" in labels


def test_the_populated_school_has_a_row_in_every_table(school):
    empty = [label for label, count in school_row_counts().items() if count == 0]
    assert empty == []


def test_export_wipe_import_brings_back_every_row_of_every_model(school, tmp_path):
    before = snapshot()
    path = tmp_path / "school.zip"
    out = StringIO()
    call_command("export_school", "--output", str(path), stdout=out)
    assert "Wrote" in out.getvalue()

    wipe_school()
    assert all(count == 0 for count in school_row_counts().values())

    out = StringIO()
    call_command("import_school", str(path), stdout=out)
    assert "Loaded" in out.getvalue()
    after = snapshot()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], f"{label} differs after the round trip"
    # Password hashes came back too: the users can log in as before.
    assert User.objects.get(username="sam_student").check_password("correct-horse-battery")
    assert User.objects.get(username="head_of_history").groups.get().permissions.count() == 1


def test_new_rows_after_an_import_get_fresh_ids(school, export_path):
    highest = Lesson.objects.order_by("-pk").first().pk
    wipe_school()
    call_command("import_school", str(export_path), stdout=StringIO())
    assert LessonFactory().pk > highest


def test_the_export_has_a_manifest_with_format_version_and_counts(export_path):
    with zipfile.ZipFile(export_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = json.loads(archive.read("data.json"))
    assert manifest["format"] == "glf-school-export"
    assert manifest["format_version"] == SCHOOL_EXPORT_VERSION
    assert "0003_school_settings" in manifest["migrations"]["lessons"]
    assert manifest["counts"]["lessons.Answer"] == 3
    assert len(rows) == sum(manifest["counts"].values())


def test_the_export_keeps_timestamps_to_the_microsecond(export_path):
    with zipfile.ZipFile(export_path) as archive:
        rows = json.loads(archive.read("data.json"))
    created = [row["fields"]["created_at"] for row in rows if row["model"] == "lessons.lesson"]
    assert created and all(len(value.split(".")[1].rstrip("Z")) == 6 for value in created)


def test_the_export_file_is_readable_by_its_owner_only(export_path):
    assert stat.S_IMODE(export_path.stat().st_mode) == 0o600


def test_import_refuses_a_database_that_already_holds_data(export_path):
    with pytest.raises(CommandError, match="already holds data"):
        call_command("import_school", str(export_path), stdout=StringIO())


def test_replace_asks_for_confirmation_and_changes_nothing_without_it(export_path):
    StudentFactory(username="newcomer")
    before = school_row_counts()
    with (
        mock.patch("builtins.input", side_effect=EOFError),
        pytest.raises(CommandError, match="No confirmation"),
    ):
        call_command("import_school", str(export_path), "--replace", stdout=StringIO())
    with (
        mock.patch("builtins.input", return_value="yes please"),
        pytest.raises(CommandError, match="Not confirmed"),
    ):
        call_command("import_school", str(export_path), "--replace", stdout=StringIO())
    assert school_row_counts() == before


def test_replace_wipes_the_database_and_logs_everyone_out(export_path, client):
    newcomer = StudentFactory(username="newcomer")
    client.force_login(newcomer)
    assert Session.objects.exists()
    with mock.patch("builtins.input", return_value="replace"):
        call_command("import_school", str(export_path), "--replace", stdout=StringIO())
    assert not User.objects.filter(username="newcomer").exists()
    assert User.objects.filter(username="sam_student").exists()
    assert not Session.objects.exists()
    assert current_school_settings().school_name == "Riverside School"


def test_replace_with_yes_needs_no_typing(export_path):
    StudentFactory(username="newcomer")
    call_command("import_school", str(export_path), "--replace", "--yes", stdout=StringIO())
    assert not User.objects.filter(username="newcomer").exists()


def rewrite_manifest(path, tmp_path, **changes):
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        data = archive.read("data.json")
    manifest.update(changes)
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(changed, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("data.json", data)
    return changed


def test_import_refuses_an_export_of_a_newer_format(export_path, tmp_path):
    newer = rewrite_manifest(export_path, tmp_path, format_version=SCHOOL_EXPORT_VERSION + 1)
    wipe_school()
    with pytest.raises(CommandError, match="Upgrade this install first"):
        call_command("import_school", str(newer), stdout=StringIO())


def test_import_refuses_an_export_made_at_migrations_this_install_lacks(export_path, tmp_path):
    newer = rewrite_manifest(
        export_path,
        tmp_path,
        migrations={"lessons": ["0001_initial", "0099_from_the_future"], "auth": []},
    )
    wipe_school()
    with pytest.raises(CommandError, match="0099_from_the_future"):
        call_command("import_school", str(newer), stdout=StringIO())
    assert all(count == 0 for count in school_row_counts().values())


def test_import_refuses_a_file_that_is_not_a_school_export(tmp_path, db):
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello")
    with pytest.raises(CommandError, match="not a readable zip"):
        call_command("import_school", str(not_zip), stdout=StringIO())
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("data.json", "[]")
    with pytest.raises(CommandError, match="no manifest.json"):
        call_command("import_school", str(other_zip), stdout=StringIO())
