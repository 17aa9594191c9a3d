"""Classes and their students: creating classes, join codes, enrolment, login cards."""

import copy
import re
import secrets
import unicodedata
from dataclasses import dataclass

from axes.utils import reset as reset_login_failures
from django.contrib.auth.hashers import get_hasher
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Enrolment, SchoolClass, User
from ..models.classes import new_join_code, normalise_join_code

MAX_NAMES_AT_ONCE = 200
MAX_NAME_LENGTH = 150
MAX_PROBLEMS_LISTED = 10
USERNAME_BASE_LENGTH = 30
FALLBACK_USERNAME = "student"

# Lower case only and no 0/o, 1/l/i: read off a printed card by a child and typed on a phone.
ONE_TIME_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_PASSWORD_GROUP_LENGTH = 4

# A one-time password is 12 random characters (about 59 bits), so it does not need the full
# million PBKDF2 rounds that protect passwords people choose; with them, 200 new accounts
# would take over a minute to hash. Django re-hashes with the full count at the first
# log-in (the iteration count is stored in the hash), and the student then chooses a new
# password anyway.
ONE_TIME_PASSWORD_ITERATIONS = 20_000


class JoinError(Exception):
    """A join code that does not open a class the student can join."""


@dataclass(frozen=True)
class JoinResult:
    school_class: SchoolClass
    already_member: bool


@dataclass(frozen=True)
class LoginCard:
    full_name: str
    username: str
    password: str


# Classes


def create_class(*, teacher: User, name: str) -> SchoolClass:
    """A new class taught by the teacher, with a fresh join code."""
    for _ in range(10):
        try:
            with transaction.atomic():
                school_class = SchoolClass.objects.create(
                    name=name.strip(), join_code=_unused_join_code()
                )
                school_class.teachers.add(teacher)
                return school_class
        except IntegrityError:
            # Another class took the same code between the check and the insert.
            continue
    raise RuntimeError("Could not find an unused join code.")


def rename_class(*, school_class: SchoolClass, name: str) -> SchoolClass:
    school_class.name = name.strip()
    school_class.save(update_fields=["name"])
    return school_class


def archive_class(*, school_class: SchoolClass) -> SchoolClass:
    """Archived classes leave dashboards and cannot be joined; nothing is deleted."""
    if school_class.archived_at is None:
        school_class.archived_at = timezone.now()
        school_class.save(update_fields=["archived_at"])
    return school_class


def unarchive_class(*, school_class: SchoolClass) -> SchoolClass:
    if school_class.archived_at is not None:
        school_class.archived_at = None
        school_class.save(update_fields=["archived_at"])
    return school_class


def regenerate_join_code(*, school_class: SchoolClass) -> str:
    """A new join code for the class; the old one stops working at once."""
    for _ in range(10):
        school_class.join_code = _unused_join_code()
        try:
            with transaction.atomic():
                school_class.save(update_fields=["join_code"])
            return school_class.join_code
        except IntegrityError:
            continue
    raise RuntimeError("Could not find an unused join code.")


def _unused_join_code() -> str:
    while True:
        code = new_join_code()
        if not SchoolClass.objects.filter(join_code=code).exists():
            return code


# Joining


def find_class_by_code(*, code: str) -> SchoolClass | None:
    """The class a typed join code opens, if any (archived classes included)."""
    normalised = normalise_join_code(code or "")
    if not normalised:
        return None
    return SchoolClass.objects.filter(join_code=normalised).first()


def check_join_code(*, code: str) -> SchoolClass:
    """The joinable class for a code, or JoinError saying why not."""
    school_class = find_class_by_code(code=code)
    if school_class is None:
        raise JoinError("No class has this code. Check it with your teacher.")
    if school_class.is_archived:
        raise JoinError("This class has been archived and cannot be joined.")
    return school_class


def join_class(*, student: User, code: str) -> JoinResult:
    """Enrol the student in the class the code opens; joining twice is harmless."""
    if not student.is_student:
        raise JoinError("Only student accounts can join a class.")
    school_class = check_join_code(code=code)
    _, created = Enrolment.objects.get_or_create(school_class=school_class, student=student)
    return JoinResult(school_class=school_class, already_member=not created)


# Adding students from a list of names


def parse_names(text: str) -> list[str]:
    """The names in a pasted list, one per line, or a ValidationError naming every bad line.

    Blank lines are skipped. A tab counts as a space, because a list pasted from a
    spreadsheet has tabs between first and last names.
    """
    # Only \\n, \\r\\n and \\r end a line: str.splitlines would also split at other control
    # characters and hide them from the check below (and shift the line numbers).
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    names: list[str] = []
    problems: list[ValidationError] = []
    for number, line in enumerate(lines, start=1):
        line = line.replace("\t", " ")
        if any(unicodedata.category(ch) == "Cc" for ch in line):
            problems.append(
                ValidationError(
                    "Line %(line)s contains a control character; retype that name.",
                    code="control_character",
                    params={"line": number},
                )
            )
            continue
        name = " ".join(line.split())
        if not name:
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.append(
                ValidationError(
                    "Line %(line)s is longer than %(max)s characters.",
                    code="too_long",
                    params={"line": number, "max": MAX_NAME_LENGTH},
                )
            )
            continue
        names.append(name)
    if len(problems) > MAX_PROBLEMS_LISTED:
        more = len(problems) - MAX_PROBLEMS_LISTED
        problems = problems[:MAX_PROBLEMS_LISTED] + [
            ValidationError(
                "… and %(more)s more lines like these.", code="more", params={"more": more}
            )
        ]
    if problems:
        raise ValidationError(problems)
    if not names:
        raise ValidationError("Paste at least one name, one per line.", code="empty")
    if len(names) > MAX_NAMES_AT_ONCE:
        raise ValidationError(
            "That list has %(count)s names; add at most %(max)s at a time.",
            code="too_many",
            params={"count": len(names), "max": MAX_NAMES_AT_ONCE},
        )
    return names


# Latin letters that Unicode does not decompose into a plain letter and an accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def username_base(full_name: str) -> str:
    """ "Zoë O'Brien-Smith" → "zoe.obrien.smith"; "" when no letter or digit survives."""
    lowered = full_name.lower().translate(_UNDECOMPOSABLE)
    folded = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    folded = re.sub(r"['’`]", "", folded)
    words = re.findall(r"[a-z0-9]+", folded)
    return ".".join(words)[:USERNAME_BASE_LENGTH].strip(".")


def generate_usernames(full_names: list[str]) -> list[str]:
    """One unused username per name: the folded name, with a number when it is taken."""
    bases = [username_base(name) or FALLBACK_USERNAME for name in full_names]
    lookup = Q()
    for base in set(bases):
        lookup |= Q(username__istartswith=base)
    existing = User.objects.filter(lookup).values_list("username", flat=True)
    taken = {username.lower() for username in existing}
    usernames = []
    for base in bases:
        # A name-less fallback always gets a number ("student7"), a real name only if needed.
        candidate = base if base != FALLBACK_USERNAME else f"{base}1"
        number = 1
        while candidate in taken:
            number += 1
            candidate = f"{base}{number}"
        taken.add(candidate)
        usernames.append(candidate)
    return usernames


def new_one_time_password() -> str:
    """Like "k7mp-w3xq-bn4f": readable, nothing that looks like something else."""
    alphabet, size = ONE_TIME_PASSWORD_ALPHABET, ONE_TIME_PASSWORD_GROUP_LENGTH
    groups = ("".join(secrets.choice(alphabet) for _ in range(size)) for _ in range(3))
    return "-".join(groups)


def hash_one_time_password(password: str) -> str:
    # A copy: get_hasher() hands out the one cached instance every log-in uses.
    hasher = copy.copy(get_hasher())
    if hasattr(hasher, "iterations"):
        hasher.iterations = ONE_TIME_PASSWORD_ITERATIONS
    return hasher.encode(password, hasher.salt())


def add_students_from_names(*, school_class: SchoolClass, names_text: str) -> list[LoginCard]:
    """Student accounts for a pasted list of names, enrolled in the class; all or nothing.

    Raises ValidationError (naming the bad lines) without creating anything.
    """
    names = parse_names(names_text)
    for attempt in range(3):
        try:
            return _create_students(school_class, names)
        except IntegrityError:
            # Someone else took one of the generated usernames meanwhile: choose again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _create_students(school_class: SchoolClass, names: list[str]) -> list[LoginCard]:
    with transaction.atomic():
        usernames = generate_usernames(names)
        cards = [
            LoginCard(full_name=name, username=username, password=new_one_time_password())
            for name, username in zip(names, usernames, strict=True)
        ]
        users = User.objects.bulk_create(
            [
                User(
                    username=card.username,
                    full_name=card.full_name,
                    role=User.Role.STUDENT,
                    must_change_password=True,
                    password=hash_one_time_password(card.password),
                )
                for card in cards
            ]
        )
        Enrolment.objects.bulk_create(
            [Enrolment(school_class=school_class, student=user) for user in users]
        )
    return cards


# The roster


def remove_student(*, enrolment: Enrolment) -> None:
    """Take a student out of a class. Their account and their work stay."""
    enrolment.delete()


def reset_student_password(*, student: User) -> LoginCard:
    """A new one-time password for the student, who must choose their own at the next log-in."""
    password = new_one_time_password()
    student.password = hash_one_time_password(password)
    student.must_change_password = True
    student.save(update_fields=["password", "must_change_password"])
    # The locked-out page tells students to ask their teacher: a reset also unlocks.
    reset_login_failures(username=student.username)
    return LoginCard(full_name=student.display_name, username=student.username, password=password)
