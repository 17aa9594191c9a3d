"""The set-up commands: the dependency lock and the demo logins."""

import tomllib
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lessons.models import Answer, Enrolment, SchoolClass, Task, User

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


def test_setup_demo_sets_the_demo_class_a_published_task_from_the_seed_questions(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    call_command("load_seeds", stdout=StringIO())
    output = StringIO()
    call_command("setup_demo", stdout=output)
    call_command("setup_demo", stdout=StringIO())

    task = Task.objects.get()
    assert task.status == Task.Status.PUBLISHED
    assert task.due_at > timezone.now()
    assert [q.scheme_kind for q in task.questions.order_by("order")] == ["points", "levels"]
    assert all(q.copied_from is not None for q in task.questions.all())
    student1 = User.objects.get(username="student1")
    assert Task.objects.visible_to_student(student1, timezone.now()).get() == task
    assert "homework: The Great Leap Forward" in output.getvalue()
    submitted = task.submissions.filter(status="submitted")
    assert sorted(submitted.values_list("student__username", flat=True)) == [
        "student2",
        "student3",
    ]
    assert not task.submissions.filter(student=student1).exists()
    assert all(answer.text for answer in Answer.objects.filter(submission__in=submitted))


def test_setup_demo_without_seeds_still_makes_the_logins(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    output = StringIO()
    call_command("setup_demo", stdout=output)
    assert not Task.objects.exists()
    assert "run manage.py load_seeds first" in output.getvalue()
