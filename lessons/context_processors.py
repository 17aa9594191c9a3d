from django.http import HttpRequest

from .services.school import current_school_settings


def site(request: HttpRequest) -> dict:
    """School name, the sign-up policy, and the CSP nonce under the name Django 6 uses."""
    school = current_school_settings()
    return {
        "school_name": school.school_name,
        "allow_teacher_signup": school.allow_teacher_signup,
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
