import os
import secrets

from django.core.management.base import BaseCommand, CommandError

from lessons.services.demo_school import DemoSchoolExists, build_demo_school


def share(value: str) -> float:
    number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Build a synthetic school for benchmarks with bulk inserts: teachers, classes of "
        "students, published tasks with points- and levels-based questions, and answers "
        "written, submitted, marked and released. Refuses if the prefix is already used."
    )

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=10)
        parser.add_argument("--classes", type=int, default=100)
        parser.add_argument("--students-per-class", type=int, default=30)
        parser.add_argument("--tasks-per-class", type=int, default=10)
        parser.add_argument("--questions-per-task", type=int, default=3)
        parser.add_argument(
            "--answered",
            type=share,
            default=0.8,
            help="Share of students who have answered each task (0-1 or a percentage).",
        )
        parser.add_argument(
            "--marked",
            type=share,
            default=0.6,
            help="Share of submitted work that is marked (0-1 or a percentage).",
        )
        parser.add_argument(
            "--prefix", default="demo", help="Usernames are PREFIX-teacherN, PREFIX-studentN."
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same school.")
        parser.add_argument(
            "--password",
            default="",
            help="Every account's password (default: $DEMO_PASSWORD, else a random one).",
        )

    def handle(self, *args, **options):
        password = options["password"] or os.environ.get("DEMO_PASSWORD", "").strip()
        generated = not password
        password = password or secrets.token_urlsafe(12)
        try:
            school = build_demo_school(
                teachers=options["teachers"],
                classes=options["classes"],
                students_per_class=options["students_per_class"],
                tasks_per_class=options["tasks_per_class"],
                questions_per_task=options["questions_per_task"],
                answered=options["answered"],
                marked=options["marked"],
                password=password,
                prefix=options["prefix"],
                seed=options["seed"],
            )
        except (DemoSchoolExists, ValueError) as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{what}: {n:,}" for what, n in school.counts.items())
        self.stdout.write(
            f"Built demo school {school.prefix!r} in {school.seconds:.1f} s: {counts}."
        )
        prefix = school.prefix
        self.stdout.write(
            f"Logins: {prefix}-teacher1 … {prefix}-teacher{school.counts['teachers']}, "
            f"{prefix}-student1 … {prefix}-student{school.counts['students']}"
            + (f"; password: {password}" if generated else " (the password you gave).")
        )
