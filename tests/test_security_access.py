"""The access-control sweep: every URL of the project, as every kind of user, GET and POST.

ROUTES is the one table: for each URL name, how to fill its arguments from the world
(tests/security_world.py, every object the owner teacher's), which methods it takes, and
what each role gets. A URL pattern without an entry fails the sweep, so a new route must
say who may use it.

Outcomes: "ok" (the view ran: 2xx, 409, 422 or a redirect that is not to the login page),
"login" (redirected to the login page), "401", "403", "404". A method a route does not take
must be a 405 for a role that may use the route; for a role that may not, its refusal or a
405 are both fine (either way nothing is shown or done).

Each request runs in a savepoint that is rolled back afterwards, so every route sees the
same world whatever the routes before it deleted or changed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .security_world import build_world

ROLES = ["owner", "other_teacher", "staff", "student", "other_student", "anonymous"]

# URL prefixes not swept, with why.
EXCLUDED_PREFIXES = {
    "admin/": "Django's own admin: staff-only by Django (test_admin_is_for_staff_only "
    "checks that nobody else gets in); its many model URLs are Django's, not ours.",
}


def _everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


# The usual shapes of access.
PUBLIC = _everyone("ok")
LOGGED_IN = {**_everyone("ok"), "anonymous": "login"}
# Any teacher (the shared lesson library, their own lists); students get a 403.
TEACHERS = {
    "owner": "ok",
    "other_teacher": "ok",
    "staff": "ok",
    "student": "403",
    "other_student": "403",
    "anonymous": "login",
}
# The owner's object: another teacher gets a 404, so ids reveal nothing.
OWNER = {**TEACHERS, "other_teacher": "404", "staff": "404"}
# The student's own work in a task set to their class.
STUDENT = {
    "owner": "403",
    "other_teacher": "403",
    "staff": "403",
    "student": "ok",
    "other_student": "404",
    "anonymous": "login",
}
# Work sent in the background (autosave): an expired session gets a 401, not a redirect.
STUDENT_401 = {**STUDENT, "anonymous": "401"}
STAFF = {**_everyone("403"), "staff": "ok", "anonymous": "login"}


@dataclass
class Route:
    kwargs: Callable = lambda w: {}
    methods: tuple = ("GET",)
    # Role → outcome, or {"GET": {...}, "POST": {...}} where the two differ.
    access: dict = field(default_factory=dict)
    # A minimal POST body (world → dict), e.g. to name an object in the body.
    data: Callable = lambda w: {}

    def expected(self, method: str, role: str) -> set[str]:
        access = self.access.get(method, self.access) if "GET" in self.access else self.access
        outcome = access[role]
        if method in self.methods:
            return {outcome}
        return {"405"} if outcome == "ok" else {outcome, "405"}


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")


def _pk(name: str) -> Callable:
    return lambda w: {"pk": getattr(w, name).pk}


ROUTES: dict[str, Route] = {
    # glfsite/urls.py and django.contrib.auth.urls
    "login": Route(methods=BOTH, access=PUBLIC),
    "password_change": Route(methods=BOTH, access=LOGGED_IN),
    "password_change_done": Route(methods=GET, access=LOGGED_IN),
    "signup": Route(methods=BOTH, access=PUBLIC),
    "logout": Route(methods=POST, access=_everyone("login")),
    "password_reset": Route(methods=BOTH, access=PUBLIC),
    "password_reset_done": Route(methods=GET, access=PUBLIC),
    "password_reset_confirm": Route(
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"}, methods=BOTH, access=PUBLIC
    ),
    "password_reset_complete": Route(methods=GET, access=PUBLIC),
    # Core
    "home": Route(methods=GET, access=LOGGED_IN),
    "healthz": Route(methods=GET, access=PUBLIC),
    # Off unless GLF_BENCH_ENDPOINTS is on (the benchmark's own server).
    "bench_baseline": Route(methods=GET, access=_everyone("404")),
    "join": Route(
        methods=BOTH,
        access={
            "GET": PUBLIC,
            "POST": {**PUBLIC, "owner": "403", "other_teacher": "403", "staff": "403"},
        },
    ),
    # Classes
    "class_list": Route(methods=GET, access=TEACHERS),
    "class_create": Route(methods=BOTH, access=TEACHERS),
    "class_detail": Route(_pk("school_class"), GET, OWNER),
    "class_edit": Route(_pk("school_class"), BOTH, OWNER),
    "class_archive": Route(_pk("school_class"), POST, OWNER),
    "class_regenerate_code": Route(_pk("school_class"), POST, OWNER),
    "class_add_students": Route(_pk("school_class"), BOTH, OWNER),
    "class_login_cards": Route(_pk("school_class"), GET, OWNER),
    "class_remove_student": Route(
        lambda w: {"pk": w.school_class.pk, "student_pk": w.student.pk}, POST, OWNER
    ),
    "class_reset_password": Route(
        lambda w: {"pk": w.school_class.pk, "student_pk": w.student.pk}, POST, OWNER
    ),
    # Tasks and questions
    "task_list": Route(methods=GET, access=TEACHERS),
    "task_create": Route(methods=BOTH, access=TEACHERS),
    "task_detail": Route(_pk("task"), GET, OWNER),
    "task_edit": Route(_pk("task"), BOTH, OWNER),
    "task_set_status": Route(_pk("task"), POST, OWNER),
    "task_copy": Route(_pk("task"), BOTH, OWNER),
    "task_delete": Route(_pk("task"), BOTH, OWNER),
    "task_print": Route(_pk("task"), GET, OWNER),
    "question_create": Route(_pk("task"), BOTH, OWNER),
    "question_detail": Route(_pk("question"), GET, OWNER),
    "question_edit": Route(_pk("question"), BOTH, OWNER),
    "question_delete": Route(_pk("question"), POST, OWNER),
    "question_move": Route(_pk("question"), POST, OWNER),
    "question_bank": Route(methods=GET, access=TEACHERS),
    "question_add_from_bank": Route(
        _pk("bank_question"), POST, OWNER, data=lambda w: {"task": w.task.pk}
    ),
    # Marking
    "task_submissions": Route(_pk("task"), GET, OWNER),
    "mark_by_question": Route(
        lambda w: {"pk": w.task.pk, "question_pk": w.question.pk}, GET, OWNER
    ),
    "mark_by_student": Route(
        lambda w: {"pk": w.task.pk, "submission_pk": w.submission.pk}, GET, OWNER
    ),
    "answer_mark": Route(_pk("answer"), BOTH, OWNER),
    "submission_feedback": Route(_pk("submission"), POST, OWNER),
    "submission_return": Route(_pk("submission"), BOTH, OWNER),
    "task_release": Route(_pk("task"), BOTH, OWNER),
    "task_toggle_anonymous": Route(_pk("task"), POST, OWNER),
    "task_statistics": Route(_pk("task"), GET, OWNER),
    "class_markbook": Route(_pk("school_class"), GET, OWNER),
    "class_markbook_csv": Route(_pk("school_class"), GET, OWNER),
    # The list is any teacher's own; deleting names an entry in the body: the owner's only.
    "comment_bank": Route(
        methods=BOTH,
        access={"GET": TEACHERS, "POST": OWNER},
        data=lambda w: {"action": "delete", "id": w.comment.pk},
    ),
    # The student's side
    "student_task": Route(_pk("task"), GET, STUDENT),
    "answer_save": Route(
        lambda w: {"pk": w.task.pk, "question_pk": w.question.pk}, POST, STUDENT_401
    ),
    "task_save": Route(_pk("task"), POST, STUDENT_401),
    "task_submit": Route(_pk("task"), BOTH, STUDENT),
    "evidence_add": Route(
        lambda w: {"pk": w.task.pk, "question_pk": w.question.pk}, POST, STUDENT_401
    ),
    "evidence_remove": Route(_pk("evidence_link"), POST, STUDENT_401),
    # Evidence in the task editor, the heat map, topics
    "key_evidence_add": Route(_pk("question"), BOTH, OWNER),
    "key_evidence_delete": Route(_pk("key_evidence"), POST, OWNER),
    "question_topic": Route(_pk("question"), POST, OWNER),
    "task_evidence_map": Route(_pk("task"), GET, OWNER),
    "topic_list": Route(methods=BOTH, access=TEACHERS),
    "topic_detail": Route(lambda w: {"slug": w.topic.slug}, GET, TEACHERS),
    # Lessons: any teacher reads, copies and annotates any lesson; only the owner changes it.
    "lesson_list": Route(methods=GET, access=TEACHERS),
    "lesson_import": Route(methods=BOTH, access=TEACHERS),
    "lesson_detail": Route(_pk("lesson"), GET, TEACHERS),
    "lesson_edit": Route(_pk("lesson"), BOTH, OWNER),
    "lesson_copy": Route(_pk("lesson"), POST, TEACHERS),
    "lesson_delete": Route(_pk("lesson"), BOTH, OWNER),
    "lesson_glossary": Route(_pk("lesson"), GET, TEACHERS),
    "glossary": Route(methods=GET, access=TEACHERS),
    "passage_create": Route(_pk("lesson"), BOTH, OWNER),
    "passage_edit": Route(_pk("passage"), BOTH, OWNER),
    "passage_move": Route(_pk("passage"), POST, OWNER, data=lambda w: {"direction": "down"}),
    # The world's passage is quoted and linked, so the owner's POST is refused (409).
    "passage_delete": Route(_pk("passage"), BOTH, OWNER),
    "annotation_create": Route(_pk("passage"), BOTH, TEACHERS),
    "annotation_detail": Route(_pk("annotation"), GET, TEACHERS),
    "annotation_edit": Route(_pk("annotation"), BOTH, OWNER),
    "annotation_delete": Route(_pk("annotation"), POST, OWNER),
    "annotation_reattach": Route(_pk("annotation"), BOTH, OWNER),
    # The staff pages (spare accounts, so that resets and erasures spare the world's people)
    "staff_home": Route(methods=GET, access=STAFF),
    "staff_teacher_create": Route(methods=POST, access=STAFF),
    "staff_teacher_password": Route(_pk("spare_teacher"), POST, STAFF),
    "staff_teacher_active": Route(_pk("spare_teacher"), POST, STAFF),
    "staff_settings": Route(methods=POST, access=STAFF),
    "staff_students": Route(methods=GET, access=STAFF),
    "staff_student_export": Route(_pk("spare_student"), GET, STAFF),
    "staff_student_erase": Route(_pk("spare_student"), BOTH, STAFF),
}


def url_patterns(resolvers=None, prefix: str = ""):
    """(route, name) of every URL pattern of the project, outside EXCLUDED_PREFIXES."""
    found = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route in EXCLUDED_PREFIXES:
                continue
            found += url_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append((route, entry.name))
    return found


def url_for(name: str, world) -> str:
    return reverse(name, kwargs=ROUTES[name].kwargs(world))


def role_user(world, role: str):
    return None if role == "anonymous" else getattr(world, role)


def client_for(world, role: str, **kwargs) -> Client:
    client = Client(**kwargs)
    user = role_user(world, role)
    if user is not None:
        client.force_login(user)
    return client


def outcome_of(response) -> str:
    """What the response amounts to, in the table's words."""
    status = response.status_code
    if 300 <= status < 400:
        login = reverse("login")
        return "login" if response["Location"].split("?")[0].endswith(login) else "ok"
    if status in (401, 403, 404, 405):
        return str(status)
    if status in (200, 204, 409, 422):
        return "ok"
    return f"status {status}"


def request_rolled_back(client: Client, method: str, url: str, data: dict, **headers):
    """The response to one request whose changes to the database are then undone."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, data, headers=headers)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


@pytest.fixture
def signup_open(db, settings):
    # Reachable, so that the sweep requests the sign-up view and not only its 404.
    settings.ALLOW_TEACHER_SIGNUP = True


def test_every_url_pattern_has_an_entry_in_the_table(db):
    names = {name for _, name in url_patterns()}
    unnamed = [route for route, name in url_patterns() if not name]
    missing = sorted(names - set(ROUTES))
    stale = sorted(set(ROUTES) - names)
    assert not unnamed, f"URL patterns without a name: {unnamed}"
    assert not missing, f"URL patterns without an entry in ROUTES: {missing}"
    assert not stale, f"ROUTES entries without a URL pattern: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_only_what_the_table_allows(role, signup_open):
    world = build_world()
    client = client_for(world, role)
    user = role_user(world, role)
    failures = []
    for name in sorted({name for _, name in url_patterns()}):
        route = ROUTES[name]
        url = url_for(name, world)
        for method in ("GET", "POST"):
            data = route.data(world) if method == "POST" else {}
            response = request_rolled_back(client, method, url, data)
            got = outcome_of(response)
            expected = route.expected(method, role)
            if got not in expected:
                failures.append(
                    f"{name} {method} {url} as {role}: got {got} "
                    f"({response.status_code}), expected {' or '.join(sorted(expected))}"
                )
            if user is not None and name == "logout":
                client.force_login(user)
    assert not failures, f"{len(failures)} routes answered {role} wrongly:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ["owner", "student", "anonymous"])
def test_admin_is_for_staff_only(role, db):
    world = build_world()
    client = client_for(world, role)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    response = client.get(reverse("admin:lessons_task_changelist"))
    assert response.status_code == 302
