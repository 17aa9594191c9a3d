"""ASGI entry point, for servers that prefer it; the documented set-up uses WSGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glfsite.settings")

application = get_asgi_application()

from lessons.checks import refuse_to_serve_without_secret_key  # noqa: E402 (needs the apps)

refuse_to_serve_without_secret_key()
