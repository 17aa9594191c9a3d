from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lessons.services.data_protection import purge_archived_submissions


class Command(BaseCommand):
    help = (
        "Delete students' submissions and answers of tasks whose classes have all been "
        "archived for longer than the retention period (RETENTION_DAYS, default 365 days)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"Retention in days (default {settings.RETENTION_DAYS})."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, **options):
        days = settings.RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        summary = purge_archived_submissions(days=days, dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(
            f"{verb} {summary.submissions} submissions ({summary.answers} answers) of "
            f"{summary.tasks} tasks whose classes were all archived before "
            f"{summary.cutoff:%Y-%m-%d %H:%M %Z}."
        )
