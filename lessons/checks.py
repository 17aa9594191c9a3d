"""System checks of the install's own settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs) -> list[Error]:
    """check --deploy fails while the development key stands in for a missing secret key."""
    if settings.SECRET_KEY_IS_SET:
        return []
    return [Error(settings.MISSING_SECRET_KEY_MESSAGE, id="glfsite.E001")]


def refuse_to_serve_without_secret_key() -> None:
    """Called by the WSGI and ASGI entry points: management commands may run with the
    development key, serving real users may not."""
    if not settings.DEBUG and not settings.SECRET_KEY_IS_SET:
        raise ImproperlyConfigured(settings.MISSING_SECRET_KEY_MESSAGE)
