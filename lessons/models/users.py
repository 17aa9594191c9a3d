from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A teacher or a student. School IT admins are staff users (usually also teachers)."""

    class Role(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        STUDENT = "student", "Student"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STUDENT)
    # The name a teacher typed for the student (or the student gave); shown on rosters.
    full_name = models.CharField(max_length=150, blank=True)
    # Set for accounts created with a one-time password (login cards, password resets).
    must_change_password = models.BooleanField(default=False)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT
