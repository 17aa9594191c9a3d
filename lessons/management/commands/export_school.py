from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from lessons.services.backup import export_school


class Command(BaseCommand):
    help = (
        "Write the whole school (users with their password hashes, classes, lessons, tasks, "
        "answers, marks) to a zip file. The file is as sensitive as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="Where to write the zip (default: school-export-DATE-TIME.zip here).",
        )

    def handle(self, *args, **options):
        path = Path(
            options["output"] or f"school-export-{timezone.localtime():%Y-%m-%d-%H%M%S}.zip"
        )
        # Written beside the target first, so a failed export never leaves half a file.
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as stream:
            partial.chmod(0o600)
            summary = export_school(stream=stream)
        partial.replace(path)
        self.stdout.write(self.style.SUCCESS(f"Wrote {summary.total} rows to {path}"))
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label}: {count}")
