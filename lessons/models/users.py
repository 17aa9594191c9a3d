from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """The school's first admin (createsuperuser) is a teacher, so IT's admin can also teach."""
        extra_fields.setdefault("role", User.Role.TEACHER)
        return super().create_superuser(username, email, password, **extra_fields)


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

    objects = UserManager()

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
