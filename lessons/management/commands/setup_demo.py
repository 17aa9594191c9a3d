import os
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from lessons.models import Enrolment, Question, SchoolClass, Task, User
from lessons.services.demo import submit_demo_answers
from lessons.services.tasks import create_task_from_bank

DEMO_CLASS_NAME = "Demo class: 12H History"
DEMO_TEACHER = ("teacher", "Ms Demo Teacher")
DEMO_TASK_TITLE = "The Great Leap Forward: aims and consequences"
# Seed 004's practice questions: one points-based, one levels-based mark scheme.
DEMO_TASK_QUESTIONS = ["ocr-glf-q1-aims", "ocr-glf-q2-consequences"]
DEMO_STUDENTS = [
    ("student1", "Ada Student"),
    ("student2", "Ben Student"),
    ("student3", "Cai Student"),
]


def demo_password() -> str:
    """$DEMO_PASSWORD, or a random one kept in var/ so a second run prints the same."""
    from_env = os.environ.get("DEMO_PASSWORD", "").strip()
    if from_env:
        return from_env
    path = settings.VAR_DIR / "demo-password"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create (or refresh) the demo teacher, students and class, and print their logins."

    def handle(self, *args, **options) -> None:
        password = demo_password()
        with transaction.atomic():
            teacher = self.ensure_user(*DEMO_TEACHER, role=User.Role.TEACHER, password=password)
            school_class, _ = SchoolClass.objects.get_or_create(name=DEMO_CLASS_NAME)
            school_class.teachers.add(teacher)
            for username, full_name in DEMO_STUDENTS:
                student = self.ensure_user(
                    username, full_name, role=User.Role.STUDENT, password=password
                )
                Enrolment.objects.get_or_create(school_class=school_class, student=student)
            task = self.ensure_demo_task(teacher, school_class)
            if task is not None:
                # student2 and student3 have handed in, so the teacher has work to mark.
                submit_demo_answers(
                    task=task,
                    students=list(
                        User.objects.filter(username__in=["student2", "student3"]).order_by(
                            "username"
                        )
                    ),
                )

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password})"))
        self.stdout.write(f"  teacher:  {DEMO_TEACHER[0]}")
        for username, _ in DEMO_STUDENTS:
            self.stdout.write(f"  student:  {username}")
        self.stdout.write(f"  class:    {school_class.name} (join code {school_class.join_code})")
        if task is not None:
            due = timezone.localtime(task.due_at).strftime("%A %d %B, %H:%M")
            self.stdout.write(
                f"  homework: {task.title} (due {due}; student2 and student3 have submitted)"
            )
        else:
            self.stdout.write("  homework: none (run manage.py load_seeds first for the demo task)")

    def ensure_demo_task(self, teacher: User, school_class: SchoolClass) -> Task | None:
        """The demo class's homework from the seed questions; made once, kept afterwards."""
        existing = Task.objects.filter(title=DEMO_TASK_TITLE, classes=school_class).first()
        if existing is not None:
            return existing
        by_key = Question.objects.filter(task=None).in_bulk(
            DEMO_TASK_QUESTIONS, field_name="seed_key"
        )
        if len(by_key) != len(DEMO_TASK_QUESTIONS):
            return None
        return create_task_from_bank(
            owner=teacher,
            title=DEMO_TASK_TITLE,
            classes=[school_class],
            questions=[by_key[key] for key in DEMO_TASK_QUESTIONS],
            due_at=timezone.now() + timedelta(days=4),
            instructions=(
                "Read the OCR study notes on the Great Leap Forward, then answer both "
                "questions. Use evidence from the source in your answers."
            ),
            publish=True,
        )

    def ensure_user(self, username: str, full_name: str, *, role: str, password: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "role": role}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        return user
