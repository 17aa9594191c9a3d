"""Classes: creating, renaming, archiving, join codes, the roster, adding students from a
list of names, login cards, removing students and resetting their passwords."""

import base64
from datetime import UTC, datetime
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.db import IntegrityError
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from lessons.models import Enrolment, SchoolClass, Submission, User
from lessons.models.classes import JOIN_CODE_ALPHABET
from lessons.services import login_cards
from lessons.services.classes import (
    ONE_TIME_PASSWORD_ITERATIONS,
    LoginCard,
    add_students_from_names,
    create_class,
    generate_usernames,
    new_one_time_password,
    username_base,
)

from .factories import TEST_PASSWORD, SchoolClassFactory, StudentFactory, TaskFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


# Who may open what: every class URL


CLASS_URLS = [
    ("get", "/classes/{c}/"),
    ("get", "/classes/{c}/edit/"),
    ("post", "/classes/{c}/edit/"),
    ("post", "/classes/{c}/archive/"),
    ("post", "/classes/{c}/join-code/"),
    ("get", "/classes/{c}/students/add/"),
    ("post", "/classes/{c}/students/add/"),
    ("get", "/classes/{c}/login-cards/"),
    ("post", "/classes/{c}/students/{s}/remove/"),
    ("post", "/classes/{c}/students/{s}/reset-password/"),
]
ALL_URLS = [("get", "/classes/"), ("get", "/classes/new/"), ("post", "/classes/new/"), *CLASS_URLS]
# What a hostile request would change, if it got through.
HOSTILE_DATA = {"name": "Hijacked", "names": "Eve Intruder", "archived": "1"}


def request(client, method, url, data=None):
    return getattr(client, method)(url, data or {})


@pytest.mark.parametrize(("method", "url"), ALL_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, school_class, student, method, url):
    response = request(client, method, url.format(c=school_class.pk, s=student.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("method", "url"), ALL_URLS)
def test_students_never_reach_teacher_pages(student_client, school_class, student, method, url):
    url = url.format(c=school_class.pk, s=student.pk)
    response = request(student_client, method, url, HOSTILE_DATA)
    assert response.status_code == 403
    assert b"This page is for teachers" in response.content
    school_class.refresh_from_db()
    assert school_class.name == "12H History"
    assert not school_class.is_archived
    assert Enrolment.objects.filter(school_class=school_class, student=student).exists()
    assert not User.objects.filter(full_name="Eve Intruder").exists()


@pytest.mark.parametrize(("method", "url"), CLASS_URLS)
def test_another_teachers_class_is_a_404(
    teacher_client, school_class, other_class, outsider_student, method, url
):
    code = other_class.join_code
    url = url.format(c=other_class.pk, s=outsider_student.pk)
    response = request(teacher_client, method, url, HOSTILE_DATA)
    assert response.status_code == 404
    other_class.refresh_from_db()
    assert other_class.name == "13K History"
    assert other_class.join_code == code
    assert other_class.archived_at is None
    assert Enrolment.objects.filter(school_class=other_class).count() == 1
    assert not User.objects.filter(full_name="Eve Intruder").exists()
    outsider_student.refresh_from_db()
    assert outsider_student.check_password(TEST_PASSWORD)
    assert not outsider_student.must_change_password


@pytest.mark.parametrize("action", ["remove", "reset-password"])
def test_a_student_outside_the_class_is_a_404_on_its_roster(
    teacher_client, school_class, outsider_student, action
):
    response = teacher_client.post(
        f"/classes/{school_class.pk}/students/{outsider_student.pk}/{action}/"
    )
    assert response.status_code == 404
    outsider_student.refresh_from_db()
    assert outsider_student.check_password(TEST_PASSWORD)


def test_the_class_list_shows_only_the_teachers_own_classes(teacher_client, school_class):
    SchoolClassFactory(name="Someone else's class")
    html = teacher_client.get("/classes/").content.decode()
    assert "12H History" in html
    assert "Someone else" not in html


def test_the_class_list_queries_do_not_grow_with_classes(
    teacher_client, teacher, school_class, django_assert_num_queries
):
    teacher_client.get("/classes/")
    with django_assert_num_queries(3):
        teacher_client.get("/classes/")
    for n in range(5):
        SchoolClassFactory(
            name=f"Extra {n}", teachers=[teacher], students=StudentFactory.create_batch(4)
        )
    SchoolClassFactory(name="Old", teachers=[teacher], archived_at=timezone.now())
    with django_assert_num_queries(3):
        html = teacher_client.get("/classes/").content.decode()
    assert html.count('<th scope="row">') == 7


# Creating, renaming, archiving


def test_teacher_creates_a_class_with_a_join_code(teacher_client, teacher):
    assert teacher_client.get("/classes/new/").status_code == 200
    response = teacher_client.post("/classes/new/", {"name": "  10B History  "})
    school_class = SchoolClass.objects.get(name="10B History")
    assert response["Location"] == f"/classes/{school_class.pk}/"
    assert list(school_class.teachers.all()) == [teacher]
    assert len(school_class.join_code) == 6
    assert set(school_class.join_code) <= set(JOIN_CODE_ALPHABET)
    page = teacher_client.get(response["Location"]).content.decode()
    assert school_class.join_code in page


@pytest.mark.parametrize(
    ("name", "message"),
    [("", b"Give the class a name."), ("x" * 101, b"at most 100 characters")],
)
def test_a_class_needs_a_sensible_name(teacher_client, name, message):
    response = teacher_client.post("/classes/new/", {"name": name})
    assert response.status_code == 422
    assert message in response.content
    assert not SchoolClass.objects.exists()


def test_join_codes_avoid_characters_that_look_alike(teacher):
    codes = {create_class(teacher=teacher, name=f"Class {n}").join_code for n in range(40)}
    assert len(codes) == 40
    for character in "0O1IL":
        assert not any(character in code for code in codes)
        assert character not in JOIN_CODE_ALPHABET
    assert "l" not in JOIN_CODE_ALPHABET


def test_teacher_renames_a_class(teacher_client, school_class):
    form = teacher_client.get(f"/classes/{school_class.pk}/edit/")
    assert b'value="12H History"' in form.content
    response = teacher_client.post(f"/classes/{school_class.pk}/edit/", {"name": "12H Modern"})
    assert response["Location"] == f"/classes/{school_class.pk}/"
    school_class.refresh_from_db()
    assert school_class.name == "12H Modern"


def test_renaming_to_nothing_is_refused_and_keeps_the_name(teacher_client, school_class):
    response = teacher_client.post(f"/classes/{school_class.pk}/edit/", {"name": "   "})
    assert response.status_code == 422
    assert b"Give the class a name." in response.content
    school_class.refresh_from_db()
    assert school_class.name == "12H History"


def test_archiving_takes_a_class_off_dashboards_and_back(teacher_client, school_class, student):
    response = teacher_client.post(f"/classes/{school_class.pk}/archive/", {"archived": "1"})
    assert response["Location"] == f"/classes/{school_class.pk}/"
    page = teacher_client.get(response["Location"]).content.decode()
    assert "12H History is archived" in page
    assert 'name="archived" value="0"' in page
    school_class.refresh_from_db()
    assert school_class.is_archived
    assert b"12H History" not in teacher_client.get("/").content
    listing = teacher_client.get("/classes/").content.decode()
    assert listing.index("12H History") > listing.index("Archived")
    # Nothing is deleted.
    assert Enrolment.objects.filter(school_class=school_class, student=student).exists()

    teacher_client.post(f"/classes/{school_class.pk}/archive/", {"archived": "0"})
    school_class.refresh_from_db()
    assert not school_class.is_archived
    assert b"12H History" in teacher_client.get("/").content


def test_an_archived_class_takes_no_new_students(teacher_client, school_class):
    school_class.archived_at = timezone.now()
    school_class.save()
    response = teacher_client.post(
        f"/classes/{school_class.pk}/students/add/", {"names": "Ada Lovelace"}
    )
    assert response["Location"] == f"/classes/{school_class.pk}/"
    assert not User.objects.filter(full_name="Ada Lovelace").exists()


# Join codes


def test_regenerating_the_code_without_javascript(teacher_client, school_class):
    old = school_class.join_code
    response = teacher_client.post(f"/classes/{school_class.pk}/join-code/")
    assert response["Location"] == f"/classes/{school_class.pk}/"
    school_class.refresh_from_db()
    assert school_class.join_code != old
    page = teacher_client.get(response["Location"]).content.decode()
    assert f"The new join code is {school_class.join_code}" in page


def test_regenerating_the_code_with_htmx_swaps_just_the_code(teacher_client, school_class):
    old = school_class.join_code
    response = teacher_client.post(f"/classes/{school_class.pk}/join-code/", **HTMX)
    assert response.status_code == 200
    school_class.refresh_from_db()
    html = response.content.decode()
    assert school_class.join_code != old
    assert school_class.join_code in html
    assert old not in html
    assert html.lstrip().startswith('<div id="join-code"')
    assert "The old code no longer works" in html
    assert f"/join/?code={school_class.join_code}" in html
    assert "<html" not in html


def test_regenerating_the_code_needs_a_post(teacher_client, school_class):
    assert teacher_client.get(f"/classes/{school_class.pk}/join-code/").status_code == 405


# The roster


def test_roster_shows_students_with_joined_and_last_login(teacher_client, school_class, student):
    student.last_login = timezone.make_aware(datetime(2026, 1, 15, 9, 30))
    student.save()
    StudentFactory(full_name="Never Loggedin", username="never").classes.add(school_class)
    html = teacher_client.get(f"/classes/{school_class.pk}/").content.decode()
    assert "Sam Student" in html
    assert "sam_student" in html
    assert "15 Jan 2026, 09:30" in html
    assert "Never" in html
    assert timezone.localdate().strftime("%-d %b %Y") in html
    assert 'Students (<span id="student-count">2</span>)' in html


def test_roster_times_are_in_the_school_time_zone(teacher_client, school_class, student):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    student.last_login = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    student.save()
    html = teacher_client.get(f"/classes/{school_class.pk}/").content.decode()
    assert "1 Jul 2026, 00:30" in html


def test_roster_queries_do_not_grow_with_the_class(
    teacher_client, school_class, django_assert_num_queries
):
    teacher_client.get(f"/classes/{school_class.pk}/")
    with django_assert_num_queries(4):
        teacher_client.get(f"/classes/{school_class.pk}/")
    for student in StudentFactory.create_batch(40):
        Enrolment.objects.create(school_class=school_class, student=student)
    with django_assert_num_queries(4):
        response = teacher_client.get(f"/classes/{school_class.pk}/")
    assert response.content.decode().count("Reset password<") == 41


def test_removing_a_student_keeps_their_account_and_work(
    teacher_client, teacher, school_class, student
):
    task = TaskFactory(owner=teacher, classes=[school_class])
    Submission.objects.create(task=task, student=student)
    response = teacher_client.post(f"/classes/{school_class.pk}/students/{student.pk}/remove/")
    assert response["Location"] == f"/classes/{school_class.pk}/"
    assert not Enrolment.objects.filter(school_class=school_class, student=student).exists()
    assert User.objects.filter(pk=student.pk).exists()
    assert Submission.objects.filter(task=task, student=student).exists()
    page = teacher_client.get(response["Location"]).content.decode()
    assert "Sam Student is no longer in 12H History. Their work is kept." in page


def test_removing_a_student_inline_with_htmx(teacher_client, school_class, student):
    StudentFactory(username="stays").classes.add(school_class)
    response = teacher_client.post(
        f"/classes/{school_class.pk}/students/{student.pk}/remove/", **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<tr class="roster__removed">')
    assert "Sam Student is no longer in this class" in html
    assert '<span id="student-count" hx-swap-oob="true">1</span>' in html
    assert not Enrolment.objects.filter(school_class=school_class, student=student).exists()


def test_removing_needs_a_post(teacher_client, school_class, student):
    response = teacher_client.get(f"/classes/{school_class.pk}/students/{student.pk}/remove/")
    assert response.status_code == 405
    assert Enrolment.objects.filter(school_class=school_class, student=student).exists()


# Resetting a student's password


def test_resetting_a_password_shows_a_one_time_password_once(teacher_client, school_class, student):
    response = teacher_client.post(
        f"/classes/{school_class.pk}/students/{student.pk}/reset-password/"
    )
    assert response["Location"] == f"/classes/{school_class.pk}/login-cards/"
    page = teacher_client.get(response["Location"])
    assert page["Cache-Control"].startswith("max-age=0")
    html = page.content.decode()
    assert "sam_student" in html
    password = html.split('<dd class="login-card__secret">')[2].split("<")[0]
    assert len(password) >= 10

    student.refresh_from_db()
    assert student.must_change_password
    assert not student.check_password(TEST_PASSWORD)
    assert student.check_password(password)
    # Shown once: reloading does not show it again.
    again = teacher_client.get(response["Location"]).content.decode()
    assert password not in again
    assert "shown only once" in again
    # The student logs in with it and must choose their own.
    client = Client()
    login = client.post("/accounts/login/", {"username": "sam_student", "password": password})
    assert login.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password_change/"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_resetting_a_password_unlocks_a_locked_out_student(teacher_client, school_class, student):
    rf = RequestFactory()
    for _ in range(3):
        authenticate(rf.post("/accounts/login/"), username="sam_student", password="wrong")
    assert AccessAttempt.objects.filter(username="sam_student").exists()
    teacher_client.post(f"/classes/{school_class.pk}/students/{student.pk}/reset-password/")
    assert not AccessAttempt.objects.filter(username="sam_student").exists()


# Adding students from a list of names


def add(client, school_class, names):
    return client.post(f"/classes/{school_class.pk}/students/add/", {"names": names})


def card_passwords(html: str) -> dict[str, str]:
    secrets = [part.split("<")[0] for part in html.split('<dd class="login-card__secret">')[1:]]
    return dict(zip(secrets[0::2], secrets[1::2], strict=True))


def test_pasted_names_become_students_with_login_cards(teacher_client, school_class):
    response = add(teacher_client, school_class, "Ada Lovelace\r\n\r\n  Zoë   O'Brien-Smith \r\n")
    assert response["Location"] == f"/classes/{school_class.pk}/login-cards/"
    html = teacher_client.get(response["Location"]).content.decode()
    passwords = card_passwords(html)
    assert set(passwords) == {"ada.lovelace", "zoe.obrien.smith"}
    assert "Zoë O&#x27;Brien-Smith" in html

    ada = User.objects.get(username="ada.lovelace")
    assert ada.is_student
    assert ada.full_name == "Ada Lovelace"
    assert ada.must_change_password
    assert Enrolment.objects.filter(school_class=school_class, student=ada).exists()
    assert User.objects.get(username="zoe.obrien.smith").full_name == "Zoë O'Brien-Smith"

    client = Client()
    login = client.post(
        "/accounts/login/", {"username": "ada.lovelace", "password": passwords["ada.lovelace"]}
    )
    assert login.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password_change/"


def test_login_cards_are_shown_once(teacher_client, school_class):
    add(teacher_client, school_class, "Ada Lovelace")
    first = teacher_client.get(f"/classes/{school_class.pk}/login-cards/").content.decode()
    password = card_passwords(first)["ada.lovelace"]
    second = teacher_client.get(f"/classes/{school_class.pk}/login-cards/").content.decode()
    assert password not in second
    assert "ada.lovelace" not in second
    assert "Reset password" in second


def test_one_time_passwords_never_reach_the_database_in_plain_text(teacher_client, school_class):
    add(teacher_client, school_class, "Ada Lovelace\nAlan Turing")
    stored = " ".join(
        Session.objects.get(session_key=teacher_client.session.session_key)
        .get_decoded()
        .get(login_cards.SESSION_KEY, {})
        .values()
    )
    raw_session = Session.objects.get(session_key=teacher_client.session.session_key).session_data
    html = teacher_client.get(f"/classes/{school_class.pk}/login-cards/").content.decode()
    passwords = card_passwords(html)
    assert len(passwords) == 2
    for username, password in passwords.items():
        assert password not in stored
        assert password not in raw_session
        assert password not in User.objects.get(username=username).password
    # Shown, then gone from the session too.
    session = Session.objects.get(session_key=teacher_client.session.session_key).get_decoded()
    assert login_cards.SESSION_KEY not in session


def test_login_cards_of_one_class_do_not_show_on_another(teacher_client, teacher, school_class):
    second = SchoolClassFactory(name="Second", teachers=[teacher])
    add(teacher_client, school_class, "Ada Lovelace")
    html = teacher_client.get(f"/classes/{second.pk}/login-cards/").content.decode()
    assert "ada.lovelace" not in html
    html = teacher_client.get(f"/classes/{school_class.pk}/login-cards/").content.decode()
    assert "ada.lovelace" in html


def test_taken_and_repeated_names_get_numbered_usernames(teacher_client, school_class):
    StudentFactory(username="ada.lovelace")
    add(teacher_client, school_class, "Ada Lovelace\nAda Lovelace\nada lovelace")
    usernames = set(
        Enrolment.objects.filter(
            school_class=school_class, student__full_name__iexact="ada lovelace"
        ).values_list("student__username", flat=True)
    )
    assert usernames == {"ada.lovelace2", "ada.lovelace3", "ada.lovelace4"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "ada.lovelace"),
        ("  Zoë   Ærøskøbing ", "zoe.aeroskobing"),
        ("Łukasz Straße", "lukasz.strasse"),
        ("José Núñez-García", "jose.nunez.garcia"),
        ("Siobhán O’Neill", "siobhan.oneill"),
        ("李小龙", ""),
        ("!!!", ""),
        ("Hubert Blaine Wolfeschlegelsteinhausenbergerdorff", "hubert.blaine.wolfeschlegelste"),
    ],
)
def test_usernames_come_from_names_folded_to_plain_letters(name, expected):
    assert username_base(name) == expected


def test_names_without_usable_letters_still_get_accounts(db):
    StudentFactory(username="student1")
    assert generate_usernames(["李小龙", "!!!", "Student"]) == ["student2", "student3", "student4"]


def test_one_time_passwords_are_readable_and_long_enough():
    for _ in range(50):
        password = new_one_time_password()
        assert len(password) >= 10
        assert not set(password) & set("0O1lIio")
        assert password == password.lower()


def test_a_list_of_exactly_two_hundred_names_is_accepted(teacher_client, school_class):
    names = "\n".join(f"Pupil Number{n}" for n in range(200))
    response = add(teacher_client, school_class, names)
    assert response.status_code == 302
    assert Enrolment.objects.filter(school_class=school_class).count() == 201


def test_a_list_over_the_limit_creates_nothing(teacher_client, school_class):
    names = "\n".join(f"Pupil Number{n}" for n in range(201))
    response = add(teacher_client, school_class, names)
    assert response.status_code == 422
    assert b"That list has 201 names; add at most 200 at a time." in response.content
    assert b"Pupil Number200" in response.content  # what was pasted is kept
    assert User.objects.count() == 2


@pytest.mark.parametrize("names", ["", "\n\n   \n"])
def test_an_empty_list_is_refused(teacher_client, school_class, names):
    response = add(teacher_client, school_class, names)
    assert response.status_code == 422
    assert b"Paste at least one name, one per line." in response.content


def test_a_too_long_line_is_refused_by_number_and_nothing_is_created(teacher_client, school_class):
    names = "Ada Lovelace\n\nAlan Turing\n" + "x" * 151 + "\nGrace Hopper"
    response = add(teacher_client, school_class, names)
    assert response.status_code == 422
    assert b"Line 4 is longer than 150 characters." in response.content
    assert b"Grace Hopper" in response.content
    assert not User.objects.filter(full_name__in=["Ada Lovelace", "Grace Hopper"]).exists()


def test_a_control_character_is_refused_by_line_number(teacher_client, school_class):
    response = add(
        teacher_client, school_class, "Ada Lovelace\r\nAlan\x07 Turing\r\nGrace\x0bHopper"
    )
    assert response.status_code == 422
    assert b"Line 2 contains a control character" in response.content
    assert b"Line 3 contains a control character" in response.content
    assert User.objects.count() == 2


def test_a_name_of_exactly_the_maximum_length_is_fine(teacher_client, school_class):
    assert add(teacher_client, school_class, "y" * 150).status_code == 302


def test_tabs_from_a_spreadsheet_count_as_spaces(teacher_client, school_class):
    add(teacher_client, school_class, "Ada\tLovelace\nAlan\t\tTuring")
    assert set(User.objects.filter(role="student").values_list("full_name", flat=True)) >= {
        "Ada Lovelace",
        "Alan Turing",
    }


def test_many_bad_lines_are_listed_briefly(teacher_client, school_class):
    response = add(teacher_client, school_class, "\n".join(["z" * 200] * 25))
    assert response.status_code == 422
    assert b"Line 10 is longer" in response.content
    assert b"Line 11 is longer" not in response.content
    assert b"and 15 more lines like these" in response.content


def test_a_failure_half_way_creates_no_accounts(school_class):
    with (
        mock.patch(
            "lessons.services.classes.Enrolment.objects.bulk_create",
            side_effect=IntegrityError("disk full"),
        ),
        pytest.raises(IntegrityError),
    ):
        add_students_from_names(school_class=school_class, names_text="Ada Lovelace\nAlan Turing")
    assert not User.objects.filter(full_name__in=["Ada Lovelace", "Alan Turing"]).exists()


def test_one_time_passwords_are_hashed_lightly_and_strengthened_at_first_login(
    settings, school_class
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    cards = add_students_from_names(school_class=school_class, names_text="Ada Lovelace")
    ada = User.objects.get(username="ada.lovelace")
    algorithm, iterations, *_ = ada.password.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) == ONE_TIME_PASSWORD_ITERATIONS
    assert identify_hasher(ada.password).algorithm == "pbkdf2_sha256"

    user = authenticate(
        RequestFactory().post("/"), username="ada.lovelace", password=cards[0].password
    )
    assert user == ada
    ada.refresh_from_db()
    assert int(ada.password.split("$")[1]) > ONE_TIME_PASSWORD_ITERATIONS
    # The shared hasher used by every log-in was not touched.
    other = StudentFactory()
    other.set_password("x-long-enough-password")
    assert int(other.password.split("$")[1]) > ONE_TIME_PASSWORD_ITERATIONS


# Sealing the cards in the session


def test_sealed_cards_open_only_unaltered_and_with_the_same_secret_key(settings):
    cards = [LoginCard(full_name="Ada", username="ada", password="abcd-efgh-jkmn")]
    token = login_cards.seal(cards)
    assert "abcd" not in token
    assert login_cards.unseal(token) == cards

    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1
    assert login_cards.unseal(base64.urlsafe_b64encode(bytes(raw)).decode()) is None
    assert login_cards.unseal("not base64!") is None

    settings.SECRET_KEY = "a-different-secret-key-" + "x" * 30
    assert login_cards.unseal(token) is None
