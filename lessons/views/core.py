import logging
import sys

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..models import SchoolClass
from ..services.answering import student_dashboard
from ..services.tasks import dashboard_tasks

logger = logging.getLogger(__name__)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: a teacher's classes, or a student's classes with their tasks."""
    user = request.user
    if user.is_teacher:
        classes = (
            SchoolClass.objects.for_teacher(user)
            .active()
            .annotate(student_count=Count("enrolments", distinct=True))
        )
        return render(
            request,
            "core/teacher_dashboard.html",
            {"classes": classes, "task_overview": dashboard_tasks(teacher=user)},
        )
    return render(
        request, "core/student_dashboard.html", {"class_tasks": student_dashboard(student=user)}
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Our 403 page, saying whose page it is when we know."""
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Our 404 page."""
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 503 when the database is unreachable or busy (a retry will work), otherwise a 500.

    Rendered without a request context: the fault may be the database the context needs.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        body = loader.get_template("503.html").render()
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
