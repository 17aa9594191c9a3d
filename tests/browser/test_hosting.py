"""The staff page in a real browser: teachers, settings, and a data-protection erasure."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import User
from tests.factories import SchoolClassFactory, StudentFactory, TeacherFactory


def without_expected_422(errors: list[str]) -> list[str]:
    # Chromium logs every 4xx response to the console; a refused form is answered with 422
    # on purpose (the project's convention), so that one line is expected, nothing else.
    return [e for e in errors if "status of 422 (Unprocessable Entity)" not in e]


@pytest.fixture
def it_admin(db):
    return TeacherFactory(username="it_admin", full_name="Ivy Admin", is_staff=True)


def test_admin_creates_a_teacher_and_deactivates_another(page, log_in, it_admin):
    TeacherFactory(username="mr_leaving", full_name="Mr Leaving")
    log_in(it_admin)
    page.get_by_role("link", name="School admin").click()
    expect(page.get_by_role("heading", name="School admin", level=1)).to_be_visible()

    page.get_by_label("Username:", exact=True).fill("ms_new")
    page.get_by_label("Name:", exact=True).fill("Ms New")
    page.get_by_role("button", name="Create teacher").click()
    password_box = page.locator(".one-time__password code")
    expect(password_box).to_be_visible()
    password = password_box.inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    assert User.objects.get(username="ms_new").check_password(password)

    page.get_by_role("button", name="Deactivate Mr Leaving").click()
    expect(page.get_by_text("Mr Leaving's account is deactivated.")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate Mr Leaving")).to_be_visible()
    assert not User.objects.get(username="mr_leaving").is_active
    assert page.js_errors == []


def test_a_duplicate_username_is_refused_next_to_the_field(page, log_in, it_admin):
    log_in(it_admin)
    page.goto("/staff/")
    page.get_by_label("Username:", exact=True).fill("IT_ADMIN")
    page.get_by_label("Name:", exact=True).fill("Someone")
    page.get_by_role("button", name="Create teacher").click()
    expect(page.get_by_text("There is already an account with this username.")).to_be_visible()
    expect(page.get_by_label("Username:", exact=True)).to_have_value("IT_ADMIN")
    assert without_expected_422(page.js_errors) == []


def test_admin_finds_a_student_and_erases_their_data(page, log_in, it_admin):
    student = StudentFactory(username="zed_pupil", full_name="Zed Pupil")
    SchoolClassFactory(name="10Y History", students=[student])
    log_in(it_admin)
    page.goto("/staff/")
    page.get_by_placeholder("Student's name or username").fill("Zed")
    page.get_by_role("button", name="Find student").click()
    expect(page.get_by_text("10Y History")).to_be_visible()

    # The search box narrows the list as one types (htmx), without a page load.
    page.get_by_placeholder("Student's name or username").fill("nobody-here")
    expect(page.get_by_text("No student matches")).to_be_visible()
    page.get_by_placeholder("Student's name or username").fill("zed_p")
    expect(page.get_by_role("link", name="Erase… Zed Pupil")).to_be_visible()

    page.get_by_role("link", name="Erase… Zed Pupil").click()
    page.get_by_label("Type the student's username to confirm").fill("zed")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("That is not zed_pupil; nothing was erased.")).to_be_visible()
    assert User.objects.filter(username="zed_pupil").exists()

    page.get_by_label("Type the student's username to confirm").fill("zed_pupil")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("The account zed_pupil and all its data are erased.")).to_be_visible()
    assert not User.objects.filter(username="zed_pupil").exists()
    assert without_expected_422(page.js_errors) == []
