from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lessons.services.seeds import load_seed_lessons


class Command(BaseCommand):
    help = (
        "Create or update the shared seed lessons from seeds/ (lessons, annotations, topics "
        "and bank questions). Safe to re-run: it updates in place and never touches "
        "teachers' own work."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=settings.BASE_DIR / "seeds",
            help="The folder of NAME.md + NAME.toml pairs (default: the project's seeds/).",
        )

    def handle(self, *args, directory: Path, **options) -> None:
        if not directory.is_dir():
            raise CommandError(f"There is no folder {directory}")
        summary = load_seed_lessons(directory=directory)
        for result in summary.lessons:
            if result.loaded:
                self.stdout.write(result.line())
            else:
                self.stderr.write(self.style.ERROR(result.line()))
                for problem in result.problems:
                    self.stderr.write(f"  {problem}")
        loaded = sum(result.loaded for result in summary.lessons)
        self.stdout.write(f"{loaded} seed lesson(s) loaded, {summary.topics} topic(s).")
        if loaded < len(summary.lessons):
            not_loaded = len(summary.lessons) - loaded
            raise CommandError(f"{not_loaded} seed lesson(s) not loaded: see the problems above.")
