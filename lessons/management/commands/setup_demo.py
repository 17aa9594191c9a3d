import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from lessons.models import Enrolment, SchoolClass, User

DEMO_CLASS_NAME = "Demo class: 12H History"
DEMO_TEACHER = ("teacher", "Ms Demo Teacher")
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

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password})"))
        self.stdout.write(f"  teacher:  {DEMO_TEACHER[0]}")
        for username, _ in DEMO_STUDENTS:
            self.stdout.write(f"  student:  {username}")
        self.stdout.write(f"  class:    {school_class.name} (join code {school_class.join_code})")

    def ensure_user(self, username: str, full_name: str, *, role: str, password: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "role": role}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        return user
