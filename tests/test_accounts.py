"""Accounts: sign-up, the first admin, password reset, login throttling, joining with a code,
and the dashboards."""

import re
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from lessons.models import Enrolment, SchoolClass, User
from lessons.services.classes import regenerate_join_code

from .factories import TEST_PASSWORD, SchoolClassFactory, StudentFactory, TeacherFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_PASSWORD = "a-long-fresh-pass-phrase"


def logged_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


# Teacher sign-up


@override_settings(ALLOW_TEACHER_SIGNUP=False)
def test_teacher_signup_is_a_404_when_the_install_does_not_allow_it(client, db):
    assert client.get("/accounts/signup/").status_code == 404
    response = client.post(
        "/accounts/signup/",
        {
            "username": "new_teacher",
            "full_name": "Ms New",
            "email": "new@school.example",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="new_teacher").exists()


@override_settings(ALLOW_TEACHER_SIGNUP=False)
def test_login_page_offers_no_signup_when_it_is_off(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "/accounts/signup/" not in html
    assert "/accounts/password_reset/" in html
    assert "/join/" in html


@override_settings(ALLOW_TEACHER_SIGNUP=True)
def test_teacher_signs_up_and_is_logged_in_as_a_teacher(client, db):
    assert "/accounts/signup/" in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post(
        "/accounts/signup/",
        {
            "username": "new_teacher",
            "full_name": "Ms New",
            "email": "new@school.example",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    teacher = User.objects.get(username="new_teacher")
    assert teacher.is_teacher
    assert not teacher.is_staff
    assert teacher.email == "new@school.example"
    assert teacher.check_password(NEW_PASSWORD)
    assert logged_in_user(client) == teacher


@override_settings(ALLOW_TEACHER_SIGNUP=True)
def test_teacher_signup_refuses_a_taken_username_in_any_case(client, teacher):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "MS_TEACHER",
            "full_name": "Someone Else",
            "email": "else@school.example",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert b"A user with that username already exists" in response.content
    assert b'value="Someone Else"' in response.content
    assert User.objects.filter(role=User.Role.TEACHER).count() == 1


@override_settings(ALLOW_TEACHER_SIGNUP=True)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password1": "password", "password2": "password"}, b"This password is too common"),
        ({"password2": "something-else-entirely"}, b"The two password fields didn"),
        ({"email": ""}, b"This field is required"),
        ({"email": "not-an-address"}, b"Enter a valid email address"),
        ({"full_name": ""}, b"This field is required"),
    ],
)
def test_teacher_signup_shows_each_problem_at_its_field(client, db, changes, message):
    data = {
        "username": "new_teacher",
        "full_name": "Ms New",
        "email": "new@school.example",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **changes,
    }
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 422
    assert message in response.content
    assert b'value="new_teacher"' in response.content
    assert not User.objects.filter(username="new_teacher").exists()


@override_settings(ALLOW_TEACHER_SIGNUP=True)
def test_a_logged_in_user_opening_signup_goes_to_the_dashboard(teacher_client):
    assert teacher_client.get("/accounts/signup/")["Location"] == "/"


# The first admin


def test_createsuperuser_makes_a_staff_teacher(db, monkeypatch):
    # Unattended, as the README documents it for IT.
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "it_admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "it@school.example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", interactive=False, verbosity=0)
    admin = User.objects.get(username="it_admin")
    assert admin.is_teacher
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password(NEW_PASSWORD)


def test_the_first_admin_can_create_a_teacher_in_django_admin(client, db):
    admin = User.objects.create_superuser("it_admin", "it@school.example", NEW_PASSWORD)
    client.force_login(admin)
    form = client.get("/admin/lessons/user/add/").content.decode()
    assert 'name="role"' in form
    assert re.search(r'<option value="teacher" selected>', form)
    response = client.post(
        "/admin/lessons/user/add/",
        {
            "username": "invited_teacher",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "role": "teacher",
            "full_name": "Mr Invited",
            "must_change_password": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invited = User.objects.get(username="invited_teacher")
    assert invited.is_teacher
    assert invited.must_change_password


# Password reset by e-mail


def test_teacher_resets_a_forgotten_password_by_email(client, teacher):
    teacher.email = "ms.teacher@school.example"
    teacher.save()
    page = client.get("/accounts/password_reset/")
    assert page.status_code == 200
    assert b"ask your teacher" in page.content

    response = client.post("/accounts/password_reset/", {"email": "ms.teacher@school.example"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    assert "ms_teacher" in mail.outbox[0].body

    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/reset/done/"
    assert b"Password saved" in client.get("/accounts/reset/done/").content
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    # The link works once.
    assert b"This link does not work" in client.get(link, follow=True).content


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post("/accounts/password_reset/", {"email": "nobody@school.example"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []
    assert b"ask your teacher" in client.get("/accounts/password_reset/done/").content


# Login throttling


def fail_login(client, username, times=1):
    for _ in range(times):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
    return response


@override_settings(AXES_FAILURE_LIMIT=5)
def test_repeated_failures_lock_the_username_even_with_the_right_password(client, teacher):
    assert fail_login(client, "ms_teacher", times=4).status_code == 200
    locked = fail_login(client, "ms_teacher")
    assert locked.status_code == 429
    assert b"Too many failed log-ins" in locked.content

    right = client.post("/accounts/login/", {"username": "ms_teacher", "password": TEST_PASSWORD})
    assert right.status_code == 429
    assert b"ask your teacher to reset your password" in right.content
    assert logged_in_user(client) is None


@override_settings(AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=0.25)
def test_a_locked_username_can_log_in_again_after_the_cool_off(client, teacher):
    fail_login(client, "ms_teacher", times=5)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(
            "/accounts/login/", {"username": "ms_teacher", "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert logged_in_user(client) == teacher


@override_settings(AXES_FAILURE_LIMIT=5)
def test_a_class_sharing_one_address_does_not_lock_each_other_out(client, student):
    # Thirty students behind the school's one address each mistype their password twice.
    for number in range(30):
        StudentFactory(username=f"pupil{number}")
        fail_login(client, f"pupil{number}", times=2)
    response = client.post(
        "/accounts/login/",
        {"username": "sam_student", "password": TEST_PASSWORD},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302
    assert logged_in_user(client) == student


@override_settings(AXES_FAILURE_LIMIT=5)
def test_one_locked_username_does_not_lock_another_from_the_same_address(client, teacher, student):
    fail_login(client, "sam_student", times=6)
    response = client.post(
        "/accounts/login/", {"username": "ms_teacher", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


@override_settings(AXES_FAILURE_LIMIT=5)
def test_logging_in_on_the_join_page_is_throttled_too(client, student, school_class):
    other = SchoolClassFactory(name="Second class")
    for _ in range(5):
        client.post(
            "/join/",
            {
                "code": other.join_code,
                "action": "login",
                "login-username": "sam_student",
                "login-password": "wrong",
            },
        )
    response = client.post(
        "/join/",
        {
            "code": other.join_code,
            "action": "login",
            "login-username": "sam_student",
            "login-password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 429
    assert not Enrolment.objects.filter(school_class=other, student=student).exists()


# Joining a class: the code check as you type


def test_join_page_asks_for_the_code(client, db):
    response = client.get("/join/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html
    assert 'hx-get="/join/"' in html
    assert "I am new here" not in html


def test_code_check_names_the_class_as_it_is_typed(client, school_class):
    typed = school_class.join_code.lower()[:3] + " " + school_class.join_code.lower()[3:]
    response = client.get("/join/", {"code": typed}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "12H History" in html
    assert "Ms Teacher" in html
    assert "<html" not in html
    # Anonymous: the log-in and sign-up forms come with it, for the part below the code.
    assert 'id="join-next" hx-swap-oob="true"' in html
    assert "I am new here" in html
    assert f'name="code" value="{typed}"' in html
    # The forms arrive while the student types: they must not take the focus away.
    assert "autofocus" not in html


def test_code_check_says_when_a_code_is_wrong(client, school_class):
    response = client.get("/join/", {"code": "ZZZZZZ"}, **HTMX)
    assert response.status_code == 200
    assert b"No class has this code" in response.content
    assert b"I am new here" not in response.content


@pytest.mark.parametrize("typed", ["", "  ", "K7M"])
def test_code_check_says_nothing_while_the_code_is_half_typed(client, school_class, typed):
    response = client.get("/join/", {"code": typed}, **HTMX)
    assert response.status_code == 200
    assert b"No class has this code" not in response.content
    assert b"Type the join code" not in response.content


def test_code_check_of_an_archived_class_says_so(client, school_class):
    school_class.archived_at = timezone.now()
    school_class.save()
    response = client.get("/join/", {"code": school_class.join_code}, **HTMX)
    assert b"archived and cannot be joined" in response.content


def test_without_javascript_continue_shows_the_class_and_both_forms(client, school_class):
    response = client.get("/join/", {"code": school_class.join_code})
    assert response.status_code == 200
    html = response.content.decode()
    assert "12H History" in html
    assert "I already have an account" in html
    assert "I am new here" in html


def test_without_javascript_a_wrong_code_is_an_error_at_the_field(client, school_class):
    response = client.get("/join/", {"code": "ZZZZZZ"})
    assert response.status_code == 422
    assert b"No class has this code" in response.content
    assert b'value="ZZZZZZ"' in response.content
    assert b"I am new here" not in response.content


# Joining: new students


def signup_data(code, **changes):
    return {
        "code": code,
        "action": "signup",
        "signup-username": "new_pupil",
        "signup-full_name": "New Pupil",
        "signup-password1": NEW_PASSWORD,
        "signup-password2": NEW_PASSWORD,
        **changes,
    }


def test_new_student_creates_an_account_and_joins_in_one_step(client, school_class):
    response = client.post("/join/", signup_data(school_class.join_code.lower()))
    assert response.status_code == 302
    assert response["Location"] == "/"
    pupil = User.objects.get(username="new_pupil")
    assert pupil.is_student
    assert pupil.email == ""
    assert pupil.full_name == "New Pupil"
    assert not pupil.must_change_password
    assert Enrolment.objects.filter(school_class=school_class, student=pupil).exists()
    assert logged_in_user(client) == pupil
    dashboard = client.get("/")
    assert b"You have joined 12H History" in dashboard.content
    assert b"12H History" in dashboard.content


def test_new_student_needs_no_name(client, school_class):
    response = client.post(
        "/join/", signup_data(school_class.join_code, **{"signup-full_name": ""})
    )
    assert response.status_code == 302
    assert User.objects.get(username="new_pupil").display_name == "new_pupil"


def test_new_student_with_a_taken_username_is_told_at_the_field(client, school_class, student):
    response = client.post(
        "/join/", signup_data(school_class.join_code, **{"signup-username": "Sam_Student"})
    )
    assert response.status_code == 422
    assert b"A user with that username already exists" in response.content
    assert b'value="Sam_Student"' in response.content
    assert User.objects.filter(role=User.Role.STUDENT).count() == 1
    assert logged_in_user(client) is None


def test_a_username_taken_at_the_same_moment_is_an_error_not_a_crash(client, school_class):
    # Another student creates the same username between the form's check and the insert.
    real_create_user = User.objects.create_user

    def someone_else_first(**fields):
        real_create_user(username=fields["username"], password="x-other-password")
        return real_create_user(**fields)

    with mock.patch.object(User.objects, "create_user", side_effect=someone_else_first):
        response = client.post("/join/", signup_data(school_class.join_code))
    assert response.status_code == 422
    assert b"A user with that username already exists" in response.content
    assert not Enrolment.objects.filter(
        school_class=school_class, student__username="new_pupil"
    ).exists()


def test_new_student_with_a_weak_password_is_told_at_the_field(client, school_class):
    response = client.post(
        "/join/",
        signup_data(
            school_class.join_code,
            **{"signup-password1": "12345678", "signup-password2": "12345678"},
        ),
    )
    assert response.status_code == 422
    assert b"This password is entirely numeric" in response.content
    # Next to the field where the password was chosen.
    assert b'id="id_signup-password1_error"' in response.content
    assert not User.objects.filter(username="new_pupil").exists()


def test_new_student_with_a_wrong_code_gets_no_account(client, school_class):
    response = client.post("/join/", signup_data("ZZZZZZ"))
    assert response.status_code == 422
    assert b"No class has this code" in response.content
    # What they typed is kept for when they correct the code.
    assert b'value="new_pupil"' in response.content
    assert not User.objects.filter(username="new_pupil").exists()


def test_a_regenerated_code_stops_working(client, school_class):
    old_code = school_class.join_code
    regenerate_join_code(school_class=school_class)
    response = client.post("/join/", signup_data(old_code))
    assert response.status_code == 422
    assert not User.objects.filter(username="new_pupil").exists()
    assert client.post("/join/", signup_data(school_class.join_code)).status_code == 302


def test_an_archived_class_cannot_be_joined(client, school_class):
    school_class.archived_at = timezone.now()
    school_class.save()
    response = client.post("/join/", signup_data(school_class.join_code))
    assert response.status_code == 422
    assert b"archived" in response.content
    assert not User.objects.filter(username="new_pupil").exists()


# Joining: students with an account


def login_data(code, username="sam_student", password=TEST_PASSWORD):
    return {
        "code": code,
        "action": "login",
        "login-username": username,
        "login-password": password,
    }


def test_existing_student_logs_in_and_joins_another_class(client, student, school_class):
    second = SchoolClassFactory(name="History club", teachers=[TeacherFactory()])
    response = client.post("/join/", login_data(second.join_code))
    assert response.status_code == 302
    assert logged_in_user(client) == student
    assert set(SchoolClass.objects.for_student(student)) == {school_class, second}


def test_existing_student_with_a_wrong_password_is_not_enrolled(client, student):
    second = SchoolClassFactory(name="History club")
    response = client.post("/join/", login_data(second.join_code, password="wrong"))
    assert response.status_code == 422
    assert b"Please enter a correct username and password" in response.content
    assert b'value="sam_student"' in response.content
    assert not Enrolment.objects.filter(school_class=second).exists()
    assert logged_in_user(client) is None


def test_a_teacher_account_cannot_log_in_through_the_join_form(client, teacher, other_class):
    response = client.post("/join/", login_data(other_class.join_code, username="ms_teacher"))
    assert response.status_code == 422
    assert b"This is a teacher account" in response.content
    assert logged_in_user(client) is None
    assert not Enrolment.objects.filter(student=teacher).exists()


def test_logged_in_student_joins_with_just_the_code(student_client, student, school_class):
    second = SchoolClassFactory(name="History club")
    page = student_client.get("/join/")
    assert b"I am new here" not in page.content
    response = student_client.post("/join/", {"code": second.join_code})
    assert response.status_code == 302
    assert Enrolment.objects.filter(school_class=second, student=student).exists()
    assert b"You have joined History club" in student_client.get("/").content


def test_joining_twice_is_harmless_and_says_so(student_client, student, school_class):
    response = student_client.post("/join/", {"code": school_class.join_code}, follow=True)
    assert b"You are already in 12H History" in response.content
    assert Enrolment.objects.filter(school_class=school_class, student=student).count() == 1


def test_logged_in_student_with_a_wrong_code_is_told_at_the_field(student_client, student):
    response = student_client.post("/join/", {"code": "ZZZZZZ"})
    assert response.status_code == 422
    assert b"No class has this code" in response.content
    assert b'value="ZZZZZZ"' in response.content


def test_logged_in_student_with_no_code_is_asked_for_one(student_client):
    response = student_client.post("/join/", {"code": ""})
    assert response.status_code == 422
    assert b"Type the join code your teacher gave you" in response.content


def test_code_check_for_a_logged_in_student_has_no_signup_forms(student_client, other_class):
    response = student_client.get("/join/", {"code": other_class.join_code}, **HTMX)
    assert b"13K History" in response.content
    assert b"join-next" not in response.content


def test_teacher_opening_join_is_told_it_is_for_students(teacher_client, school_class):
    response = teacher_client.get("/join/")
    assert response.status_code == 200
    assert b"This page is for students" in response.content
    assert b'name="code"' not in response.content


def test_teacher_cannot_join_a_class_by_posting(teacher_client, teacher, other_class):
    response = teacher_client.post("/join/", {"code": other_class.join_code})
    assert response.status_code == 403
    assert not Enrolment.objects.filter(student=teacher).exists()


def test_joining_needs_the_csrf_token(db, school_class):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/join/", signup_data(school_class.join_code))
    assert response.status_code == 403
    assert not User.objects.filter(username="new_pupil").exists()


# Dashboards


def test_teacher_dashboard_lists_active_classes_with_counts_and_codes(teacher_client, teacher):
    busy = SchoolClassFactory(
        name="10B History", teachers=[teacher], students=StudentFactory.create_batch(3)
    )
    SchoolClassFactory(name="Old class", teachers=[teacher], archived_at=timezone.now())
    SchoolClassFactory(name="Not mine", teachers=[TeacherFactory()])
    html = teacher_client.get("/").content.decode()
    assert "10B History" in html
    assert "3 students" in html
    assert busy.join_code in html
    assert f"/classes/{busy.pk}/" in html
    assert "Old class" not in html
    assert "Not mine" not in html
    assert 'href="/classes/"' in html


def test_student_dashboard_lists_their_classes_and_a_join_link(student_client, student):
    SchoolClassFactory(
        name="History club", teachers=[TeacherFactory(full_name="Dr Who")], students=[student]
    )
    SchoolClassFactory(name="Archived club", students=[student], archived_at=timezone.now())
    SchoolClassFactory(name="Not my class", students=[StudentFactory()])
    html = student_client.get("/").content.decode()
    assert "History club" in html
    assert "Dr Who" in html
    assert "Archived club" not in html
    assert "Not my class" not in html
    assert 'href="/join/"' in html


def test_student_without_classes_is_pointed_to_join(student_client):
    assert b"You are not in a class yet" in student_client.get("/").content


def test_teacher_dashboard_queries_do_not_grow_with_classes_or_students(
    teacher_client, teacher, django_assert_num_queries
):
    SchoolClassFactory(teachers=[teacher], students=[StudentFactory()])
    teacher_client.get("/")
    with django_assert_num_queries(6) as small:
        teacher_client.get("/")
    for _ in range(6):
        SchoolClassFactory(teachers=[teacher], students=StudentFactory.create_batch(8))
    with django_assert_num_queries(len(small.captured_queries)):
        response = teacher_client.get("/")
    assert response.content.decode().count("class-card") >= 7


def test_student_dashboard_queries_do_not_grow_with_classes(
    student_client, student, django_assert_num_queries
):
    SchoolClassFactory(teachers=[TeacherFactory()], students=[student])
    student_client.get("/")
    # Classes, their teachers, the student's tasks and submissions (answering area).
    with django_assert_num_queries(6) as small:
        student_client.get("/")
    for _ in range(6):
        SchoolClassFactory(teachers=TeacherFactory.create_batch(2), students=[student])
    with django_assert_num_queries(len(small.captured_queries)):
        student_client.get("/")


@pytest.mark.parametrize(
    ("who", "link", "text"),
    [("teacher", "/classes/", "Classes"), ("student", "/join/", "Join a class")],
)
def test_navigation_has_the_role_s_link(client, teacher, student, who, link, text):
    client.force_login({"teacher": teacher, "student": student}[who])
    html = client.get("/").content.decode()
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert f'href="{link}"' in nav
    assert text in nav


@override_settings(ALLOW_TEACHER_SIGNUP=False)
def test_the_staff_page_choice_turns_teacher_signup_on_without_a_restart(client, db):
    from lessons.services.school import update_school_settings

    assert client.get("/accounts/signup/").status_code == 404
    update_school_settings(allow_teacher_signup=True, school_name="", time_zone="")
    assert client.get("/accounts/signup/").status_code == 200
    assert "/accounts/signup/" in client.get("/accounts/login/").content.decode()
