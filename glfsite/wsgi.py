"""WSGI entry point: gunicorn glfsite.wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glfsite.settings")

application = get_wsgi_application()

from lessons.checks import refuse_to_serve_without_secret_key  # noqa: E402 (needs the apps)

refuse_to_serve_without_secret_key()
