"""What the school's IT does on the staff page: teacher accounts and the install's figures."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from ..models import Answer, SchoolClass, Submission, Task, User
from .data_protection import end_sessions

# Lower case letters and digits without look-alikes (l/1, o/0), read off a screen and typed.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_one_time_password() -> str:
    """A password to read out or hand over once, e.g. "k7pm-x3rd-q9tw" (about 60 bits)."""
    groups = ["".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def create_teacher(*, username: str, full_name: str, email: str) -> tuple[User, str]:
    """A teacher account with a one-time password, to be changed at first login."""
    password = new_one_time_password()
    with transaction.atomic():
        teacher = get_user_model().objects.create_user(
            username=username,
            email=email,
            password=password,
            full_name=full_name,
            role=User.Role.TEACHER,
            must_change_password=True,
        )
    return teacher, password


def reset_password(*, user: User) -> str:
    """Give the user a one-time password (they choose their own at next login)."""
    password = new_one_time_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        end_sessions(user=user)
    return password


def set_active(*, user: User, active: bool) -> None:
    """Deactivate (the user is logged out everywhere and cannot log in) or reactivate."""
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            end_sessions(user=user)


def school_counts() -> dict[str, int]:
    """The install's figures for the staff page, in a constant handful of queries."""
    users = get_user_model().objects.aggregate(
        teachers=Count("id", filter=Q(role=User.Role.TEACHER, is_active=True)),
        students=Count("id", filter=Q(role=User.Role.STUDENT, is_active=True)),
        staff=Count("id", filter=Q(is_staff=True, is_active=True)),
        inactive=Count("id", filter=Q(is_active=False)),
    )
    classes = SchoolClass.objects.aggregate(
        active_classes=Count("id", filter=Q(archived_at__isnull=True)),
        archived_classes=Count("id", filter=Q(archived_at__isnull=False)),
    )
    tasks = Task.objects.aggregate(
        tasks=Count("id"),
        published_tasks=Count("id", filter=~Q(status=Task.Status.DRAFT)),
    )
    return {
        **users,
        **classes,
        **tasks,
        "submissions": Submission.objects.count(),
        "answers": Answer.objects.count(),
    }


def search_students(query: str, *, limit: int = 50):
    """Students whose username or name contains the query, with their classes."""
    query = query.strip()
    students = get_user_model().objects.filter(role=User.Role.STUDENT)
    if query:
        students = students.filter(
            Q(username__icontains=query)
            | Q(full_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    return students.prefetch_related("classes").order_by("username")[:limit]
