"""The student's side of a task: the task page with its sources, autosave, submit.

Autosave posts one question's fields (q<id>-text, q<id>-version) with htmx; the reply is a
small status (200), a conflict to resolve (409), a refusal (409) or a too-long message
(422), with the new version swapped out of band into the hidden version input (never the
textarea being typed in). Without JavaScript the whole form posts to task_save, which saves
every answer and redirects back, or shows the page again with what went wrong (409/422)
and every text kept.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.db.models import F, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import (
    get_question_for_student,
    get_submission_for_student,
    get_task_for_student,
    posted_texts,
    student_required,
    student_required_or_401,
)
from ..forms.answering import AnswerForm
from ..models import Annotation, Answer, Passage, Question, SchoolClass, Submission, Task
from ..models.work import MAX_ANSWER_CHARS
from ..services.answering import (
    AnswerRefused,
    SaveResult,
    editing_refusal,
    format_when,
    get_or_start_submission,
    save_student_answer,
    submit,
    word_count,
    would_be_late,
)
from ..services.evidence import student_evidence, student_spans
from ..services.rendering import legend_for, passage_views
from .evidence import add_evidence_parts


@dataclass
class AnswerItem:
    """One question of the page with the answer box's content and its state.

    state: "saved" (as on the server), "conflict" (the box holds the student's text, based
    on an older version; saved_text is the server's), "invalid" (refused: too long) or
    "refused" (the work may not change now).
    """

    number: int
    question: Question
    answer: Answer | None
    text: str
    version: int
    saved_at: datetime | None
    state: str = "saved"
    message: str = ""
    saved_text: str = ""
    # Text a refused save carried (the work may no longer change): shown to copy.
    unsent: str = ""
    linked: list[Passage] = field(default_factory=list)
    # The evidence area's parts (views.evidence.add_evidence_parts): the student's
    # quotations, the "Quote as evidence" form, and a comparison question's claims.
    evidence: list = field(default_factory=list)
    quote_form: object = None
    comparison: list | None = None

    @property
    def pk(self) -> int:
        return self.question.pk

    @property
    def words(self) -> int:
        return word_count(self.text)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()


def _task_url(task: Task, question: Question | None = None) -> str:
    url = reverse("student_task", args=[task.pk])
    return f"{url}#question-{question.pk}" if question else url


def _questions(task: Task) -> list[Question]:
    return list(
        task.questions.select_related("topic")
        .order_by("order", "id")
        .prefetch_related(
            Prefetch(
                "linked_passages",
                queryset=Passage.objects.select_related("lesson").order_by(
                    "lesson__title", "lesson_id", "order", "id"
                ),
            )
        )
    )


def _answers(submission: Submission | None) -> dict[int, Answer]:
    if submission is None:
        return {}
    return {a.question_id: a for a in submission.answers.all()}


def _items(questions: list[Question], answers: dict[int, Answer]) -> list[AnswerItem]:
    items = []
    for number, question in enumerate(questions, start=1):
        answer = answers.get(question.pk)
        items.append(
            AnswerItem(
                number=number,
                question=question,
                answer=answer,
                text=answer.text if answer else "",
                version=answer.version if answer else 0,
                saved_at=answer.saved_at if answer else None,
                linked=list(question.linked_passages.all()),
            )
        )
    return items


def _student_notes(task: Task):
    """Students see the notes that came with the lesson (the shared seed notes and its
    owner's) and those of their own teachers, not every note any teacher has written."""
    # The task's owner and its classes' teachers. Two plain conditions, not one OR across
    # two joins of the user table: that one scanned every user × task of the school.
    class_teachers = SchoolClass.teachers.through.objects.filter(
        schoolclass_id__in=Task.classes.through.objects.filter(task=task).values("schoolclass_id")
    ).values("user_id")
    return Annotation.objects.filter(
        Q(author__isnull=True)
        | Q(author_id=task.owner_id)
        | Q(author_id__in=class_teachers)
        | Q(author_id=F("passage__lesson__owner_id"))
    )


def _sources(task: Task, extra_spans: dict | None = None) -> tuple[list[tuple], list]:
    """The task's lessons with their passages and notes, in a fixed number of queries;
    extra_spans (passage id → rendering.Span) highlights the student's quotations."""
    notes = _student_notes(task).order_by("start", "-end", "id")
    lessons = list(task.lessons.order_by("title", "id"))
    passages = (
        Passage.objects.filter(lesson__in=lessons)
        .select_related("lesson")
        .prefetch_related(Prefetch("annotations", queryset=notes))
        .order_by("lesson__title", "lesson_id", "order", "id")
    )
    views = passage_views(passages, extra_spans=extra_spans)
    by_lesson = {lesson.pk: (lesson, []) for lesson in lessons}
    for view in views:
        by_lesson[view.passage.lesson_id][1].append(view)
    return list(by_lesson.values()), legend_for(views)


def _page_context(
    request: HttpRequest,
    task: Task,
    submission: Submission | None,
    *,
    problems: dict[int, dict] | None = None,
) -> dict:
    now = timezone.now()
    questions = _questions(task)
    items = _items(questions, _answers(submission))
    for item in items:
        for name, value in (problems or {}).get(item.pk, {}).items():
            setattr(item, name, value)
    refusal = editing_refusal(task, submission, now)
    evidence = student_evidence(submission=submission)
    sources, legend = _sources(
        task, extra_spans=student_spans(e for found in evidence.values() for e in found)
    )
    add_evidence_parts(items, evidence=evidence, sources=sources, notes=_student_notes(task))
    return {
        "task": task,
        "submission": submission,
        "items": items,
        "editable": refusal is None,
        "refusal": refusal,
        "late_if_submitted": refusal is None and would_be_late(task, submission, now),
        "due_label": format_when(task.due_at),
        "classes": list(task.classes.filter(enrolments__student=request.user)),
        "total_marks": sum(q.max_marks for q in questions),
        "sources": sources,
        "legend": legend,
        "max_chars": MAX_ANSWER_CHARS,
    }


@student_required
@require_GET
def student_task(request: HttpRequest, pk: int) -> HttpResponse:
    """The task page: the sources with their notes beside the questions and answer boxes."""
    task = get_task_for_student(request.user, pk)
    submission = get_submission_for_student(request.user, task)
    return render(request, "answering/task.html", _page_context(request, task, submission))


# Saving ----------------------------------------------------------------------------------


def _wrong_account(request: HttpRequest) -> bool:
    """The page was opened by another account than the one now logged in (a shared
    computer): its text must not land in this account's answers."""
    owner = request.POST.get("owner", "")
    return bool(owner) and owner != str(request.user.pk)


def _wrong_account_response(request: HttpRequest, task: Task) -> HttpResponse:
    """Refuse the save, showing the text back to a page without JavaScript."""
    if request.htmx:
        return render(request, "answering/task.html#wrong_account", {"task": task}, status=401)
    context = {"posted": posted_texts(request), "other_account": True}
    return render(request, "401.html", context, status=401)


def _save(request: HttpRequest, task: Task, question: Question, form: AnswerForm) -> SaveResult:
    """Save one answer from a valid form; raises AnswerRefused."""
    return save_student_answer(
        task=task,
        student=request.user,
        question=question,
        text=form.cleaned_data["text"],
        base_version=form.cleaned_data["version"],
    )


def _problem(form: AnswerForm, *, result: SaveResult | None = None, refusal=None) -> dict:
    """How a question is shown again after a save that did not go through."""
    posted = form.data.get(form.add_prefix("text"), "")
    if result is not None:
        # The box keeps the student's text, now based on the saved version: saving again
        # keeps it, on purpose, with both texts in view.
        return {
            "state": "conflict",
            "text": posted,
            "version": result.version,
            "saved_text": result.text,
            "saved_at": result.saved_at,
        }
    if refusal is not None and refusal.code == "too_long":
        return {"state": "invalid", "text": posted, "message": refusal.message}
    if refusal is not None:
        return {"state": "refused", "unsent": posted, "message": refusal.message}
    errors = "; ".join(e for errors in form.errors.values() for e in errors)
    return {"state": "invalid", "text": posted, "message": f"Not saved: {errors}"}


def _status_response(
    request: HttpRequest, task: Task, item: AnswerItem, status: int
) -> HttpResponse:
    """The autosave reply: the status, and out of band the version or the conflict."""
    return render(
        request,
        "answering/task.html#save_reply",
        {"task": task, "item": item, "max_chars": MAX_ANSWER_CHARS},
        status=status,
    )


@student_required_or_401
@require_POST
def answer_save(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """Autosave of one answer (htmx, or a beacon as the page closes)."""
    task = get_task_for_student(request.user, pk)
    question = get_question_for_student(request.user, task, question_pk)
    beacon = request.POST.get("beacon") == "1"
    if _wrong_account(request):
        return _wrong_account_response(request, task)
    form = AnswerForm(request.POST, question_pk=question.pk)
    item = AnswerItem(number=0, question=question, answer=None, text="", version=0, saved_at=None)
    status = 200
    if not form.is_valid():
        outcome, status = _problem(form), 422
    else:
        try:
            result = _save(request, task, question, form)
        except AnswerRefused as refusal:
            outcome = _problem(form, refusal=refusal)
            status = 422 if refusal.code == "too_long" else 409
        else:
            if result.is_conflict:
                outcome, status = _problem(form, result=result), 409
            else:
                outcome = {"version": result.version, "saved_at": result.saved_at}
    for name, value in outcome.items():
        setattr(item, name, value)
    if beacon:
        # Nobody reads the reply of a page that is closing.
        return HttpResponse(status=204 if status == 200 else status)
    if request.htmx:
        return _status_response(request, task, item, status)
    if status == 200:
        messages.success(request, f"Question {_number(task, question)}: your answer was saved.")
        return redirect(_task_url(task, question))
    submission = get_submission_for_student(request.user, task)
    context = _page_context(request, task, submission, problems={question.pk: outcome})
    return render(request, "answering/task.html", context, status=status)


def _number(task: Task, question: Question) -> int:
    ids = list(task.questions.order_by("order", "id").values_list("id", flat=True))
    return ids.index(question.pk) + 1


@student_required_or_401
@require_POST
def task_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save every answer of the page at once: the Save buttons without JavaScript."""
    task = get_task_for_student(request.user, pk)
    if _wrong_account(request):
        return _wrong_account_response(request, task)
    questions = _questions(task)
    problems = save_posted_answers(request, task, questions)
    if not problems:
        messages.success(request, f"Your answers were saved at {timezone.localtime():%H:%M}.")
        anchor = next((q for q in questions if str(q.pk) == request.POST.get("save")), None)
        return redirect(_task_url(task, anchor))
    states = {problem["state"] for problem in problems.values()}
    status = 409 if states & {"conflict", "refused"} else 422
    return task_page_again(request, task, problems, status)


def save_posted_answers(request: HttpRequest, task: Task, questions=None) -> dict[int, dict]:
    """Save every answer the plain form posted; how each question that did not save is
    shown again (empty when all saved). Also used by the evidence area's plain forms, which
    post the whole answers form too."""
    problems: dict[int, dict] = {}
    for question in questions if questions is not None else _questions(task):
        form = AnswerForm(request.POST, question_pk=question.pk)
        if not form.was_posted:
            continue
        if not form.is_valid():
            problems[question.pk] = _problem(form)
            continue
        try:
            result = _save(request, task, question, form)
        except AnswerRefused as refusal:
            problems[question.pk] = _problem(form, refusal=refusal)
            continue
        if result.is_conflict:
            problems[question.pk] = _problem(form, result=result)
    return problems


def task_page_again(
    request: HttpRequest, task: Task, problems: dict[int, dict], status: int
) -> HttpResponse:
    """The whole task page again after a plain POST that did not go through."""
    submission = get_submission_for_student(request.user, task)
    context = _page_context(request, task, submission, problems=problems)
    return render(request, "answering/task.html", context, status=status)


# Submitting ------------------------------------------------------------------------------


def _id_list(raw: str) -> set[int]:
    return {int(part) for part in raw.split(",") if part.strip().isdigit()}


@student_required
@require_http_methods(["GET", "POST"])
def task_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm and submit: the confirmation lists the questions left empty."""
    task = get_task_for_student(request.user, pk)
    submission = get_submission_for_student(request.user, task)
    if submission is not None and submission.is_submitted:
        messages.info(request, "This task is already submitted.")
        return redirect(_task_url(task))
    now = timezone.now()
    items = _items(_questions(task), _answers(submission))
    unanswered = [item for item in items if item.is_empty]
    refusal = editing_refusal(task, submission, now)
    status = 200
    changed = False
    if request.method == "POST":
        if refusal is not None:
            messages.error(request, f"Not submitted. {refusal.message}")
            return redirect(_task_url(task))
        # Submitting with empty answers is allowed only once the student has been shown
        # which ones are empty: if that changed since the page was shown, show it again.
        if _id_list(request.POST.get("empty", "")) != {item.pk for item in unanswered}:
            changed, status = True, 409
        else:
            submission = submission or get_or_start_submission(task=task, student=request.user)
            try:
                submission = submit(submission=submission)
            except AnswerRefused as refused:
                messages.error(request, refused.message)
                return redirect(_task_url(task))
            # The page says when, and whether it was late; this only confirms it happened.
            messages.success(request, "Your work is submitted.")
            return redirect(_task_url(task))
    return render(
        request,
        "answering/submit.html",
        {
            "task": task,
            "submission": submission,
            "items": items,
            "unanswered": unanswered,
            "empty_ids": ",".join(str(item.pk) for item in unanswered),
            "refusal": refusal,
            "late": refusal is None and would_be_late(task, submission, now),
            "due_label": format_when(task.due_at),
            "changed": changed,
        },
        status=status,
    )
