import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.report import scale_table
from lessons.services.benchmark import bench_plan, scale_curve


def sizes(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "For `make bench`: 'plan' writes the accounts and pages the load benchmark drives; "
        "'scale' builds a class of each size and measures time and queries per page."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["plan", "scale"])
        parser.add_argument("--out", required=True, help="Where to write the JSON.")
        parser.add_argument("--prefix", default="demo", help="plan: the demo school's prefix.")
        parser.add_argument("--students", type=int, default=40, help="plan: student accounts.")
        parser.add_argument("--teachers", type=int, default=10, help="plan: teacher accounts.")
        parser.add_argument("--sizes", type=sizes, default=[30, 300, 3000], help="scale: sizes.")
        parser.add_argument("--tasks", type=int, default=10, help="scale: tasks per class.")
        parser.add_argument("--questions", type=int, default=3, help="scale: questions per task.")
        parser.add_argument("--repeats", type=int, default=5, help="scale: timed requests.")
        parser.add_argument("--password", default="", help="scale: the classes' password.")

    def handle(self, *args, **options):
        if options["what"] == "plan":
            data = bench_plan(
                prefix=options["prefix"], students=options["students"], teachers=options["teachers"]
            )
            if not data["students"] or not data["teachers"]:
                raise CommandError(
                    f"No demo school with the prefix {options['prefix']!r} and open tasks here: "
                    "run manage.py make_demo_school first."
                )
            summary = f"{len(data['students'])} students, {len(data['teachers'])} teachers"
        else:
            if not options["password"]:
                raise CommandError("scale needs --password for the classes it builds.")
            data = scale_curve(
                sizes=options["sizes"],
                tasks=options["tasks"],
                questions=options["questions"],
                repeats=options["repeats"],
                password=options["password"],
            )
            summary = "\n" + scale_table(data)
        Path(options["out"]).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"Wrote {options['out']}: {summary}")
