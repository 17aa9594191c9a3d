import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .services.school import current_school_settings


class PasswordChangeRequiredMiddleware:
    """Sends users with a one-time password to choose their own before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {
                reverse("password_change"),
                reverse("password_change_done"),
                reverse("logout"),
            }
            if request.path not in allowed and not request.path.startswith("/static/"):
                return redirect("password_change")
        return self.get_response(request)


class SchoolTimeZoneMiddleware:
    """Shows and reads times in the school's time zone (the staff page may change it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(zoneinfo.ZoneInfo(current_school_settings().time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# Sent by requests the page makes on its own (the submissions overview's live refresh), so
# that an unattended screen still reaches the idle timeout.
BACKGROUND_HEADER = "X-Background-Refresh"
REFRESHED_AT_KEY = "_glf_refreshed_at"


def is_background_request(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER, "").lower() == "true"


class SessionIdleTimeoutMiddleware:
    """The idle timeout of shared classroom computers, without a session write per request.

    A session expires SESSION_COOKIE_AGE after it was last saved. Saving it on every request
    (SESSION_SAVE_EVERY_REQUEST) costs a database write on every page view and autosave, so
    it is saved only when SESSION_REFRESH_SECONDS have passed since the last save: a user
    is logged out between SESSION_COOKIE_AGE minus that interval and SESSION_COOKIE_AGE
    after their last request, never later. Background requests never push the expiry on.
    Must come after SessionMiddleware and AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            return response
        if is_background_request(request) and not session.modified:
            return response
        now = int(time.time())
        last = session.get(REFRESHED_AT_KEY, 0)
        if session.modified or now - last >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_AT_KEY] = now
        return response
