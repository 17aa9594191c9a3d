"""Who may see what: every view gets its objects through these helpers.

Another account's object is a 404 (not a 403), so ids reveal nothing. A user of the wrong
role on a role's page gets a 403 that says whose page it is.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .models import (
    Annotation,
    Answer,
    CommentBankEntry,
    Enrolment,
    EvidenceLink,
    KeyEvidence,
    Lesson,
    Passage,
    Question,
    SchoolClass,
    Submission,
    Task,
    Topic,
    User,
)
from .services.tasks import bank_questions


def teacher_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in as a teacher, or a 403 (anonymous users go to the login page)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_teacher:
            raise PermissionDenied("This page is for teachers.")
        return view(request, *args, **kwargs)

    return wrapper


def student_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in as a student, or a 403 (anonymous users go to the login page)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_student:
            raise PermissionDenied("This page is for students.")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in as staff (the school's IT), or a 403 (anonymous users go to the login page)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("This page is for the school's administrators.")
        return view(request, *args, **kwargs)

    return wrapper


def student_required_or_401(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """student_required for URLs that receive work in the background (autosave, beacons).

    An expired session gets a 401 saying so, not a redirect to the login page: a script
    would follow the redirect and take the login page for the answer, and a plain form's
    POST would be lost on the way. The 401 page shows back what was sent.
    """
    checked = student_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            template = "401.html#message" if request.htmx else "401.html"
            return render(request, template, {"posted": posted_texts(request)}, status=401)
        return checked(request, *args, **kwargs)

    return wrapper


def posted_texts(request: HttpRequest) -> list[str]:
    """The texts a logged-out user just sent (fields named "text" or "…-text"), to copy."""
    if request.method != "POST":
        return []
    return [
        value
        for name, value in request.POST.items()
        if (name == "text" or name.endswith("-text")) and value.strip()
    ]


def get_class_for_teacher(user, pk: int) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.for_teacher(user), pk=pk)


def get_enrolment_for_teacher(user, class_pk: int, student_pk: int) -> Enrolment:
    """A student's place in one of the teacher's classes (404 if either is not theirs)."""
    return get_object_or_404(
        Enrolment.objects.select_related("school_class", "student").filter(
            school_class__teachers=user, student__role=User.Role.STUDENT
        ),
        school_class_id=class_pk,
        student_id=student_pk,
    )


def get_lesson_for_teacher(user, pk: int) -> Lesson:
    """Any teacher may read any lesson of the library."""
    if not user.is_teacher:
        raise PermissionDenied("This page is for teachers.")
    return get_object_or_404(Lesson, pk=pk)


def get_own_lesson_for_teacher(user, pk: int) -> Lesson:
    """Only the lesson's owner may change it; the shared seed lessons are copied first."""
    return get_object_or_404(Lesson.objects.filter(owner=user), pk=pk)


def get_passage_for_teacher(user, pk: int) -> Passage:
    """Any teacher may read any passage, and annotate it."""
    if not user.is_teacher:
        raise PermissionDenied("This page is for teachers.")
    return get_object_or_404(Passage.objects.select_related("lesson"), pk=pk)


def get_own_passage_for_teacher(user, pk: int) -> Passage:
    """Only the lesson's owner may change a passage's text."""
    return get_object_or_404(
        Passage.objects.select_related("lesson").filter(lesson__owner=user), pk=pk
    )


def get_annotation_for_teacher(user, pk: int) -> Annotation:
    """Any teacher may read any note of the library."""
    if not user.is_teacher:
        raise PermissionDenied("This page is for teachers.")
    return get_object_or_404(
        Annotation.objects.select_related("passage__lesson", "author", "topic"), pk=pk
    )


def get_editable_annotation_for_teacher(user, pk: int) -> Annotation:
    """A note its author or the lesson's owner may change; the shared seed notes (no
    author) are changed in a copy of the lesson."""
    return get_object_or_404(
        Annotation.objects.select_related("passage__lesson", "author").filter(
            Q(author=user) | Q(passage__lesson__owner=user)
        ),
        pk=pk,
    )


def get_task_for_teacher(user, pk: int) -> Task:
    return get_object_or_404(Task.objects.for_teacher(user), pk=pk)


def get_task_for_student(user, pk: int) -> Task:
    return get_object_or_404(Task.objects.visible_to_student(user, timezone.now()), pk=pk)


def get_question_for_student(user, task: Task, pk: int) -> Question:
    """A question of a task the student may see (get the task with get_task_for_student)."""
    return get_object_or_404(Question.objects.filter(task=task), pk=pk)


def get_submission_for_student(user, task: Task) -> Submission | None:
    """The student's own submission for the task, or None if they have not started it."""
    # By id: the model's default order (by username) would join the user table for nothing.
    return Submission.objects.filter(task=task, student=user).order_by("id").first()


def get_question_for_teacher(user, pk: int) -> Question:
    """A question of one of the teacher's tasks (bank-only questions are not edited here)."""
    questions = Question.objects.filter(task__in=Task.objects.for_teacher(user))
    return get_object_or_404(questions.select_related("task"), pk=pk)


def get_bank_question_for_teacher(user, pk: int) -> Question:
    """A question of the bank as this teacher sees it (the shared ones and their own)."""
    return get_object_or_404(bank_questions(teacher=user), pk=pk)


def get_submission_for_teacher(user, pk: int) -> Submission:
    """A student's submission to one of the teacher's tasks (marking, returning)."""
    submissions = Submission.objects.filter(task__in=Task.objects.for_teacher(user))
    return get_object_or_404(submissions.select_related("task", "student"), pk=pk)


def get_answer_for_teacher(user, pk: int) -> Answer:
    """An answer to one of the teacher's tasks, with what marking it needs."""
    answers = Answer.objects.filter(submission__task__in=Task.objects.for_teacher(user))
    return get_object_or_404(
        answers.select_related("submission__task", "submission__student", "question"), pk=pk
    )


def get_comment_for_teacher(user, pk: int) -> CommentBankEntry:
    """One of the teacher's own comment bank entries."""
    return get_object_or_404(CommentBankEntry.objects.filter(teacher=user), pk=pk)


def get_teacher_for_staff(user, pk: int) -> User:
    """A teacher account, for an administrator to manage."""
    if not user.is_staff:
        raise PermissionDenied("This page is for the school's administrators.")
    return get_object_or_404(User.objects.filter(role=User.Role.TEACHER), pk=pk)


def get_student_for_staff(user, pk: int) -> User:
    """A student account, for an administrator answering a data-protection request."""
    if not user.is_staff:
        raise PermissionDenied("This page is for the school's administrators.")
    return get_object_or_404(User.objects.filter(role=User.Role.STUDENT), pk=pk)


def get_evidence_link_for_student(user, pk: int) -> EvidenceLink:
    """One of the student's own quotations, in a task they can see."""
    visible = Task.objects.visible_to_student(user, timezone.now())
    links = EvidenceLink.objects.filter(
        answer__submission__student=user, answer__submission__task__in=visible
    )
    return get_object_or_404(
        links.select_related("answer__submission__task", "answer__question", "passage__lesson"),
        pk=pk,
    )


def get_key_evidence_for_teacher(user, pk: int) -> KeyEvidence:
    """Key evidence of a question of one of the teacher's tasks."""
    keys = KeyEvidence.objects.filter(question__task__in=Task.objects.for_teacher(user))
    return get_object_or_404(keys.select_related("question__task", "passage__lesson"), pk=pk)


def get_topic_for_teacher(user, slug: str) -> Topic:
    """Any teacher may compare what the library's sources claim about a topic."""
    if not user.is_teacher:
        raise PermissionDenied("This page is for teachers.")
    return get_object_or_404(Topic, slug=slug)
