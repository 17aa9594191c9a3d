"""CSRF and safe methods: every route that takes a POST refuses one without a CSRF token
(htmx requests included), and no GET, as anyone, changes the database.

The routes and their arguments come from the access sweep's table (test_security_access),
which fails for any URL pattern without an entry, so a new route is covered here too.
"""

import hashlib

import pytest
from django.apps import apps

from .security_world import build_world
from .test_security_access import (
    ROLES,
    ROUTES,
    client_for,
    outcome_of,
    request_rolled_back,
    url_for,
    url_patterns,
)

HTMX = {"HX-Request": "true"}
# A CSRF secret as the cookie holds it (32 letters or digits); the header may carry it as is.
TOKEN = "a" * 32

# Rows a request may write without changing anything of the school's: the session (the
# idle timeout refreshes it), django-axes' log of logins, and the last login time.
NOT_DATA_APPS = {"sessions", "axes"}
NOT_DATA_FIELDS = {"last_login"}


def _routes_taking_post() -> list[str]:
    names = {name for _, name in url_patterns()}
    return sorted(name for name in names if "POST" in ROUTES[name].methods)


def _role_allowed_to_post(name: str) -> str:
    """A role whose POST the route would carry out, so that a 403 can only be CSRF's."""
    route = ROUTES[name]
    for role in ROLES:
        if route.expected("POST", role) == {"ok"}:
            return role
    # logout: everyone is sent to the login page after it.
    return "owner"


@pytest.fixture
def signup_open(db, settings):
    settings.ALLOW_TEACHER_SIGNUP = True


def test_every_route_that_takes_a_post_is_in_the_csrf_sweep(db):
    # The sweep below is built from the table; this keeps it from shrinking unnoticed.
    assert len(_routes_taking_post()) >= 50


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_post_without_a_csrf_token_is_refused_everywhere(htmx, signup_open):
    world = build_world()
    headers = HTMX if htmx else {}
    failures = []
    for name in _routes_taking_post():
        role = _role_allowed_to_post(name)
        client = client_for(world, role, enforce_csrf_checks=True)
        url = url_for(name, world)
        data = ROUTES[name].data(world)
        response = request_rolled_back(client, "POST", url, data, **headers)
        if response.status_code != 403 or b"CSRF" not in response.content:
            failures.append(f"{name} POST {url} as {role}: {response.status_code}")
            continue
        # The same request with the token goes through: the 403 above was the token's.
        client.cookies["csrftoken"] = TOKEN
        response = request_rolled_back(
            client, "POST", url, data, **headers, **{"X-CSRFToken": TOKEN}
        )
        if response.status_code == 403:
            failures.append(f"{name} POST {url} as {role}: refused even with the token")
    assert not failures, "Routes that did not refuse a POST without a CSRF token:\n" + "\n".join(
        failures
    )


def database_state() -> dict[str, str]:
    """A checksum of every model's rows (in pk order), by model."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in NOT_DATA_APPS:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.name not in NOT_DATA_FIELDS]
        rows = model._default_manager.order_by("pk").values_list(*names)
        digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
        state[model._meta.label] = digest
    return state


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_the_database(role, signup_open):
    world = build_world()
    client = client_for(world, role)
    before = database_state()
    failures = []
    for name in sorted({name for _, name in url_patterns()}):
        url = url_for(name, world)
        for headers in ({}, HTMX):
            response = client.get(url, headers=headers)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            if outcome_of(response).startswith("status"):
                failures.append(f"{name} GET {url} {headers}: {response.status_code}")
            after = database_state()
            changed = sorted(label for label in after if after[label] != before[label])
            if changed:
                failures.append(f"{name} GET {url} {headers} changed {', '.join(changed)}")
                before = after
    assert not failures, f"GETs as {role} that changed data or failed:\n" + "\n".join(failures)


def test_the_database_checksum_sees_a_change(db):
    # The check above would pass vacuously if the checksum missed writes.
    world = build_world()
    before = database_state()
    world.answer.text = "Changed."
    world.answer.save()
    assert before != database_state()
