"""The first two steps of the journey in a real browser: a class, a student joining it."""

import re

from playwright.sync_api import expect

from lessons.models import Enrolment, SchoolClass, User

NEW_PASSWORD = "a-long-fresh-pass-phrase"


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")


def test_teacher_creates_a_class_a_student_joins_and_appears_on_the_roster(page, log_in, teacher):
    log_in(teacher)
    page.get_by_role("link", name="New class").click()
    page.get_by_label("Class name").fill("9C History")
    page.get_by_role("button", name="Create class").click()
    expect(page.get_by_role("heading", name="9C History")).to_be_visible()
    code = page.locator("#join-code-value").inner_text().strip()
    assert code == SchoolClass.objects.get(name="9C History").join_code
    log_out(page)

    # A new student, with the code their teacher wrote on the board (typed in lower case).
    page.goto("/join/")
    page.get_by_label("Join code").press_sequentially(code.lower(), delay=30)
    expect(page.locator("#code-check")).to_contain_text("9C History")
    expect(page.get_by_label("Join code")).to_be_focused()
    signup = page.locator("form", has=page.locator('input[name="action"][value="signup"]'))
    signup.get_by_label("Username").fill("new_pupil")
    signup.get_by_label("Your name (optional)").fill("New Pupil")
    signup.get_by_label("Choose a password").fill(NEW_PASSWORD)
    signup.get_by_label("Type the password again").fill(NEW_PASSWORD)
    signup.get_by_role("button", name="Create my account and join").click()
    expect(page.get_by_text("You have joined 9C History")).to_be_visible()
    expect(page.get_by_role("heading", name="9C History")).to_be_visible()
    log_out(page)

    log_in(teacher)
    page.get_by_role("link", name="9C History").click()
    roster = page.locator("table.roster")
    expect(roster.get_by_role("rowheader", name="New Pupil")).to_be_visible()
    expect(roster).to_contain_text("new_pupil")
    assert page.js_errors == []


def test_a_wrong_code_is_said_while_typing(page, school_class):
    page.goto("/join/")
    page.get_by_label("Join code").press_sequentially("ZZZZZZ", delay=30)
    expect(page.locator("#code-check")).to_contain_text("No class has this code")
    expect(page.get_by_role("button", name="Create my account and join")).to_have_count(0)
    assert page.js_errors == []


def test_teacher_regenerates_the_code_and_removes_a_student_inline(
    page, log_in, teacher, student, school_class
):
    log_in(teacher)
    page.goto(f"/classes/{school_class.pk}/")
    old_code = school_class.join_code
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Make a new code").click()
    expect(page.get_by_text("The old code no longer works")).to_be_visible()
    new_code = page.locator("#join-code-value").inner_text().strip()
    assert new_code != old_code
    school_class.refresh_from_db()
    assert school_class.join_code == new_code

    page.get_by_role("button", name="Remove Sam Student").click()
    expect(page.get_by_text("Sam Student is no longer in this class")).to_be_visible()
    expect(page.locator("#student-count")).to_have_text("0")
    assert not Enrolment.objects.filter(school_class=school_class).exists()
    assert User.objects.filter(pk=student.pk).exists()
    assert page.js_errors == []


def test_pasted_names_give_login_cards_that_work_once(page, log_in, teacher, school_class):
    log_in(teacher)
    page.goto(f"/classes/{school_class.pk}/students/add/")
    page.get_by_label("Students' names").fill("Ada Lovelace\nAlan Turing")
    page.get_by_role("button", name="Create accounts and login cards").click()
    expect(page.get_by_role("heading", name=re.compile("Login cards"))).to_be_visible()
    expect(page.get_by_role("button", name="Print login cards")).to_be_visible()
    cards = page.locator(".login-card")
    expect(cards).to_have_count(2)
    ada = cards.filter(has_text="Ada Lovelace").locator(".login-card__secret")
    username, password = ada.nth(0).inner_text(), ada.nth(1).inner_text()
    assert username == "ada.lovelace"

    page.reload()
    expect(page.get_by_text("There are no login cards to show")).to_be_visible()
    log_out(page)

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    assert page.js_errors == []
