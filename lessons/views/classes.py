from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..access import get_class_for_teacher, get_enrolment_for_teacher, teacher_required
from ..forms.classes import AddStudentsForm, ClassNameForm
from ..models import SchoolClass
from ..services import classes as class_service
from ..services import login_cards


def _roster(school_class: SchoolClass):
    return school_class.enrolments.select_related("student").order_by(
        "student__full_name", "student__username"
    )


@teacher_required
@require_http_methods(["GET"])
def class_list(request: HttpRequest) -> HttpResponse:
    """The teacher's classes, active and archived, with how many students each has."""
    classes = list(
        SchoolClass.objects.for_teacher(request.user).annotate(
            student_count=Count("enrolments", distinct=True)
        )
    )
    return render(
        request,
        "classes/class_list.html",
        {
            "active_classes": [c for c in classes if not c.is_archived],
            "archived_classes": [c for c in classes if c.is_archived],
        },
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def class_create(request: HttpRequest) -> HttpResponse:
    """Create a class; it gets its join code straight away."""
    form = ClassNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        school_class = class_service.create_class(
            teacher=request.user, name=form.cleaned_data["name"]
        )
        messages.success(
            request,
            f"{school_class.name} is ready. Students can join with the code "
            f"{school_class.join_code}, or you can add them from a list of names.",
        )
        return redirect("class_detail", pk=school_class.pk)
    return render(
        request,
        "classes/class_form.html",
        {"form": form, "school_class": None},
        status=422 if form.is_bound else 200,
    )


@teacher_required
@require_http_methods(["GET"])
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster: who is in the class, when they joined, when they last logged in."""
    school_class = get_class_for_teacher(request.user, pk)
    enrolments = list(_roster(school_class))
    return render(
        request,
        "classes/class_detail.html",
        {
            "school_class": school_class,
            "enrolments": enrolments,
            "student_count": len(enrolments),
            "join_url": request.build_absolute_uri(reverse("join")),
        },
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a class."""
    school_class = get_class_for_teacher(request.user, pk)
    form = ClassNameForm(request.POST or None, initial={"name": school_class.name})
    if request.method == "POST" and form.is_valid():
        class_service.rename_class(school_class=school_class, name=form.cleaned_data["name"])
        messages.success(request, f"The class is now called {school_class.name}.")
        return redirect("class_detail", pk=school_class.pk)
    return render(
        request,
        "classes/class_form.html",
        {"form": form, "school_class": school_class},
        status=422 if form.is_bound else 200,
    )


@teacher_required
@require_POST
def class_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive a class (archived=1) or bring it back (archived=0)."""
    school_class = get_class_for_teacher(request.user, pk)
    if request.POST.get("archived") == "0":
        class_service.unarchive_class(school_class=school_class)
        messages.success(request, f"{school_class.name} is active again.")
    else:
        class_service.archive_class(school_class=school_class)
        messages.success(
            request,
            f"{school_class.name} is archived: it is off the dashboards and cannot be joined. "
            "Its students and their work are kept.",
        )
    return redirect("class_detail", pk=school_class.pk)


@teacher_required
@require_POST
def class_regenerate_code(request: HttpRequest, pk: int) -> HttpResponse:
    """A new join code; the old one stops working."""
    school_class = get_class_for_teacher(request.user, pk)
    code = class_service.regenerate_join_code(school_class=school_class)
    if request.htmx:
        return render(
            request,
            "classes/class_detail.html#join_code",
            {
                "school_class": school_class,
                "code_changed": True,
                "join_url": request.build_absolute_uri(reverse("join")),
            },
        )
    messages.success(request, f"The new join code is {code}. The old code no longer works.")
    return redirect("class_detail", pk=school_class.pk)


@teacher_required
@require_http_methods(["GET", "POST"])
def class_add_students(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste a list of names; get accounts with one-time passwords on printable cards."""
    school_class = get_class_for_teacher(request.user, pk)
    if school_class.is_archived:
        messages.error(request, "This class is archived. Make it active again to add students.")
        return redirect("class_detail", pk=school_class.pk)
    form = AddStudentsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cards = class_service.add_students_from_names(
            school_class=school_class, names_text=form.cleaned_data["names"]
        )
        login_cards.keep_for_showing(request.session, class_id=school_class.pk, cards=cards)
        return redirect("class_login_cards", pk=school_class.pk)
    return render(
        request,
        "classes/add_students.html",
        {"form": form, "school_class": school_class},
        status=422 if form.is_bound else 200,
    )


@never_cache
@teacher_required
@require_http_methods(["GET"])
def class_login_cards(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable login cards, shown once: the passwords are gone after this page."""
    school_class = get_class_for_teacher(request.user, pk)
    cards = login_cards.take_for_showing(request.session, class_id=school_class.pk)
    return render(
        request,
        "classes/login_cards.html",
        {
            "school_class": school_class,
            "cards": cards,
            "login_url": request.build_absolute_uri(reverse("login")),
        },
    )


@teacher_required
@require_POST
def class_remove_student(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    """Take a student out of the class; their account and work are kept."""
    enrolment = get_enrolment_for_teacher(request.user, pk, student_pk)
    school_class, student = enrolment.school_class, enrolment.student
    class_service.remove_student(enrolment=enrolment)
    if request.htmx:
        return render(
            request,
            "classes/class_detail.html#removed_row",
            {
                "school_class": school_class,
                "student": student,
                "student_count": school_class.enrolments.count(),
            },
        )
    messages.success(
        request, f"{student.display_name} is no longer in {school_class.name}. Their work is kept."
    )
    return redirect("class_detail", pk=school_class.pk)


@teacher_required
@require_POST
def class_reset_password(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    """A new one-time password for a student of the class, shown once on a login card."""
    enrolment = get_enrolment_for_teacher(request.user, pk, student_pk)
    card = class_service.reset_student_password(student=enrolment.student)
    login_cards.keep_for_showing(request.session, class_id=enrolment.school_class_id, cards=[card])
    return redirect("class_login_cards", pk=enrolment.school_class_id)
