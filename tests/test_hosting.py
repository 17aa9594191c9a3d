"""The staff page (figures, teachers, install settings, data protection) and school settings."""

import io
import re
import zipfile
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import Answer, SchoolSettings, User
from lessons.services.school import (
    current_school_settings,
    teacher_signup_allowed,
    update_school_settings,
)
from lessons.services.staff import new_one_time_password

from .factories import (
    TEST_PASSWORD,
    AnswerFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
    TeacherFactory,
)


@pytest.fixture
def admin_user(db):
    return TeacherFactory(username="it_admin", full_name="Ivy Admin", is_staff=True)


@pytest.fixture
def admin_client(admin_user):
    # Its own client, so a test can also use `client` as the teacher or student it manages.
    client = Client()
    client.force_login(admin_user)
    return client


def one_time_password_in(html: str) -> str:
    match = re.search(r'class="one-time__password"><code>([a-z0-9-]+)</code>', html)
    assert match, "no one-time password on the page"
    return match.group(1)


# Who may see it ----------------------------------------------------------------------------


def staff_urls(teacher, student) -> list[tuple[str, str]]:
    return [
        ("get", reverse("staff_home")),
        ("post", reverse("staff_teacher_create")),
        ("post", reverse("staff_teacher_password", args=[teacher.pk])),
        ("post", reverse("staff_teacher_active", args=[teacher.pk])),
        ("post", reverse("staff_settings")),
        ("get", reverse("staff_students") + "?q=sam"),
        ("get", reverse("staff_student_export", args=[student.pk])),
        ("get", reverse("staff_student_erase", args=[student.pk])),
        ("post", reverse("staff_student_erase", args=[student.pk])),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, teacher, student):
    for method, url in staff_urls(teacher, student):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_users_who_are_not_staff_get_a_403(client, teacher, student, who):
    client.force_login({"teacher": teacher, "student": student}[who])
    for method, url in staff_urls(teacher, student):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert b"administrators" in response.content
    assert User.objects.get(pk=teacher.pk).is_active
    assert User.objects.filter(pk=student.pk).exists()


def test_teacher_actions_on_a_student_and_student_actions_on_a_teacher_are_404(
    admin_client, teacher, student
):
    assert (
        admin_client.post(reverse("staff_teacher_password", args=[student.pk])).status_code == 404
    )
    assert admin_client.post(reverse("staff_teacher_active", args=[student.pk])).status_code == 404
    assert admin_client.get(reverse("staff_student_export", args=[teacher.pk])).status_code == 404
    assert admin_client.get(reverse("staff_student_erase", args=[teacher.pk])).status_code == 404
    assert admin_client.get(reverse("staff_student_erase", args=[999999])).status_code == 404
    assert User.objects.get(pk=student.pk).check_password(TEST_PASSWORD)


def test_staff_see_a_link_to_the_staff_page_and_others_do_not(client, admin_user, teacher):
    client.force_login(admin_user)
    assert reverse("staff_home") in client.get("/").content.decode()
    client.force_login(teacher)
    assert reverse("staff_home") not in client.get("/").content.decode()


# Figures -----------------------------------------------------------------------------------


def test_staff_page_shows_the_installs_figures(admin_client, school_class, student, teacher):
    SchoolClassFactory(archived_at=timezone.now())
    StudentFactory(is_active=False)
    task = TaskFactory(owner=teacher, classes=[school_class])
    AnswerFactory(submission=SubmissionFactory(task=task, student=student))
    response = admin_client.get(reverse("staff_home"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts == {
        "teachers": 2,
        "students": 1,
        "staff": 1,
        "inactive": 1,
        "active_classes": 1,
        "archived_classes": 1,
        "tasks": 1,
        "published_tasks": 1,
        "submissions": 1,
        "answers": 1,
    }
    html = response.content.decode()
    assert "Figures" in html and "Ms Teacher" in html


def test_staff_page_costs_the_same_queries_for_a_small_or_larger_school(admin_client):
    def grow(n):
        for _ in range(n):
            teacher = TeacherFactory()
            school_class = SchoolClassFactory(teachers=[teacher])
            student = StudentFactory()
            task = TaskFactory(owner=teacher, classes=[school_class])
            AnswerFactory(submission=SubmissionFactory(task=task, student=student))

    grow(1)
    admin_client.get(reverse("staff_home"))
    with CaptureQueriesContext(connection) as small:
        admin_client.get(reverse("staff_home"))
    grow(6)
    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(reverse("staff_home"))
    assert response.context["counts"]["teachers"] == 8
    assert len(large.captured_queries) == len(small.captured_queries)


# Teachers ----------------------------------------------------------------------------------


def test_one_time_passwords_are_readable_and_differ():
    passwords = {new_one_time_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
        assert not set("01ilo") & set(password)


def test_creating_a_teacher_shows_a_one_time_password_once(admin_client, client):
    response = admin_client.post(
        reverse("staff_teacher_create"),
        {"username": "mr_new", "full_name": "Mr New", "email": "new@school.example"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#teachers")
    page = admin_client.get(response["Location"]).content.decode()
    password = one_time_password_in(page)
    assert "shown only this once" in page
    assert password not in admin_client.get(reverse("staff_home")).content.decode()

    teacher = User.objects.get(username="mr_new")
    assert teacher.is_teacher and teacher.must_change_password and not teacher.is_staff
    assert teacher.full_name == "Mr New" and teacher.email == "new@school.example"
    assert teacher.check_password(password)


def test_a_new_teacher_logs_in_with_the_one_time_password_and_must_choose_their_own(
    admin_client, client
):
    admin_client.post(
        reverse("staff_teacher_create"),
        {"username": "mr_new", "full_name": "Mr New"},
        HTTP_HX_REQUEST="true",
    )
    password = one_time_password_in(
        admin_client.post(
            reverse("staff_teacher_password", args=[User.objects.get(username="mr_new").pk]),
            HTTP_HX_REQUEST="true",
        ).content.decode()
    )
    response = client.post("/accounts/login/", {"username": "mr_new", "password": password})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password_change/"


def test_creating_a_teacher_with_htmx_returns_the_teachers_section(admin_client):
    response = admin_client.post(
        reverse("staff_teacher_create"),
        {"username": "mr_new", "full_name": "Mr New"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="teachers"')
    assert "<html" not in html
    assert User.objects.get(username="mr_new").check_password(one_time_password_in(html))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "MS_TEACHER", "full_name": "Dup"}, "username", "already an account"),
        ({"username": "bad name!", "full_name": "Bad"}, "username", "Enter a valid username"),
        ({"username": "ok_name", "full_name": ""}, "full_name", "This field is required"),
        (
            {"username": "ok_name", "full_name": "Ok", "email": "not-mail"},
            "email",
            "valid email",
        ),
    ],
)
def test_invalid_teacher_details_are_refused_at_the_field_and_kept(
    admin_client, teacher, data, field, message
):
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = admin_client.post(reverse("staff_teacher_create"), data, **headers)
        assert response.status_code == 422
        html = response.content.decode()
        assert message in html
        assert f'aria-describedby="id_{field}_error' in html or f"id_{field}_error" in html
        for value in data.values():
            if value:
                assert f'value="{value}"' in html
    assert User.objects.count() == 2


def test_reset_password_gives_a_one_time_password_and_logs_the_teacher_out(
    admin_client, client, teacher
):
    client.force_login(teacher)
    response = admin_client.post(reverse("staff_teacher_password", args=[teacher.pk]))
    assert response.status_code == 302
    password = one_time_password_in(admin_client.get(response["Location"]).content.decode())
    teacher.refresh_from_db()
    assert teacher.check_password(password) and teacher.must_change_password
    assert client.get("/").status_code == 302


def test_deactivated_teacher_is_logged_out_at_once_and_cannot_log_in(admin_client, client, teacher):
    client.force_login(teacher)
    assert client.get("/").status_code == 200
    response = admin_client.post(
        reverse("staff_teacher_active", args=[teacher.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    assert "account is deactivated" in admin_client.get(response["Location"]).content.decode()

    next_request = client.get("/")
    assert next_request.status_code == 302
    assert next_request["Location"].startswith("/accounts/login/")
    login = client.post("/accounts/login/", {"username": "ms_teacher", "password": TEST_PASSWORD})
    assert login.status_code == 200
    assert client.get("/").status_code == 302


def test_a_session_that_survives_deactivation_is_not_let_in(admin_client, client, teacher):
    """Even if a session row were left behind, the inactive account is not authenticated."""
    client.force_login(teacher)
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    assert Session.objects.exists()
    assert client.get("/").status_code == 302


def test_reactivated_teacher_can_log_in_again(admin_client, client, teacher):
    admin_client.post(reverse("staff_teacher_active", args=[teacher.pk]), {"active": "0"})
    response = admin_client.post(
        reverse("staff_teacher_active", args=[teacher.pk]),
        {"active": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "account is reactivated" in response.content.decode()
    login = client.post("/accounts/login/", {"username": "ms_teacher", "password": TEST_PASSWORD})
    assert login.status_code == 302


def test_an_admin_cannot_deactivate_their_own_account(admin_client, admin_user):
    response = admin_client.post(
        reverse("staff_teacher_active", args=[admin_user.pk]), {"active": "0"}, follow=True
    )
    assert "cannot deactivate your own account" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


# Install settings --------------------------------------------------------------------------


def test_without_saved_settings_the_environment_defaults_apply(db, settings):
    settings.SCHOOL_NAME = "Env School"
    settings.ALLOW_TEACHER_SIGNUP = True
    settings.TIME_ZONE = "Europe/London"
    school = current_school_settings()
    assert (school.school_name, school.allow_teacher_signup, school.time_zone) == (
        "Env School",
        True,
        "Europe/London",
    )
    assert teacher_signup_allowed() is True


def test_saved_settings_override_the_environment_and_blank_means_default(db, settings):
    settings.SCHOOL_NAME = "Env School"
    settings.ALLOW_TEACHER_SIGNUP = True
    update_school_settings(allow_teacher_signup=False, school_name="", time_zone="Asia/Tokyo")
    school = current_school_settings()
    assert school.school_name == "Env School"
    assert school.allow_teacher_signup is False
    assert school.time_zone == "Asia/Tokyo"
    assert not teacher_signup_allowed()
    assert SchoolSettings.objects.count() == 1


def test_school_settings_are_read_from_the_cache_not_a_query_per_page(
    db, django_assert_num_queries
):
    update_school_settings(allow_teacher_signup=None, school_name="Cached", time_zone="")
    current_school_settings()
    with django_assert_num_queries(0):
        assert current_school_settings().school_name == "Cached"
        assert teacher_signup_allowed() is False
    update_school_settings(allow_teacher_signup=True, school_name="Changed", time_zone="")
    assert current_school_settings().school_name == "Changed"


def test_saving_settings_on_the_staff_page_changes_the_header_and_the_time_zone(
    admin_client, teacher, school_class
):
    response = admin_client.post(
        reverse("staff_settings"),
        {
            "school_name": "Riverside School",
            "allow_teacher_signup": "yes",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#settings")
    page = admin_client.get(response["Location"]).content.decode()
    assert '<a class="site-name" href="/">Riverside School</a>' in page
    assert "The school settings are saved." in page
    assert teacher_signup_allowed()

    # Times are shown in the school's zone: the middleware activates it for each request.
    from lessons.middleware import SchoolTimeZoneMiddleware

    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        seen["local"] = timezone.localtime(datetime(2026, 1, 1, 12, 0, tzinfo=UTC)).hour
        from django.http import HttpResponse

        return HttpResponse()

    SchoolTimeZoneMiddleware(view)(None)
    assert seen == {"zone": "Asia/Tokyo", "local": 21}
    assert timezone.get_current_timezone_name() != "Asia/Tokyo"


def test_settings_form_shows_the_environment_defaults_it_falls_back_to(admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    settings.ALLOW_TEACHER_SIGNUP = False
    html = admin_client.get(reverse("staff_home")).content.decode()
    assert "Use the server&#x27;s default (Europe/London)" in html
    assert "Use the server&#x27;s default (not allowed)" in html


def test_an_unknown_time_zone_is_refused_at_the_field(admin_client):
    response = admin_client.post(
        reverse("staff_settings"),
        {"school_name": "Kept Name", "allow_teacher_signup": "", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert 'value="Kept Name"' in html
    assert not SchoolSettings.objects.exists()


# Data protection ---------------------------------------------------------------------------


def test_finding_a_student_by_name_lists_their_classes_and_actions(
    admin_client, student, school_class
):
    response = admin_client.get(reverse("staff_students"), {"q": "Sam"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "sam_student" in html and "12H History" in html
    assert reverse("staff_student_export", args=[student.pk]) in html
    assert reverse("staff_student_erase", args=[student.pk]) in html
    partial = admin_client.get(reverse("staff_students"), {"q": "Sam"}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="student-results"')
    none = admin_client.get(reverse("staff_students"), {"q": "nobody-like-this"})
    assert "No student matches" in none.content.decode()


def test_student_search_lists_only_students(admin_client, teacher, student):
    html = admin_client.get(reverse("staff_students"), {"q": "ms_teacher"}).content.decode()
    assert "No student matches" in html


def test_student_search_costs_the_same_queries_for_few_or_many_results(admin_client):
    for i in range(2):
        SchoolClassFactory(students=[StudentFactory(full_name=f"Pupil Alpha {i}")])
    admin_client.get(reverse("staff_students"), {"q": "Pupil"})
    with CaptureQueriesContext(connection) as small:
        admin_client.get(reverse("staff_students"), {"q": "Pupil"})
    for i in range(8):
        SchoolClassFactory(students=[StudentFactory(full_name=f"Pupil Beta {i}")])
    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(reverse("staff_students"), {"q": "Pupil"})
    assert len(response.context["students"]) == 10
    assert len(large.captured_queries) == len(small.captured_queries)


def test_download_gives_the_students_data_as_a_zip(admin_client, student, school_class):
    response = admin_client.get(reverse("staff_student_export", args=[student.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="student-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "Sam Student" in archive.read("index.html").decode()
        assert "12H History" in archive.read("data.json").decode()


def test_erase_needs_the_username_typed_and_keeps_everything_otherwise(
    admin_client, student, school_class, teacher
):
    task = TaskFactory(owner=teacher, classes=[school_class])
    AnswerFactory(submission=SubmissionFactory(task=task, student=student))
    url = reverse("staff_student_erase", args=[student.pk])
    page = admin_client.get(url).content.decode()
    assert "1 answers" in page and "1 classes joined" in page

    response = admin_client.post(url, {"username": "sam_studen"})
    assert response.status_code == 422
    assert "nothing was erased" in response.content.decode()
    assert 'value="sam_studen"' in response.content.decode()
    assert User.objects.filter(pk=student.pk).exists()
    assert Answer.objects.count() == 1


def test_erase_with_the_username_typed_deletes_the_student(admin_client, student, school_class):
    response = admin_client.post(
        reverse("staff_student_erase", args=[student.pk]), {"username": "sam_student"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_students")
    assert not User.objects.filter(pk=student.pk).exists()
    assert (
        "sam_student and all its data are erased"
        in admin_client.get(response["Location"]).content.decode()
    )


def test_when_the_database_is_down_the_environment_settings_stand_in(db, settings):
    settings.SCHOOL_NAME = "Env School"
    with mock.patch(
        "lessons.services.school.SchoolSettings.objects.filter",
        side_effect=OperationalError("connection refused"),
    ):
        assert current_school_settings().school_name == "Env School"
    update_school_settings(allow_teacher_signup=None, school_name="Saved", time_zone="")
    assert current_school_settings().school_name == "Saved"
