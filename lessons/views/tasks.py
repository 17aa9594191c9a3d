"""The teacher's task pages: task list, settings, the one-page editor, copy, delete, print,
and the question bank.

In the editor each question is its own small form: htmx swaps just that question, so an error
in one never costs the edits open in another. Without JavaScript the same URLs serve full
pages and redirect after each POST.
"""

from collections import Counter

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from ..access import (
    get_bank_question_for_teacher,
    get_question_for_teacher,
    get_task_for_teacher,
    teacher_required,
)
from ..forms.tasks import QuestionEditor, TaskCopyForm, TaskDeleteForm, TaskForm
from ..models import Lesson, Question, Task
from ..services import tasks as task_services
from ..services.tasks import (
    SchemeChangeNeedsConfirmation,
    SchemeInvalid,
    TaskDeletionNeedsConfirmation,
    TaskRuleError,
)
from .evidence import key_evidence_context

BANK_PAGE_SIZE = 20


def _render_parts(request: HttpRequest, parts, status: int = 200) -> HttpResponse:
    """Several partials in one response (the first is the swap, the rest out-of-band)."""
    html = "".join(render_to_string(name, context, request=request) for name, context in parts)
    return HttpResponse(html, status=status)


def _task_detail_url(task: Task, question: Question | None = None) -> str:
    url = reverse("task_detail", args=[task.pk])
    return f"{url}#question-{question.pk}" if question else url


def _answer_counts(task: Task) -> Counter:
    started = task_services.started_answers(task.questions.all())
    rows = started.order_by().values_list("question_id").annotate(n=Count("id"))
    return Counter(dict(rows))


def _question_context(question: Question, **extra) -> dict:
    """What the question partials need: its number in the task and its answer count."""
    task = question.task
    before = task.questions.filter(
        Q(order__lt=question.order) | Q(order=question.order, id__lt=question.id)
    )
    started, marked = task_services.answer_counts(question)
    return {
        "task": task,
        "question": question,
        "number": before.count() + 1,
        "answers_started": started,
        "answers_marked": marked,
        **extra,
    }


def _fresh_question(question: Question) -> Question:
    """The question again, with its scheme prefetched for display."""
    return (
        Question.objects.select_related("task")
        .prefetch_related(*task_services.scheme_prefetches())
        .get(pk=question.pk)
    )


def _task_totals(task: Task) -> dict:
    totals = task.questions.aggregate(count=Count("id"), marks=Sum("max_marks"))
    return {"task": task, "question_count": totals["count"], "total_marks": totals["marks"] or 0}


def _oob_totals(task: Task):
    return ("tasks/task_detail.html#totals_oob", _task_totals(task))


def _posted(request: HttpRequest):
    """The POSTed data, even when empty (an empty POST is still a submitted form)."""
    return request.POST if request.method == "POST" else None


# Tasks


@require_GET
@teacher_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The teacher's tasks: drafts, published and closed, with their classes and due times."""
    tasks = (
        Task.objects.for_teacher(request.user)
        .annotate(question_count=Count("questions", distinct=True))
        .annotate(total_marks=Sum("questions__max_marks"))
        .prefetch_related("classes")
        .order_by("-due_at", "id")
    )
    groups = {status: [] for status in Task.Status.values}
    for task in tasks:
        groups[task.status].append(task)
    return render(
        request,
        "tasks/task_list.html",
        {
            "drafts": groups[Task.Status.DRAFT],
            "published": groups[Task.Status.PUBLISHED],
            "closed": groups[Task.Status.CLOSED],
            "has_tasks": any(groups.values()),
        },
    )


@require_http_methods(["GET", "POST"])
@teacher_required
def task_create(request: HttpRequest) -> HttpResponse:
    """A new task's settings; then the editor, to add its questions."""
    form = TaskForm(_posted(request), teacher=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_services.create_task(owner=request.user, **form.cleaned_data)
        except TaskRuleError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Task created as a draft. Now add its questions.")
            return redirect("task_detail", pk=task.pk)
    return render(
        request,
        "tasks/task_form.html",
        {"form": form, "task": None},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@teacher_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's settings: title, classes, lessons, times, late policy, mark-scheme release."""
    task = get_task_for_teacher(request.user, pk)
    form = TaskForm(_posted(request), teacher=request.user, task=task)
    if request.method == "POST" and form.is_valid():
        try:
            task_services.update_task(task=task, **form.cleaned_data)
        except TaskRuleError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Task settings saved.")
            return redirect("task_detail", pk=task.pk)
    return render(
        request,
        "tasks/task_form.html",
        {"form": form, "task": task},
        status=422 if form.is_bound else 200,
    )


@require_GET
@teacher_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The task editor: its settings at a glance and its questions, each edited in place."""
    task = get_task_for_teacher(request.user, pk)
    task = (
        Task.objects.filter(pk=task.pk)
        .select_related("owner")
        .prefetch_related("classes", "lessons")
        .get()
    )
    questions = list(task_services.questions_with_schemes(task))
    counts = _answer_counts(task)
    passages = list(task_services.passages_for_task(task, task.lessons.all()))
    return render(
        request,
        "tasks/task_detail.html",
        {
            "task": task,
            "questions": [
                (number, question, counts.get(question.id, 0))
                for number, question in enumerate(questions, start=1)
            ],
            "question_count": len(questions),
            "total_marks": sum(q.max_marks for q in questions),
            "new_editor": QuestionEditor.blank(task=task, passages=passages),
            "has_passages": bool(passages),
        },
    )


@require_POST
@teacher_required
def task_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish, close, reopen, or take back to draft."""
    task = get_task_for_teacher(request.user, pk)
    action = request.POST.get("action", "")
    error = None
    try:
        task_services.set_task_status(task=task, action=action)
    except TaskRuleError as refused:
        error = refused.message
    if request.htmx:
        context = {**_task_totals(task), "status_error": error, "status_changed": True}
        return render(
            request,
            "tasks/task_detail.html#status",
            context,
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"The task is now {task.get_status_display().lower()}.")
    return redirect("task_detail", pk=task.pk)


@require_http_methods(["GET", "POST"])
@teacher_required
def task_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a task with its questions to other classes, or to next year with shifted dates."""
    task = get_task_for_teacher(request.user, pk)
    form = TaskCopyForm(_posted(request), teacher=request.user, task=task)
    if request.method == "POST" and form.is_valid():
        copy = task_services.copy_task(
            task=task,
            to_classes=list(form.cleaned_data["classes"]),
            shift_dates_by=form.shift,
            owner=request.user,
            title=form.cleaned_data["title"],
        )
        messages.success(request, "Copied. The copy is a draft: check its dates, then publish it.")
        return redirect("task_detail", pk=copy.pk)
    return render(
        request,
        "tasks/task_copy.html",
        {"form": form, "task": task},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@teacher_required
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a task; with students' answers, its title must be typed."""
    task = get_task_for_teacher(request.user, pk)
    answers = task_services.started_answers(task.questions.all()).count()
    form = TaskDeleteForm(_posted(request), task=task, answers=answers)
    if request.method == "POST" and form.is_valid():
        try:
            task_services.delete_task(
                task=task, confirmation=form.cleaned_data.get("confirmation", "")
            )
        except TaskDeletionNeedsConfirmation:
            form.add_error(None, "Students have answered this task: type its title to confirm.")
        else:
            messages.success(request, f"Deleted the task “{task.title}”.")
            return redirect("task_list")
    return render(
        request,
        "tasks/task_delete.html",
        {"form": form, "task": task, "answers": answers},
        status=422 if form.is_bound else 200,
    )


@require_GET
@teacher_required
def task_print(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable task: questions with marks, optionally the sources and the mark scheme."""
    task = get_task_for_teacher(request.user, pk)
    with_scheme = request.GET.get("scheme") == "1"
    with_sources = request.GET.get("sources") == "1"
    lessons = task.lessons.all()
    if with_sources:
        lessons = lessons.prefetch_related("passages")
    return render(
        request,
        "tasks/task_print.html",
        {
            "task": task,
            "classes": list(task.classes.all()),
            "lessons": list(lessons),
            "questions": list(task_services.questions_with_schemes(task)),
            "with_scheme": with_scheme,
            "with_sources": with_sources,
            **{k: v for k, v in _task_totals(task).items() if k != "task"},
        },
    )


# Questions


def _editor_response(request: HttpRequest, editor: QuestionEditor, task: Task, status: int):
    """The question editor: in place for htmx, or as its own page."""
    question = editor.question
    context = {
        "task": task,
        "editor": editor,
        "question": question,
    }
    if question is not None:
        context = {**_question_context(question), **key_evidence_context(question), **context}
    if request.htmx:
        name = "question" if question is not None else "new_question"
        return render(request, f"tasks/task_detail.html#{name}", context, status=status)
    return render(request, "tasks/question_form.html", context, status=status)


def _add_row_requested(request: HttpRequest) -> str | None:
    section = request.POST.get("add_row")
    return section if section in ("points", "levels", "exemplars") else None


@require_http_methods(["GET", "POST"])
@teacher_required
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a question with its mark scheme to the task."""
    task = get_task_for_teacher(request.user, pk)
    if request.method == "GET":
        editor = QuestionEditor.blank(task=task)
        editor.open = request.GET.get("closed") != "1"
        return _editor_response(request, editor, task, 200)

    section = _add_row_requested(request)
    if section:
        editor = QuestionEditor.with_added_row(
            request.POST, section, task=task, question=None, prefix="new"
        )
        editor.open = True
        return _editor_response(request, editor, task, 200)

    editor = QuestionEditor.bound(request.POST, task=task, question=None, prefix="new")
    editor.open = True
    if editor.is_valid():
        data = editor.cleaned
        try:
            question = task_services.add_question(
                task=task,
                owner=request.user,
                prompt=data["prompt"],
                answer_type=data["answer_type"],
                scheme=editor.scheme,
                linked_passages=data["linked_passages"],
            )
        except SchemeInvalid as error:
            editor.apply_errors(error.errors)
        except TaskRuleError as error:
            editor.form.add_error(error.field, error.message)
        else:
            if not request.htmx:
                messages.success(request, "Question added.")
                return redirect(_task_detail_url(task, question))
            question = _fresh_question(question)
            return _render_parts(
                request,
                [
                    (
                        "tasks/task_detail.html#new_question",
                        {"task": task, "editor": QuestionEditor.blank(task=task)},
                    ),
                    (
                        "tasks/task_detail.html#question_appended",
                        _question_context(question, just_saved=True),
                    ),
                    _oob_totals(task),
                ],
            )
    return _editor_response(request, editor, task, 422)


@require_GET
@teacher_required
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One question with its mark scheme (htmx: the editor's card, e.g. after Cancel)."""
    question = _fresh_question(get_question_for_teacher(request.user, pk))
    context = _question_context(question)
    if request.htmx:
        return render(request, "tasks/task_detail.html#question", context)
    return render(request, "tasks/question_detail.html", context)


@require_http_methods(["GET", "POST"])
@teacher_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a question and its mark scheme; a scheme change after answers needs a yes."""
    question = get_question_for_teacher(request.user, pk)
    task = question.task
    if request.method == "GET":
        return _editor_response(request, QuestionEditor.for_question(question), task, 200)

    section = _add_row_requested(request)
    prefix = f"q{question.pk}"
    if section:
        editor = QuestionEditor.with_added_row(
            request.POST, section, task=task, question=question, prefix=prefix
        )
        return _editor_response(request, editor, task, 200)

    editor = QuestionEditor.bound(request.POST, task=task, question=question, prefix=prefix)
    if editor.is_valid():
        data = editor.cleaned
        try:
            changed = task_services.update_question(
                question=question,
                prompt=data["prompt"],
                answer_type=data["answer_type"],
                scheme=editor.scheme,
                linked_passages=data["linked_passages"],
                confirm_scheme_change=data["confirm_scheme_change"],
            )
        except SchemeChangeNeedsConfirmation as needed:
            editor.needs_confirmation = (needed.answers_started, needed.answers_marked)
            editor.form.fields["confirm_scheme_change"].widget.attrs["data-focus-me"] = ""
            return _editor_response(request, editor, task, 409)
        except SchemeInvalid as error:
            editor.apply_errors(error.errors)
        except TaskRuleError as error:
            editor.form.add_error(error.field, error.message)
        else:
            started, marked = task_services.answer_counts(question)
            flagged = marked if changed else 0
            if not request.htmx:
                message = "Question saved."
                if flagged:
                    message += f" {flagged} marked answers are flagged for re-marking."
                messages.success(request, message)
                return redirect(_task_detail_url(task, question))
            question = _fresh_question(question)
            return _render_parts(
                request,
                [
                    (
                        "tasks/task_detail.html#question",
                        _question_context(question, just_saved=True, flagged=flagged),
                    ),
                    _oob_totals(task),
                ],
            )
    return _editor_response(request, editor, task, 422)


@require_POST
@teacher_required
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a question up or down; htmx reorders the cards without reloading them."""
    question = get_question_for_teacher(request.user, pk)
    direction = request.POST.get("direction", "")
    try:
        order = task_services.move_question(question=question, direction=direction)
    except TaskRuleError as error:
        if request.htmx:
            return HttpResponse(error.message, status=422)
        messages.error(request, error.message)
        return redirect(_task_detail_url(question.task))
    if request.htmx:
        response = HttpResponse(status=204)
        return trigger_client_event(
            response, "questions-reordered", {"order": order, "moved": question.pk}
        )
    return redirect(_task_detail_url(question.task, question))


@require_POST
@teacher_required
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a question after a confirmation step that says how many answers go with it."""
    question = get_question_for_teacher(request.user, pk)
    task = question.task
    if request.POST.get("confirm") != "1":
        context = _question_context(question)
        if request.htmx:
            response = render(request, "tasks/task_detail.html#delete_confirm", context)
            return reswap(retarget(response, f"#question-{question.pk}-notice"), "innerHTML")
        return render(request, "tasks/question_delete.html", context)
    order = task_services.delete_question(question=question)
    if request.htmx:
        response = _render_parts(request, [_oob_totals(task)])
        # The card that asked is gone by then, so the event is sent from the body.
        return trigger_client_event(
            response, "question-deleted", {"target": "body", "order": order}, after="settle"
        )
    messages.success(request, "Question deleted.")
    return redirect("task_detail", pk=task.pk)


# The question bank


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
@teacher_required
def question_bank(request: HttpRequest) -> HttpResponse:
    """Every seed question and the teacher's own, searchable and filterable by lesson."""
    user = request.user
    query = request.GET.get("q", "")[:200]
    lessons = list(Lesson.objects.order_by("title", "id"))
    lesson = None
    lesson_id = request.GET.get("lesson", "")
    if lesson_id.isdigit():
        lesson = next((item for item in lessons if item.id == int(lesson_id)), None)
    target = None
    target_id = request.GET.get("task", "")
    if target_id.isdigit():
        target = get_task_for_teacher(user, int(target_id))
    questions = task_services.bank_questions(teacher=user, query=query, lesson=lesson)
    page = Paginator(questions, BANK_PAGE_SIZE).get_page(request.GET.get("page"))
    target_tasks = (
        []
        if target
        else list(
            Task.objects.for_teacher(user)
            .exclude(status=Task.Status.CLOSED)
            .order_by("-updated_at", "id")
        )
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "query": query,
        "lessons": lessons,
        "lesson": lesson,
        "target": target,
        "target_tasks": target_tasks,
        "base_query": params.urlencode(),
    }
    if request.htmx and request.htmx.target == "bank-results":
        return render(request, "tasks/question_bank.html#results", context)
    return render(request, "tasks/question_bank.html", context)


@require_POST
@teacher_required
def question_add_from_bank(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a bank question into one of the teacher's tasks."""
    source = get_bank_question_for_teacher(request.user, pk)
    task_id = request.POST.get("task", "")
    if not task_id.isdigit():
        message = "Choose the task to add the question to."
        if request.htmx:
            return render(
                request,
                "tasks/question_bank.html#add_result",
                {"item": source, "error": message},
                status=422,
            )
        messages.error(request, message)
        return redirect(_safe_next(request, reverse("question_bank")))
    task = get_task_for_teacher(request.user, int(task_id))
    had_lessons = set(task.lessons.values_list("id", flat=True))
    copy = task_services.copy_question_to_task(question=source, task=task, owner=request.user)
    added_lessons = list(
        Lesson.objects.filter(id__in=task_services.lessons_needed(copy) - had_lessons)
    )
    number = task.questions.filter(order__lte=copy.order).count()
    if request.htmx:
        return render(
            request,
            "tasks/question_bank.html#add_result",
            {
                "item": source,
                "task": task,
                "copy": copy,
                "number": number,
                "added_lessons": added_lessons,
            },
        )
    message = f"Added to “{task.title}” as question {number}."
    if added_lessons:
        titles = ", ".join(f"“{lesson.title}”" for lesson in added_lessons)
        message += f" The task now also reads {titles}."
    messages.success(request, message)
    return redirect(_safe_next(request, _task_detail_url(task, copy)))
