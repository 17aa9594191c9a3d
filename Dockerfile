# The app server image: gunicorn with the production settings, static files built in.
# Settings come from the environment (compose.yaml, docs/self-hosting.md); the database is
# PostgreSQL in its own container. Nothing in this container needs to be kept.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH

RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent glf

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml requirements.txt ./
COPY deploy/install-python-deps deploy/
RUN deploy/install-python-deps /opt/venv

COPY . .
# collectstatic needs a secret key to start, not the real one: none is baked in.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput --verbosity 0

ENV DJANGO_STATIC_ROOT=/app/staticfiles \
    GLF_VAR_DIR=/tmp/glf \
    GUNICORN_BIND=0.0.0.0:8000
USER glf
EXPOSE 8000
CMD ["deploy/start"]
