"""The set-up commands: the dependency lock and the demo logins."""

import tomllib
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lessons.models import Enrolment, SchoolClass, User

ROOT = Path(__file__).resolve().parent.parent


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_every_declared_dependency_is_locked_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = locked_versions()
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.txt (run make lock)"
        assert requirement.specifier.contains(pins[name]), (
            f"{requirement.name}=={pins[name]} is outside {requirement.specifier}"
        )


def test_setup_demo_twice_keeps_one_class_and_prints_the_logins(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    first, second = StringIO(), StringIO()
    call_command("setup_demo", stdout=first)
    call_command("setup_demo", stdout=second)

    assert SchoolClass.objects.count() == 1
    assert Enrolment.objects.count() == 3
    teacher = User.objects.get(username="teacher")
    assert teacher.is_teacher
    assert teacher.check_password("demo-pass-123")
    assert sorted(
        User.objects.filter(role=User.Role.STUDENT).values_list("username", flat=True)
    ) == ["student1", "student2", "student3"]
    for output in (first.getvalue(), second.getvalue()):
        assert "demo-pass-123" in output
        assert "teacher" in output and "student3" in output


def test_without_demo_password_a_random_one_is_kept_for_the_next_run(
    db, monkeypatch, settings, tmp_path
):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    settings.VAR_DIR = tmp_path
    call_command("setup_demo", stdout=StringIO())
    password = (tmp_path / "demo-password").read_text().strip()
    assert len(password) >= 10
    output = StringIO()
    call_command("setup_demo", stdout=output)
    assert password in output.getvalue()
    assert User.objects.get(username="student1").check_password(password)
