from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """School name, the sign-up policy, and the CSP nonce under the name Django 6 uses."""
    return {
        "school_name": settings.SCHOOL_NAME,
        "allow_teacher_signup": settings.ALLOW_TEACHER_SIGNUP,
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
