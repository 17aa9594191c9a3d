from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.services.data_protection import (
    NotAStudent,
    get_student,
    student_export_filename,
    student_export_zip,
)


class Command(BaseCommand):
    help = (
        "Write one student's data (account, classes, answers with their history, marks, "
        "feedback) to a zip of data.json and a readable index.html, for a data-protection "
        "request."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--output", "-o", help="Where to write the zip (default: student-ID-DATE.zip here)."
        )

    def handle(self, *args, **options):
        try:
            student = get_student(options["username"])
        except NotAStudent as error:
            raise CommandError(str(error)) from None
        path = Path(options["output"] or student_export_filename(student))
        content = student_export_zip(student=student)
        path.touch(mode=0o600)
        path.write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(f"Wrote the data of {student.username} to {path}")
            + " (open index.html inside it to read it)"
        )
