"""Shared fixtures: a teacher with a class and a student, and outsiders who must see nothing."""

import pytest
from django.test import Client

from .factories import SchoolClassFactory, StudentFactory, TeacherFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per login; the hasher is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def static_files_without_collectstatic(settings):
    # Production uses hashed file names from collectstatic; tests serve the source files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    # The school settings are cached per process; a test's rolled-back row must not leak.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="ms_teacher", full_name="Ms Teacher")


@pytest.fixture
def student(db):
    return StudentFactory(username="sam_student", full_name="Sam Student")


@pytest.fixture
def outsider_teacher(db):
    return TeacherFactory(username="mr_outsider", full_name="Mr Outsider")


@pytest.fixture
def outsider_student(db):
    return StudentFactory(username="olly_outsider", full_name="Olly Outsider")


@pytest.fixture
def school_class(teacher, student):
    """The teacher's class, with the student enrolled."""
    return SchoolClassFactory(name="12H History", teachers=[teacher], students=[student])


@pytest.fixture
def other_class(outsider_teacher, outsider_student):
    """Another teacher's class, with the outsider student enrolled."""
    return SchoolClassFactory(
        name="13K History", teachers=[outsider_teacher], students=[outsider_student]
    )


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


@pytest.fixture
def student_client(db, student):
    # A client of its own, so a test can hold a teacher's and a student's session at once.
    client = Client()
    client.force_login(student)
    return client
