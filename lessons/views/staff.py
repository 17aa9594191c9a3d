"""The staff page for the school's IT: figures, teacher accounts, install settings, and
data-protection requests (export or erase one student's data)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import get_student_for_staff, get_teacher_for_staff, staff_required
from ..forms.staff import EraseConfirmForm, SchoolSettingsForm, TeacherForm
from ..models import User
from ..services import staff as staff_services
from ..services.data_protection import (
    erase_student,
    erasure_preview,
    student_export_filename,
    student_export_zip,
)
from ..services.school import current_school_settings, update_school_settings

logger = logging.getLogger(__name__)

# A one-time password waits here between the POST that makes it and the page that shows it;
# popping it on that page means a reload does not show it again.
ONE_TIME_SESSION_KEY = "staff_one_time_password"


def _settings_form(data=None) -> SchoolSettingsForm:
    school = current_school_settings()
    initial = {
        "allow_teacher_signup": {True: "yes", False: "no", None: ""}[
            school.saved_allow_teacher_signup
        ],
        "school_name": school.saved_school_name,
        "time_zone": school.saved_time_zone,
    }
    defaults = {
        "allow_teacher_signup": settings.ALLOW_TEACHER_SIGNUP,
        "school_name": settings.SCHOOL_NAME,
        "time_zone": settings.TIME_ZONE,
    }
    return SchoolSettingsForm(data, initial=initial, defaults=defaults)


def _teachers():
    return User.objects.filter(role=User.Role.TEACHER).order_by("-is_active", "username")


def _render_home(
    request: HttpRequest,
    *,
    teacher_form: TeacherForm | None = None,
    settings_form: SchoolSettingsForm | None = None,
    one_time: dict | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "counts": staff_services.school_counts(),
        "teachers": _teachers(),
        "teacher_form": teacher_form or TeacherForm(),
        "settings_form": settings_form or _settings_form(),
        "one_time": one_time,
        "notice": notice,
        "settings_cache_seconds": settings.SCHOOL_SETTINGS_CACHE_SECONDS,
    }
    template = "staff/home.html#teachers" if request.htmx else "staff/home.html"
    return render(request, template, context, status=status)


@never_cache
@require_GET
@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff page: figures, teachers, install settings, data protection."""
    return _render_home(request, one_time=request.session.pop(ONE_TIME_SESSION_KEY, None))


def _after_teacher_action(
    request: HttpRequest, *, one_time: dict | None = None, notice: str = ""
) -> HttpResponse:
    """htmx gets the teachers section back; a plain form post is redirected (PRG)."""
    if request.htmx:
        return _render_home(request, one_time=one_time, notice=notice)
    if one_time:
        request.session[ONE_TIME_SESSION_KEY] = one_time
    if notice:
        messages.info(request, notice)
    return redirect(reverse("staff_home") + "#teachers")


@never_cache
@require_POST
@staff_required
def staff_teacher_create(request: HttpRequest) -> HttpResponse:
    """Create a teacher account with a one-time password, shown once."""
    form = TeacherForm(request.POST)
    if not form.is_valid():
        return _render_home(request, teacher_form=form, status=422)
    teacher, password = staff_services.create_teacher(
        username=form.cleaned_data["username"],
        full_name=form.cleaned_data["full_name"],
        email=form.cleaned_data["email"],
    )
    logger.info("%s created the teacher account %s", request.user.username, teacher.username)
    one_time = {"username": teacher.username, "name": teacher.display_name, "password": password}
    return _after_teacher_action(request, one_time={**one_time, "action": "created"})


@never_cache
@require_POST
@staff_required
def staff_teacher_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset a teacher's password to a one-time one, shown once."""
    teacher = get_teacher_for_staff(request.user, pk)
    password = staff_services.reset_password(user=teacher)
    logger.info("%s reset the password of %s", request.user.username, teacher.username)
    one_time = {"username": teacher.username, "name": teacher.display_name, "password": password}
    return _after_teacher_action(request, one_time={**one_time, "action": "reset"})


@require_POST
@staff_required
def staff_teacher_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a teacher (logged out at once, cannot log in) or reactivate them."""
    teacher = get_teacher_for_staff(request.user, pk)
    active = request.POST.get("active") == "1"
    if teacher == request.user and not active:
        return _after_teacher_action(
            request, notice="You cannot deactivate your own account while logged in with it."
        )
    staff_services.set_active(user=teacher, active=active)
    verb = "reactivated" if active else "deactivated"
    logger.info("%s %s the account %s", request.user.username, verb, teacher.username)
    return _after_teacher_action(request, notice=f"{teacher.display_name}'s account is {verb}.")


@require_POST
@staff_required
def staff_settings(request: HttpRequest) -> HttpResponse:
    """Save the install settings: sign-up policy, school name, time zone."""
    form = _settings_form(request.POST)
    if not form.is_valid():
        return _render_home(request, settings_form=form, status=422)
    update_school_settings(
        allow_teacher_signup=form.cleaned_signup(),
        school_name=form.cleaned_data["school_name"],
        time_zone=form.cleaned_data["time_zone"],
    )
    messages.success(request, "The school settings are saved.")
    return redirect(reverse("staff_home") + "#settings")


@require_GET
@staff_required
def staff_students(request: HttpRequest) -> HttpResponse:
    """Find a student, to export or erase their data."""
    query = request.GET.get("q", "").strip()
    students = staff_services.search_students(query) if query else []
    template = "staff/students.html#results" if request.htmx else "staff/students.html"
    return render(request, template, {"query": query, "students": students})


@never_cache
@require_GET
@staff_required
def staff_student_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Download one student's data as a zip (data.json and a readable index.html)."""
    student = get_student_for_staff(request.user, pk)
    content = student_export_zip(student=student)
    logger.info("%s exported the data of %s", request.user.username, student.username)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{student_export_filename(student)}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def staff_student_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase one student's data, once their username is typed to confirm."""
    student = get_student_for_staff(request.user, pk)
    form = EraseConfirmForm(request.POST or None, expected=student.username)
    if request.method == "POST" and form.is_valid():
        username = student.username
        erase_student(student=student)
        logger.info("%s erased a student's data", request.user.username)
        messages.success(request, f"The account {username} and all its data are erased.")
        return redirect("staff_students")
    return render(
        request,
        "staff/erase.html",
        {"student": student, "form": form, "preview": erasure_preview(student=student)},
        status=422 if form.is_bound else 200,
    )
