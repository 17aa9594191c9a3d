from django.core.management.base import BaseCommand, CommandError

from lessons.services.data_protection import (
    NotAStudent,
    erase_student,
    erasure_preview,
    get_student,
)

from ._confirm import confirm


class Command(BaseCommand):
    help = (
        "Delete one student's account and personal data for a data-protection request: "
        "their classes, submissions, answers and history, sessions and login records. "
        "Export it first (export_student) if the student asked for a copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )

    def handle(self, *args, **options):
        try:
            student = get_student(options["username"])
        except NotAStudent as error:
            raise CommandError(str(error)) from None
        preview = erasure_preview(student=student)
        lines = [f"This permanently deletes the account {student.username} and:"]
        lines += [f"  {count} {what}" for what, count in preview.items()]
        confirm("\n".join(lines), student.username, assume_yes=options["yes"])
        summary = erase_student(student=student)
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased {options['username']}: {summary.total} records deleted "
                f"({summary.sessions} sessions, {summary.login_records} login records)."
            )
        )
        for label, count in sorted(summary.deleted.items()):
            self.stdout.write(f"  {label}: {count}")
