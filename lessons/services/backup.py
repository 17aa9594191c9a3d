"""The whole school as one zip file, and back: for moving servers and for restore tests.

The zip holds manifest.json (format, version, the migrations it was made at, row counts) and
data.json (Django's serialised rows of every model of the app, users and their password
hashes included). It is as sensitive as the database itself.
"""

import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

SCHOOL_EXPORT_FORMAT = "glf-school-export"
SCHOOL_EXPORT_VERSION = 1
# Apps whose migrations the data depends on: an install must have them all to import.
SCHEMA_APPS = ("lessons", "auth")


class ImportRefused(Exception):
    """The file cannot be imported here; the message says why and what to do."""


class FullPrecisionJSONEncoder(DjangoJSONEncoder):
    """Keeps microseconds, which Django's encoder (and so dumpdata) cuts to milliseconds."""

    def default(self, o):
        if hasattr(o, "isoformat") and hasattr(o, "microsecond"):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def backup_models() -> list[type[models.Model]]:
    """Every model the school's data lives in, each after the models it points to."""
    app_models = [Group, *apps.get_app_config("lessons").get_models()]
    return _dependency_order(app_models)


def _dependency_order(model_list: list[type[models.Model]]) -> list[type[models.Model]]:
    remaining = list(model_list)
    ordered: list[type[models.Model]] = []
    while remaining:
        for model in remaining:
            targets = {
                field.related_model
                for field in model._meta.get_fields()
                if field.concrete and field.is_relation and field.related_model is not model
            }
            if not any(target in remaining for target in targets):
                ordered.append(model)
                remaining.remove(model)
                break
        else:
            # A cycle of foreign keys: keep the rest in declaration order (constraints are
            # deferred until commit, so loading still works).
            ordered.extend(remaining)
            break
    return ordered


def _uses_natural_keys(model: type[models.Model]) -> bool:
    # Users and groups point at permissions, whose ids differ between installs.
    return model is Group or model is apps.get_model("lessons", "User")


def serialised_rows(model: type[models.Model]) -> list[dict]:
    """One model's rows in Django's serialised form, in id order (many-to-many included)."""
    return serializers.serialize(
        "python",
        model._default_manager.order_by("pk"),
        use_natural_foreign_keys=_uses_natural_keys(model),
    )


def applied_migrations(app_labels: Iterable[str] = SCHEMA_APPS) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connection)
    applied = sorted(recorder.applied_migrations())
    return {label: [name for app, name in applied if app == label] for label in app_labels}


@dataclass(frozen=True)
class ExportSummary:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def export_school(*, stream: io.BufferedIOBase) -> ExportSummary:
    """Write the school's zip to a binary stream."""
    rows: list[dict] = []
    counts: dict[str, int] = {}
    # One transaction, so the rows are a consistent snapshot while the app keeps running.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for model in backup_models():
            model_rows = serialised_rows(model)
            counts[model._meta.label] = len(model_rows)
            rows.extend(model_rows)
        manifest = {
            "format": SCHOOL_EXPORT_FORMAT,
            "format_version": SCHOOL_EXPORT_VERSION,
            "created_at": timezone.now().isoformat(),
            "migrations": applied_migrations(),
            "counts": counts,
        }
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        archive.writestr("data.json", json.dumps(rows, cls=FullPrecisionJSONEncoder))
    return ExportSummary(counts=counts)


def school_row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in backup_models()}


def school_is_empty() -> bool:
    return not any(model._default_manager.exists() for model in backup_models())


def wipe_school() -> None:
    """Delete every row of the school's data, and every session (their ids would be reused)."""
    with transaction.atomic():
        Session.objects.all().delete()
        for model in reversed(backup_models()):
            model._default_manager.all().delete()


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise ImportRefused("This zip has no manifest.json: it is not a school export.") from None
    except ValueError as error:
        raise ImportRefused(f"manifest.json cannot be read: {error}") from None
    if manifest.get("format") != SCHOOL_EXPORT_FORMAT:
        raise ImportRefused("This zip is not a school export made by export_school.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > SCHOOL_EXPORT_VERSION:
        raise ImportRefused(
            f"This export has format version {version}; this install reads up to "
            f"{SCHOOL_EXPORT_VERSION}. Upgrade this install first."
        )
    here = applied_migrations()
    for label, names in manifest.get("migrations", {}).items():
        missing = sorted(set(names) - set(here.get(label, [])))
        if missing:
            raise ImportRefused(
                f"This export was made by a newer version (migrations {label}: "
                f"{', '.join(missing)} are not applied here). Upgrade this install and run "
                "manage.py migrate first."
            )
    return manifest


def import_school(*, path: Path, replace: bool = False) -> ExportSummary:
    """Load a school export into this database; with replace, wipe what is here first."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ImportRefused(f"{path} is not a readable zip file: {error}") from None
    with archive:
        manifest = read_manifest(archive)
        with tempfile.TemporaryDirectory() as folder:
            data_path = Path(folder) / "data.json"
            try:
                data_path.write_bytes(archive.read("data.json"))
            except KeyError:
                raise ImportRefused("This zip has no data.json.") from None
            with transaction.atomic():
                if not school_is_empty():
                    if not replace:
                        raise ImportRefused(
                            "This database already holds data. Import into a freshly "
                            "migrated database, or use --replace to delete what is here first."
                        )
                    wipe_school()
                # loaddata keeps ids, resets PostgreSQL's id sequences and checks constraints.
                call_command("loaddata", str(data_path), verbosity=0)
                counts = school_row_counts()
                expected = manifest.get("counts", {})
                wrong = {
                    label: (expected[label], counts.get(label))
                    for label in expected
                    if counts.get(label) != expected[label]
                }
                if wrong:
                    raise ImportRefused(f"Row counts differ after loading, nothing kept: {wrong}")
    return ExportSummary(counts=counts)
