import secrets

from django.conf import settings
from django.db import models

# No 0/O, 1/I/L: codes are read off a board and typed by 11-year-olds.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(raw: str) -> str:
    """What a student typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")


class SchoolClassQuerySet(models.QuerySet):
    def for_teacher(self, user) -> "SchoolClassQuerySet":
        return self.filter(teachers=user)

    def for_student(self, user) -> "SchoolClassQuerySet":
        return self.filter(enrolments__student=user)

    def active(self) -> "SchoolClassQuerySet":
        return self.filter(archived_at__isnull=True)


class SchoolClass(models.Model):
    """A teaching group, e.g. "12H History", with its teachers and enrolled students."""

    name = models.CharField(max_length=100)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_classes")
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrolment", related_name="classes"
    )
    join_code = models.CharField(max_length=12, unique=True, default=new_join_code)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolClassQuerySet.as_manager()

    class Meta:
        verbose_name = "class"
        verbose_name_plural = "classes"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Enrolment(models.Model):
    """A student's membership of a class. Removing it keeps the student's work."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrolments"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "student"], name="one_enrolment_per_student_and_class"
            )
        ]
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.student} in {self.school_class}"
