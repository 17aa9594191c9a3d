"""Accounts people make for themselves: teacher sign-up and student sign-up when joining."""

from django.db import transaction

from ..models import User
from .classes import JoinResult, join_class


def sign_up_teacher(*, username: str, password: str, full_name: str, email: str) -> User:
    """A teacher account (only offered where the install allows teacher sign-up)."""
    return User.objects.create_user(
        username=username,
        password=password,
        email=email,
        full_name=full_name.strip(),
        role=User.Role.TEACHER,
    )


def sign_up_student_and_join(
    *, username: str, password: str, full_name: str, code: str
) -> tuple[User, JoinResult]:
    """A student account made at /join/, enrolled in the code's class in the same step.

    Raises JoinError (and creates no account) when the code does not open a class.
    """
    with transaction.atomic():
        student = User.objects.create_user(
            username=username,
            password=password,
            full_name=full_name.strip(),
            role=User.Role.STUDENT,
        )
        result = join_class(student=student, code=code)
    return student, result
