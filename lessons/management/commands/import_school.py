from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.services.backup import ImportRefused, import_school, school_is_empty

from ._confirm import confirm


class Command(BaseCommand):
    help = (
        "Load a zip made by export_school into this database. The database must be empty "
        "(freshly migrated) unless --replace is given, which deletes everything here first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The zip file made by export_school.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete all users, classes, lessons, tasks and answers here before loading.",
        )
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        if options["replace"] and not school_is_empty():
            confirm(
                "This deletes every user, class, lesson, task and answer in this database, "
                f"and logs everyone out, then loads {path}.",
                "replace",
                assume_yes=options["yes"],
            )
        try:
            summary = import_school(path=path, replace=options["replace"])
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {summary.total} rows from {path}"))
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label}: {count}")
