"""Stored script: every hostile string in every user-written field, on every page showing it.

Each test stores one string from tests/hostile_strings.py in every field a teacher, a student
or the school's IT can write, then renders the pages that show them (teacher and student
views, their htmx partials, print views, the mark book CSV, login cards, staff pages, the
data export) and checks the markup: nothing the payload brought may be an element or an
attribute, and the payload must be there in its escaped form.
"""

import csv
import io
import re
import zipfile
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode

from lessons.models import Question, SchoolSettings, Submission, Topic
from lessons.services.marking import FORMULA_STARTS

from .factories import (
    AnnotationFactory,
    AnswerFactory,
    AnswerRevisionFactory,
    CommentBankEntryFactory,
    EvidenceLinkFactory,
    ExemplarFactory,
    IndicativePointFactory,
    KeyEvidenceFactory,
    LessonFactory,
    LevelFactory,
    PassageFactory,
    QuestionFactory,
    SchoolClassFactory,
    StudentFactory,
    TaskFactory,
    TeacherFactory,
)
from .hostile_strings import HOSTILE_STRINGS

pytestmark = pytest.mark.django_db

# Elements the app never writes into its pages; from a payload they would run or redirect.
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "math", "svg", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}
# Browsers ignore these characters at the start of a URL, so "\x01javascript:" still runs.
URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


class MarkupAudit(HTMLParser):
    """Every element and attribute of a page that a payload could have brought."""

    def __init__(self, *, nonce: str | None, allowed: frozenset[str] = frozenset()):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.allowed = allowed
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:200]}>"
        if "pwn" in tag:
            self.problems.append(f"a payload's element: {where}")
        if tag in FORBIDDEN_TAGS and tag not in self.allowed:
            self.problems.append(f"a forbidden element: {where}")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"a meta refresh: {where}")
        if tag == "script":
            src = attributes.get("src") or ""
            same_origin = src.startswith("/") and not src.startswith("//")
            if not same_origin and (self.nonce is None or attributes.get("nonce") != self.nonce):
                self.problems.append(f"a script that is not ours: {where}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute: {where}")
            if "pwn" in name:
                self.problems.append(f"a payload's attribute: {where}")
            if name in {"id", "class"} and "pwn" in (value or "").split():
                self.problems.append(f"a payload's {name}: {where}")
            if name in URL_ATTRIBUTES:
                url = URL_NOISE.sub("", value or "").lower()
                if url.startswith(("javascript:", "data:", "vbscript:")) or (
                    "evil.example" in urlsplit(url).netloc
                ):
                    self.problems.append(f"a payload's URL: {where}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def markup_problems(
    html: str, *, nonce: str | None, allowed: frozenset[str] = frozenset()
) -> list[str]:
    audit = MarkupAudit(nonce=nonce, allowed=allowed)
    audit.feed(html)
    audit.close()
    return audit.problems


def escaped_marker(payload: str) -> str:
    """The start of the payload as an autoescaping template writes it (first line only:
    linebreaks filters turn later lines into <br>)."""
    first_line = re.split(r"[\n\u2028\u2029]", payload.lstrip("\r\n"))[0]
    return escape(first_line[:30])


def fit(payload: str, max_length: int) -> str:
    return payload[:max_length]


class World:
    """A school where every user-written field holds the payload."""

    def __init__(self, payload: str):
        now = timezone.now()
        self.payload = payload
        SchoolSettings.objects.update_or_create(pk=1, defaults={"school_name": fit(payload, 100)})
        self.teacher = TeacherFactory(
            username=fit(payload, 140) + "-t",
            full_name=fit(payload, 150),
            is_staff=True,
            is_superuser=True,
        )
        self.student = StudentFactory(
            username=fit(payload, 140) + "-s", full_name=fit(payload, 150)
        )
        self.school_class = SchoolClassFactory(
            name=fit(payload, 100), teachers=[self.teacher], students=[self.student]
        )
        self.lesson = LessonFactory(
            title=fit(payload, 200),
            summary=payload,
            author=fit(payload, 200),
            publisher=fit(payload, 200),
            source_date=fit(payload, 60),
            source_url=fit(payload, 500),
            attribution_note=payload,
            owner=self.teacher,
        )
        text = f"Before the quotation. {payload} After the quotation."
        start = len("Before the quotation. ")
        end = start + len(payload)
        self.passage = PassageFactory(lesson=self.lesson, heading=fit(payload, 300), text=text)
        self.topic = Topic.objects.create(
            name=fit(payload, 120), slug="hostile-topic", description=payload
        )
        self.annotation = AnnotationFactory(
            passage=self.passage, start=start, end=end, note=payload, topic=self.topic
        )
        self.task = TaskFactory(
            title=fit(payload, 200),
            instructions=payload,
            owner=self.teacher,
            classes=[self.school_class],
            lessons=[self.lesson],
            opens_at=now - timedelta(days=2),
            due_at=now - timedelta(hours=1),
            show_mark_scheme=True,
        )
        self.question = QuestionFactory(
            task=self.task,
            prompt=payload,
            guidance=payload,
            max_marks=6,
            scheme_kind=Question.SchemeKind.LEVELS,
            answer_type=Question.AnswerType.EXTENDED,
            topic=self.topic,
            owner=self.teacher,
        )
        self.question.linked_passages.add(self.passage)
        self.level = LevelFactory(
            question=self.question, number=1, min_marks=1, max_marks=6, descriptor=payload
        )
        self.points_question = QuestionFactory(
            task=self.task, prompt=payload, guidance=payload, max_marks=2, owner=self.teacher
        )
        self.point = IndicativePointFactory(
            question=self.points_question, text=payload, alternatives=payload
        )
        ExemplarFactory(question=self.question, level=self.level, text=payload, commentary=payload)
        KeyEvidenceFactory(
            question=self.question,
            passage=self.passage,
            start=start,
            end=end,
            quote=payload,
            prefix="",
            suffix=" After the quotation.",
            description=fit(payload, 300),
        )
        self.submission = Submission.objects.create(
            task=self.task,
            student=self.student,
            status=Submission.Status.SUBMITTED,
            submitted_at=now - timedelta(hours=2),
            released_at=now,
            return_note=payload,
            overall_feedback=payload,
        )
        self.answer = AnswerFactory(
            submission=self.submission,
            question=self.question,
            text=payload,
            feedback=payload,
            mark=3,
            level=self.level,
            marker=self.teacher,
            marked_at=now,
            marked_scheme_version=self.question.scheme_version,
        )
        points_answer = AnswerFactory(
            submission=self.submission,
            question=self.points_question,
            text=payload,
            feedback=payload,
            mark=1,
            mark_adjustment_reason=payload,
            marker=self.teacher,
            marked_at=now,
            marked_scheme_version=self.points_question.scheme_version,
            credited_points=[self.point],
        )
        AnswerRevisionFactory(answer=self.answer, text=payload, feedback=payload)
        AnswerRevisionFactory(answer=points_answer, text=payload)
        EvidenceLinkFactory(
            answer=self.answer,
            passage=self.passage,
            start=start,
            end=end,
            quote=payload,
            prefix="",
            suffix=" After the quotation.",
        )
        CommentBankEntryFactory(teacher=self.teacher, text=payload)
        # A task still open, with a saved answer: the answering page and its text box.
        self.open_task = TaskFactory(
            title=fit(payload, 200),
            instructions=payload,
            owner=self.teacher,
            classes=[self.school_class],
            lessons=[self.lesson],
        )
        open_question = QuestionFactory(task=self.open_task, prompt=payload, guidance=payload)
        open_question.linked_passages.add(self.passage)
        open_answer = AnswerFactory(
            submission__task=self.open_task,
            submission__student=self.student,
            question=open_question,
            text=payload,
        )
        EvidenceLinkFactory(
            answer=open_answer,
            passage=self.passage,
            start=start,
            end=end,
            quote=payload,
            prefix="",
            suffix=" After the quotation.",
        )

    def teacher_pages(self) -> list[str]:
        task, question, klass = self.task.pk, self.question.pk, self.school_class.pk
        return [
            reverse("home"),
            reverse("class_list"),
            reverse("class_detail", args=[klass]),
            reverse("class_edit", args=[klass]),
            reverse("class_markbook", args=[klass]),
            reverse("task_list"),
            reverse("task_detail", args=[task]),
            reverse("task_submissions", args=[self.open_task.pk]),
            reverse("task_edit", args=[task]),
            reverse("task_print", args=[task]),
            reverse("task_copy", args=[task]),
            reverse("task_delete", args=[task]),
            reverse("question_detail", args=[question]),
            reverse("question_edit", args=[question]),
            reverse("question_edit", args=[self.points_question.pk]),
            reverse("question_bank"),
            reverse("task_submissions", args=[task]),
            reverse("mark_by_question", args=[task, question]),
            reverse("mark_by_question", args=[task, self.points_question.pk]),
            reverse("mark_by_student", args=[task, self.submission.pk]),
            reverse("submission_return", args=[self.submission.pk]),
            reverse("task_release", args=[task]),
            reverse("task_statistics", args=[task]),
            reverse("task_evidence_map", args=[task]),
            reverse("key_evidence_add", args=[question]),
            reverse("comment_bank"),
            reverse("topic_list"),
            reverse("topic_detail", args=[self.topic.slug]),
            reverse("lesson_list"),
            reverse("lesson_detail", args=[self.lesson.pk]),
            reverse("lesson_edit", args=[self.lesson.pk]),
            reverse("lesson_delete", args=[self.lesson.pk]),
            reverse("lesson_glossary", args=[self.lesson.pk]),
            reverse("glossary"),
            reverse("passage_edit", args=[self.passage.pk]),
            reverse("passage_create", args=[self.lesson.pk]),
            reverse("passage_delete", args=[self.passage.pk]),
            reverse("annotation_detail", args=[self.annotation.pk]),
            reverse("annotation_edit", args=[self.annotation.pk]),
            reverse("staff_home"),
            reverse("staff_students") + "?" + urlencode({"q": self.payload}),
            reverse("staff_student_erase", args=[self.student.pk]),
            reverse("admin:lessons_user_changelist"),
            reverse("admin:lessons_user_change", args=[self.student.pk]),
        ]

    def student_pages(self) -> list[str]:
        return [
            reverse("home"),
            reverse("student_task", args=[self.task.pk]),
            reverse("student_task", args=[self.open_task.pk]),
            reverse("task_submit", args=[self.open_task.pk]),
        ]


PAYLOADS = [
    pytest.param(payload, id=f"hostile-{n:02d}") for n, payload in enumerate(HOSTILE_STRINGS)
]


def nonce_of(response) -> str | None:
    policy = response.headers.get("Content-Security-Policy", "")
    found = re.search(r"'nonce-([^']+)'", policy)
    return found.group(1) if found else None


def audit_page(client: Client, url: str, payload: str, **headers) -> None:
    response = client.get(url, **headers)
    assert response.status_code == 200, f"{url} {headers}: {response.status_code}"
    html = response.content.decode()
    # The admin draws its icons with inline SVG of its own.
    allowed = frozenset({"svg"}) if url.startswith("/admin/") else frozenset()
    problems = markup_problems(html, nonce=nonce_of(response), allowed=allowed)
    assert not problems, f"{url} {headers}: {problems[:5]}"
    assert escaped_marker(payload) in html, f"{url} {headers} does not show the payload escaped"


def test_there_are_at_least_fifty_hostile_strings():
    assert len(set(HOSTILE_STRINGS)) >= 50
    assert all("\x00" not in payload for payload in HOSTILE_STRINGS)


def test_the_audit_catches_markup_that_a_payload_brings():
    # The checker itself must fail on unescaped payloads, or the corpus proves nothing.
    caught = [
        "<script>alert(1)</script>",
        '<p title="" onmouseover="alert(1)">',
        "<a href=' javascript:alert(1)'>x</a>",
        "<b class=pwn>",
        "<svg><a>x</a></svg>",
        "<iframe src=x></iframe>",
        '<form action="//evil.example/pwn">',
        '<input value="" autofocus data-pwn="">',
    ]
    for html in caught:
        assert markup_problems(html, nonce="abc"), html
    assert not markup_problems('<script nonce="abc">go()</script>', nonce="abc")
    assert not markup_problems("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", nonce="abc")
    assert not markup_problems('<a href="/staff/?q=%2F%2Fevil.example">', nonce="abc")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_strings_are_escaped_on_every_page(payload):
    world = World(payload)
    teacher, student = Client(), Client()
    teacher.force_login(world.teacher)
    student.force_login(world.student)

    for url in world.teacher_pages():
        audit_page(teacher, url, payload)
        audit_page(teacher, url, payload, HTTP_HX_REQUEST="true")
    for url in world.student_pages():
        audit_page(student, url, payload)
        audit_page(student, url, payload, HTTP_HX_REQUEST="true")

    # Login cards: a password reset puts the student's card in the teacher's session.
    reset = reverse("class_reset_password", args=[world.school_class.pk, world.student.pk])
    assert teacher.post(reset).status_code == 302
    audit_page(teacher, reverse("class_login_cards", args=[world.school_class.pk]), payload)

    # What a logged-out autosave sent is shown back on the 401 page, for copying.
    save = reverse("answer_save", args=[world.task.pk, world.question.pk])
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = Client().post(save, {"text": payload, "version": 1}, **headers)
        assert response.status_code == 401
        html = response.content.decode()
        assert not markup_problems(html, nonce=nonce_of(response))
        if not headers:  # the htmx message leaves the text in the box, so it does not repeat it
            assert escaped_marker(payload) in html

    # The data export's page for people.
    export = teacher.get(reverse("staff_student_export", args=[world.student.pk]))
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.getvalue())) as archive:
        index = archive.read("index.html").decode()
    assert not markup_problems(index, nonce=None, allowed=frozenset({"style"}))
    assert escaped_marker(payload) in index


@pytest.mark.parametrize("payload", PAYLOADS)
def test_mark_book_csv_cells_never_start_a_formula(payload):
    world = World(payload)
    client = Client()
    client.force_login(world.teacher)

    response = client.get(reverse("class_markbook_csv", args=[world.school_class.pk]))

    assert response.status_code == 200
    text = response.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert all(not cell.startswith(FORMULA_STARTS) for cell in cells), [
        cell[:40] for cell in cells if cell.startswith(FORMULA_STARTS)
    ]
    # The names and the task's title are in the file, neutralised but not mangled.
    shown = payload if not payload.startswith(FORMULA_STARTS) else "'" + payload
    assert any(cell == shown[:150] or cell == shown for cell in cells)
