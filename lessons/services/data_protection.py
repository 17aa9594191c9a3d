"""Data-protection requests: one student's data exported or erased, and old answers purged.

Written generically over the models where it can (every foreign key to the user model is
found through Django's model metadata), so a model another area adds later is covered
without changing this module.
"""

import io
import json
import logging
import zipfile
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import (
    Answer,
    AnswerRevision,
    Enrolment,
    EvidenceLink,
    Submission,
    Task,
    User,
)
from .school import current_school_settings

logger = logging.getLogger(__name__)

STUDENT_EXPORT_FORMAT = "glf-student-export"
STUDENT_EXPORT_VERSION = 1

# Relations to the student that the export shows in its own sections; any other foreign key
# to the user model (a model added later, the admin's log) goes under "other_records".
EXPORTED_RELATIONS = {
    ("lessons", "enrolment", "student"),
    ("lessons", "submission", "student"),
}


class NotAStudent(ValueError):
    """Raised for a username that is not a student's account."""


def user_reference_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every concrete foreign key (or one-to-one) to the user model, in every installed model.

    Auto-created many-to-many tables are included, so class teachers and user groups count.
    """
    user_model = get_user_model()
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is user_model:
                found.append((model, field))
    return found


def rows_referencing_user(user_id: int) -> dict[str, int]:
    """How many rows in each table still point at the user id (by foreign key or log entry)."""
    counts = {}
    for model, field in user_reference_fields():
        count = model._default_manager.filter(**{field.attname: user_id}).count()
        if count:
            counts[f"{model._meta.label}.{field.name}"] = count
    user_type = ContentType.objects.get_for_model(get_user_model())
    log_entries = LogEntry.objects.filter(content_type=user_type, object_id=str(user_id))
    if log_entries.exists():
        counts["admin.LogEntry.object_id"] = log_entries.count()
    sessions = len(session_keys_of(user_id))
    if sessions:
        counts["sessions.Session"] = sessions
    return counts


def session_keys_of(user_id: int) -> list[str]:
    """Keys of the database sessions logged in as the user (sessions are signed, not indexed).

    Expired sessions count too: they are rows holding the id until clearsessions runs.
    """
    keys = []
    for session in Session.objects.iterator():
        # get_decoded() gives {} for a session it cannot read: that belongs to nobody.
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            keys.append(session.session_key)
    return keys


def end_sessions(*, user: User) -> int:
    """Log the user out everywhere: delete every session of theirs. Returns how many."""
    keys = session_keys_of(user.pk)
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def get_student(username: str) -> User:
    """The student with this username, or NotAStudent saying what the username is instead."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotAStudent(f"There is no account with the username {username!r}.")
    if not user.is_student:
        raise NotAStudent(
            f"{username!r} is a {user.get_role_display().lower()} account, not a student's: "
            "these commands only handle students' data."
        )
    return user


# Export ------------------------------------------------------------------------------------


def _submissions_for_export(student: User) -> list[Submission]:
    revisions = AnswerRevision.objects.order_by("created_at", "id")
    evidence = EvidenceLink.objects.select_related("passage__lesson").order_by("created_at", "id")
    answers = (
        Answer.objects.select_related("question", "level", "marker")
        .prefetch_related(
            "credited_points",
            Prefetch("revisions", queryset=revisions),
            Prefetch("evidence_links", queryset=evidence),
        )
        .order_by("question__order", "question_id")
    )
    return list(
        Submission.objects.filter(student=student)
        .select_related("task")
        .prefetch_related("task__classes", Prefetch("answers", queryset=answers))
        .order_by("started_at", "id")
    )


def _other_records(student: User) -> list[dict]:
    """Rows of any other model that point at the student, in Django's serialised form."""
    records = []
    for model, field in user_reference_fields():
        key = (model._meta.app_label, model._meta.model_name, field.name)
        if key in EXPORTED_RELATIONS:
            continue
        rows = model._default_manager.filter(**{field.attname: student.pk})
        if model._meta.auto_created:
            # A many-to-many table: say which rows on the other side, not the table's ids.
            records.extend(
                {"relation": f"{model._meta.label}.{field.name}", "row": row}
                for row in rows.values()
            )
            continue
        for row in serializers.serialize("python", rows):
            records.append({"relation": f"{model._meta.label}.{field.name}", "row": row})
    return records


def student_export_data(*, student: User) -> dict:
    """Everything stored about one student, as plain data (datetimes left as datetimes)."""
    enrolments = (
        Enrolment.objects.filter(student=student)
        .select_related("school_class")
        .prefetch_related("school_class__teachers")
        .order_by("joined_at", "id")
    )
    submissions = _submissions_for_export(student)
    return {
        "format": STUDENT_EXPORT_FORMAT,
        "format_version": STUDENT_EXPORT_VERSION,
        "exported_at": timezone.now(),
        "school": current_school_settings().school_name,
        "account": {
            "id": student.pk,
            "username": student.username,
            "full_name": student.full_name,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "email": student.email,
            "role": student.role,
            "is_active": student.is_active,
            "must_change_password": student.must_change_password,
            "date_joined": student.date_joined,
            "last_login": student.last_login,
        },
        "classes": [
            {
                "name": enrolment.school_class.name,
                "joined_at": enrolment.joined_at,
                "archived_at": enrolment.school_class.archived_at,
                "teachers": [t.display_name for t in enrolment.school_class.teachers.all()],
            }
            for enrolment in enrolments
        ],
        "submissions": [_submission_data(submission) for submission in submissions],
        "other_records": _other_records(student),
    }


def _submission_data(submission: Submission) -> dict:
    task = submission.task
    return {
        "task": {
            "title": task.title,
            "classes": [c.name for c in task.classes.all()],
            "opens_at": task.opens_at,
            "due_at": task.due_at,
        },
        "status": submission.status,
        "attempt": submission.attempt,
        "started_at": submission.started_at,
        "submitted_at": submission.submitted_at,
        "is_late": submission.is_late,
        "returned_at": submission.returned_at,
        "return_note": submission.return_note,
        "overall_feedback": submission.overall_feedback,
        "marks_released_at": submission.released_at,
        "updated_at": submission.updated_at,
        "total_mark": (
            sum(a.mark for a in submission.answers.all() if a.mark is not None)
            if any(a.mark is not None for a in submission.answers.all())
            else None
        ),
        "answers": [_answer_data(answer) for answer in submission.answers.all()],
    }


def _answer_data(answer: Answer) -> dict:
    question = answer.question
    return {
        "question": {
            "number": question.order,
            "prompt": question.prompt,
            "max_marks": question.max_marks,
        },
        "text": answer.text,
        "version": answer.version,
        "saved_at": answer.saved_at,
        "mark": answer.mark,
        "level": (
            {
                "number": answer.level.number,
                "marks": f"{answer.level.min_marks}–{answer.level.max_marks}",
                "descriptor": answer.level.descriptor,
            }
            if answer.level
            else None
        ),
        "credited_points": [point.text for point in answer.credited_points.all()],
        "mark_adjustment_reason": answer.mark_adjustment_reason,
        "feedback": answer.feedback,
        "marker": answer.marker.display_name if answer.marker else None,
        "marked_at": answer.marked_at,
        "history": [
            {
                "kind": revision.kind,
                "attempt": revision.attempt,
                "text": revision.text,
                "mark": revision.mark,
                "level": revision.level_number,
                "feedback": revision.feedback,
                "created_at": revision.created_at,
            }
            for revision in answer.revisions.all()
        ],
        "evidence_links": [
            {
                "quote": link.quote,
                "lesson": link.passage.lesson.title,
                "passage": link.passage.heading,
                "detached": link.detached,
                "created_at": link.created_at,
            }
            for link in answer.evidence_links.all()
        ],
    }


def student_export_html(data: dict) -> str:
    """The same data as a page a person can read (every value escaped by the template)."""
    with timezone.override(zoneinfo.ZoneInfo(current_school_settings().time_zone)):
        return render_to_string("staff/student_export.html", {"data": data})


def student_export_zip(*, student: User) -> bytes:
    """A zip of data.json (for machines) and index.html (for people) about one student."""
    data = student_export_data(student=student)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        )
        archive.writestr("index.html", student_export_html(data))
    return buffer.getvalue()


def student_export_filename(student: User) -> str:
    return f"student-{student.pk}-{timezone.localdate():%Y-%m-%d}.zip"


# Erase -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureSummary:
    deleted: dict[str, int]
    sessions: int
    login_records: int

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + self.sessions + self.login_records


def erasure_preview(*, student: User) -> dict[str, int]:
    """What erasing would delete, by kind of record (for the confirmation)."""
    submissions = Submission.objects.filter(student=student)
    answers = Answer.objects.filter(submission__student=student)
    return {
        "classes joined": Enrolment.objects.filter(student=student).count(),
        "submissions": submissions.count(),
        "answers": answers.count(),
        "earlier versions of answers": AnswerRevision.objects.filter(
            answer__submission__student=student
        ).count(),
        "evidence quotations": EvidenceLink.objects.filter(
            answer__submission__student=student
        ).count(),
    }


def erase_student(*, student: User) -> ErasureSummary:
    """Delete the student's account and all their personal data; nothing keeps their id.

    The account row goes, with everything that cascades from it (enrolments, submissions,
    answers, their history, evidence links); so do their sessions, the login-throttling
    records for their username, and admin log entries about their account. Class
    statistics computed afterwards simply no longer count them.
    """
    if not student.is_student:
        raise NotAStudent(f"{student.username!r} is not a student's account.")
    user_id, username = student.pk, student.username
    with transaction.atomic():
        sessions = end_sessions(user=student)
        login_records = 0
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            login_records += model.objects.filter(username__iexact=username).delete()[0]
        user_type = ContentType.objects.get_for_model(get_user_model())
        LogEntry.objects.filter(content_type=user_type, object_id=str(user_id)).delete()
        _, deleted = get_user_model().objects.filter(pk=user_id).delete()
        left = rows_referencing_user(user_id)
        if left:
            # A new relation that neither cascades nor nulls: refuse rather than half-erase.
            raise RuntimeError(f"Rows still reference the erased user: {left}")
    logger.info("Erased the personal data of student account id %s", user_id)
    return ErasureSummary(
        deleted={label: count for label, count in deleted.items() if count},
        sessions=sessions,
        login_records=login_records,
    )


# Retention ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeSummary:
    cutoff: datetime
    tasks: int
    submissions: int
    answers: int


def tasks_past_retention(*, days: int, now: datetime | None = None) -> models.QuerySet:
    """Tasks whose classes have all been archived for longer than `days` days.

    A task still set for any class in use (or for no class at all) is left alone.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        Task.objects.annotate(
            class_count=Count("classes", distinct=True),
            unarchived=Count("classes", filter=Q(classes__archived_at__isnull=True)),
            last_archived=Max("classes__archived_at"),
        )
        .filter(class_count__gt=0, unarchived=0, last_archived__lt=cutoff)
        .order_by("id")
    )


def purge_archived_submissions(
    *, days: int, now: datetime | None = None, dry_run: bool = False
) -> PurgeSummary:
    """Delete students' submissions (answers, history, evidence) of tasks past retention."""
    now = now or timezone.now()
    with transaction.atomic():
        task_ids = list(tasks_past_retention(days=days, now=now).values_list("id", flat=True))
        submissions = Submission.objects.filter(task_id__in=task_ids)
        summary = PurgeSummary(
            cutoff=now - timedelta(days=days),
            tasks=len(task_ids),
            submissions=submissions.count(),
            answers=Answer.objects.filter(submission__task_id__in=task_ids).count(),
        )
        if not dry_run:
            submissions.delete()
    return summary
