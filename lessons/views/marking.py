"""The teacher's side after students submit: the task overview, marking by question and by
student, autosaved marks and feedback with conflict checks, the comment bank, return,
release, statistics and the mark book.

Each marking form saves itself through htmx (static/js/marking.js decides when) and answers
with small pieces: a status, the new version, the mark summary and the progress counts.
Without JavaScript the same form has a Save button; the view then redirects back to the page
(post/redirect/get), or re-renders the whole page with the error or the conflict.
"""

import csv
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import (
    get_answer_for_teacher,
    get_class_for_teacher,
    get_comment_for_teacher,
    get_submission_for_teacher,
    get_task_for_teacher,
    teacher_required,
)
from ..forms.marking import (
    AnswerMarkForm,
    CommentForm,
    OverallFeedbackForm,
    ReleaseForm,
    ReturnForm,
)
from ..models import Answer, Passage, Question, Submission, Task
from ..services import marking as marking_services
from ..services.evidence import MarkingEvidence, marking_evidence
from ..services.marking import MarkingConflict, MarkingError, QueueEntry
from ..services.rendering import legend_for, passage_views, reading_passages

# Overview


def _page_number(request: HttpRequest) -> int:
    """?page=N of a paged list (the overview, the mark book); 1 when missing or not a number."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() else 1


def _overview_context(task: Task, page: int = 1) -> dict:
    overview = marking_services.task_overview(task=task, page=page)
    questions = list(task.questions.order_by("order", "id"))
    return {
        "task": task,
        "overview": overview,
        "questions": list(enumerate(questions, start=1)),
        "classes": list(task.classes.all()),
    }


@require_GET
@teacher_required
def task_submissions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every student of the task's classes with their state; the counts refresh live."""
    task = get_task_for_teacher(request.user, pk)
    context = _overview_context(task, _page_number(request))
    if request.htmx and request.htmx.target == "submissions-overview":
        return render(request, "marking/task_submissions.html#overview", context)
    return render(request, "marking/task_submissions.html", context)


# Marking cards


@dataclass
class AnswerCard:
    """One answer with its marking form, as a marking page shows it."""

    answer: Answer
    question: Question
    number: int
    label: str
    return_to: str  # "question" or "student": where a plain POST goes back to
    form: AnswerMarkForm | None = None  # bound: re-show what was posted
    error_field: str | None = None
    error: str = ""
    conflict: MarkingConflict | None = None
    saved: bool = False
    values: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = self._values()

    def _values(self) -> dict:
        answer = self.answer
        if self.form is not None:
            data = self.form.data

            def number(name):
                value = data.get(name, "")
                return int(value) if str(value).isdigit() else None

            credited = {int(v) for v in data.getlist("credited_points") if str(v).isdigit()}
            return {
                "credited": credited,
                "level": number("level"),
                "mark": data.get("mark", ""),
                "reason": data.get("adjustment_reason", ""),
                "feedback": data.get("feedback", ""),
                "base_marking_version": data.get("base_marking_version", ""),
                "answer_version": data.get("answer_version", ""),
                "scheme_version": data.get("scheme_version", ""),
            }
        credited = {point.id for point in answer.credited_points.all()}
        mark = answer.mark
        # A points mark equal to the ticked points' total is shown as "the total" (empty):
        # ticking another point then moves the mark with it.
        if self.question.is_points and mark is not None and credited and not self._adjusted():
            mark_text = ""
        else:
            mark_text = "" if mark is None else str(mark)
        return {
            "credited": credited,
            "level": answer.level_id,
            "mark": mark_text,
            "reason": answer.mark_adjustment_reason,
            "feedback": answer.feedback,
            "base_marking_version": answer.marking_version,
            "answer_version": answer.version,
            "scheme_version": self.question.scheme_version,
        }

    def _adjusted(self) -> bool:
        points = list(self.question.indicative_points.all())
        credited = {p.id for p in self.answer.credited_points.all()}
        total = marking_services.compute_points_mark(
            question=self.question, credited_points=[p for p in points if p.id in credited]
        )
        return self.answer.mark != total

    @property
    def is_markable(self) -> bool:
        return self.answer.submission.status == Submission.Status.SUBMITTED

    @property
    def computed_mark(self) -> int:
        credited = self.values["credited"]
        return marking_services.compute_points_mark(
            question=self.question,
            credited_points=[p for p in self.question.indicative_points.all() if p.id in credited],
        )

    @property
    def points(self) -> list[tuple[int, object, bool]]:
        credited = self.values["credited"]
        return [
            (n, point, point.id in credited)
            for n, point in enumerate(self.question.indicative_points.all(), start=1)
        ]

    @property
    def levels(self) -> list[tuple[object, bool]]:
        return [(level, level.id == self.values["level"]) for level in self.question.levels.all()]

    @property
    def mark_groups(self) -> list[tuple[object, list[int]]]:
        """Marks grouped by level for the mark choice; marks in no level (0) come first."""
        levels = list(self.question.levels.all())
        loose = [
            m
            for m in range(self.question.max_marks + 1)
            if not any(level.contains(m) for level in levels)
        ]
        groups = [(None, loose)] if loose else []
        return groups + [
            (level, list(range(level.min_marks, level.max_marks + 1))) for level in levels
        ]

    @property
    def revisions(self) -> list:
        """Earlier attempts only: the current attempt's submitted text is the answer shown."""
        current = self.answer.submission.attempt
        return [r for r in self.answer.revisions.all() if r.attempt < current]

    @property
    def word_count(self) -> int:
        return len(self.answer.text.split())

    @cached_property
    def evidence(self) -> MarkingEvidence:
        """The student's quotations and the question's key evidence (the evidence area)."""
        return marking_evidence(answer=self.answer, question=self.question)

    @property
    def conflict_answer(self) -> Answer | None:
        return self.conflict.current if self.conflict else None

    @property
    def conflict_points(self) -> list:
        if not self.conflict or self.conflict.kind != "marking":
            return []
        return list(self.conflict.current.credited_points.all())


def _card_for(
    answer: Answer, *, question: Question, number: int, label: str, return_to: str, **extra
) -> AnswerCard:
    return AnswerCard(
        answer=answer,
        question=question,
        number=number,
        label=label,
        return_to=return_to,
        **extra,
    )


def _question_url(task: Task, question: Question, submission_id: int | None = None) -> str:
    url = reverse("mark_by_question", args=[task.pk, question.pk])
    return f"{url}?submission={submission_id}" if submission_id else url


def _student_url(task: Task, submission_id: int) -> str:
    return reverse("mark_by_student", args=[task.pk, submission_id])


def _passages(passage_ids) -> list[Passage]:
    return list(
        reading_passages(Passage.objects.filter(id__in=set(passage_ids))).order_by(
            "lesson__title", "lesson_id", "order", "id"
        )
    )


def _card_passage_ids(question: Question, card: "AnswerCard | None") -> list[int]:
    """The question's linked passages, and those the answer quoted or the key evidence is in."""
    ids = [p.id for p in question.linked_passages.all()]
    if card is not None:
        ids += [pk for pk in card.evidence.passage_ids if pk not in ids]
    return ids


def _card_views(request: HttpRequest, passages, ids, card: "AnswerCard | None") -> list:
    """The passages beside an answer, with its quotations and key evidence highlighted."""
    wanted = set(ids)
    return passage_views(
        [p for p in passages if p.id in wanted],
        user=request.user,
        extra_spans=card.evidence.spans if card is not None else None,
    )


def _queue_position(queue: list[QueueEntry], submission_id: int) -> int | None:
    for index, entry in enumerate(queue):
        if entry.submission.id == submission_id:
            return index
    return None


def _neighbours(queue: list[QueueEntry], index: int | None):
    if index is None:
        return None, None
    previous = queue[index - 1] if index > 0 else None
    following = queue[index + 1] if index + 1 < len(queue) else None
    return previous, following


def _progress(task: Task, queue: list[QueueEntry], questions: list[Question]):
    return marking_services.marking_progress(
        task=task, submitted_count=len(queue), question_count=len(questions)
    )


def _base_context(request: HttpRequest, task: Task) -> dict:
    return {
        "task": task,
        "comments": marking_services.comments_for(teacher=request.user),
    }


# Marking by question


def _question_page(
    request: HttpRequest,
    task: Task,
    question_pk: int,
    submission_pk: int | None,
    *,
    card_override: AnswerCard | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = marking_services.questions_for_marking(task)
    question = next((q for q in questions if q.pk == question_pk), None)
    if question is None:
        raise Http404("No such question in this task.")
    number = questions.index(question) + 1
    queue, numbers = marking_services.marking_queue_with_numbers(task=task)

    index = _queue_position(queue, submission_pk) if submission_pk else None
    # A refused save re-shows its card even when the work has left the queue (returned).
    if submission_pk and index is None and card_override is None:
        raise Http404("That work is not waiting for marking.")
    # The queue's submissions by a join rather than a list of every id (thousands of
    # parameters to plan), and order_by(): the default order would join three tables.
    unmarked = set(
        Answer.objects.filter(
            question=question,
            mark__isnull=True,
            submission__task=task,
            submission__status=Submission.Status.SUBMITTED,
        )
        .order_by()
        .values_list("submission_id", flat=True)
    )
    if index is None and queue and card_override is None:
        index = next((i for i, e in enumerate(queue) if e.submission.id in unmarked), 0)
    previous, following = _neighbours(queue, index)
    next_unmarked = None
    if index is not None:
        rest = queue[index + 1 :] + queue[:index]
        next_unmarked = next((e for e in rest if e.submission.id in unmarked), None)

    card = card_override
    if card is None and index is not None:
        entry = queue[index]
        answer = marking_services.answers_for_marking(
            Answer.objects.filter(question=question, submission=entry.submission)
        ).first()
        if answer is not None:
            card = _card_for(
                answer, question=question, number=number, label=entry.label, return_to="question"
            )
    per_question, task_progress = _progress(task, queue, questions)
    ids = _card_passage_ids(question, card)
    views = _card_views(request, _passages(ids), ids, card)
    context = {
        **_base_context(request, task),
        "question": question,
        "number": number,
        "questions": list(enumerate(questions, start=1)),
        "queue": queue,
        "unmarked": unmarked,
        "position": None if index is None else index + 1,
        "previous": previous,
        "following": following,
        "next_unmarked": next_unmarked,
        "card": card,
        "question_progress": per_question.get(
            question.id, marking_services.Progress(0, len(queue))
        ),
        "task_progress": task_progress,
        "passages": views,
        "legend": legend_for(views),
        "numbers": numbers,
    }
    return render(request, "marking/mark_question.html", context, status=status)


@require_GET
@teacher_required
def mark_by_question(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """One question, every student's answer in turn, with the whole mark scheme beside it."""
    task = get_task_for_teacher(request.user, pk)
    raw = request.GET.get("submission", "")
    return _question_page(request, task, question_pk, int(raw) if raw.isdigit() else None)


# Marking by student


def _student_page(
    request: HttpRequest,
    task: Task,
    submission: Submission,
    *,
    card_override: AnswerCard | None = None,
    feedback_form: OverallFeedbackForm | None = None,
    feedback_conflict: MarkingConflict | None = None,
    feedback_error: str = "",
    status: int = 200,
) -> HttpResponse:
    questions = marking_services.questions_for_marking(task)
    queue, numbers = marking_services.marking_queue_with_numbers(task=task)
    answers = {
        answer.question_id: answer
        for answer in marking_services.answers_for_marking(submission.answers.all())
    }
    label = marking_services.label_for(task=task, submission=submission, numbers=numbers)
    found = []
    for number, question in enumerate(questions, start=1):
        answer = answers.get(question.id)
        if card_override is not None and card_override.question.id == question.id:
            card = card_override
        elif answer is not None:
            card = _card_for(
                answer, question=question, number=number, label=label, return_to="student"
            )
        else:
            card = None
        found.append((number, question, card, _card_passage_ids(question, card)))
    passages = _passages(pk for *_, ids in found for pk in ids)
    cards = [
        (number, question, card, _card_views(request, passages, ids, card))
        for number, question, card, ids in found
    ]
    views = {view.passage.id: view for *_, linked in cards for view in linked}
    index = _queue_position(queue, submission.id)
    previous, following = _neighbours(queue, index)
    per_question, task_progress = _progress(task, queue, questions)
    marked = sum(1 for answer in answers.values() if answer.is_marked and not answer.needs_remark)
    context = {
        **_base_context(request, task),
        "submission": submission,
        "label": label,
        "cards": cards,
        "views": views,
        "legend": legend_for(views.values()),
        "position": None if index is None else index + 1,
        "queue": queue,
        "previous": previous,
        "following": following,
        "student_progress": marking_services.Progress(marked, len(questions)),
        "task_progress": task_progress,
        "questions": list(enumerate(questions, start=1)),
        "feedback_form": feedback_form,
        "feedback_conflict": feedback_conflict,
        "feedback_error": feedback_error,
        "feedback_values": _feedback_values(submission, feedback_form),
        "total": sum(answer.mark or 0 for answer in answers.values()),
        "max_total": sum(q.max_marks for q in questions),
    }
    return render(request, "marking/mark_student.html", context, status=status)


def _feedback_values(submission: Submission, form: OverallFeedbackForm | None) -> dict:
    if form is not None:
        return {
            "text": form.data.get("overall_feedback", ""),
            "version": form.data.get("base_feedback_version", ""),
        }
    return {"text": submission.overall_feedback, "version": submission.feedback_version}


@require_GET
@teacher_required
def mark_by_student(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """One student's whole submission, every answer with its marking, and the overall comment."""
    task = get_task_for_teacher(request.user, pk)
    submission = get_submission_for_teacher(request.user, submission_pk)
    if submission.task_id != task.id:
        raise Http404("That work belongs to another task.")
    return _student_page(request, task, submission)


# Saving marks

# The fields a marking card shows an error next to; others go at the top of the form.
CARD_FIELDS = {"credited_points", "level", "mark", "adjustment_reason", "feedback"}


def _return_url(card: AnswerCard) -> str:
    answer = card.answer
    task = answer.submission.task
    if card.return_to == "student":
        base = _student_url(task, answer.submission_id)
    else:
        base = _question_url(task, card.question, answer.submission_id)
    return f"{base}#answer-{answer.pk}"


def _card_answer(answer: Answer) -> tuple[Answer, Question, int, str]:
    """The answer again with what its card shows, its question (scheme prefetched), the
    question's number and how the student is named while marking."""
    answer = marking_services.answers_for_marking(Answer.objects.filter(pk=answer.pk)).get()
    task = answer.submission.task
    questions = marking_services.questions_for_marking(task)
    question = next(q for q in questions if q.id == answer.question_id)
    numbers = marking_services.submission_numbers(task=task)
    label = marking_services.label_for(task=task, submission=answer.submission, numbers=numbers)
    return answer, question, questions.index(question) + 1, label


def _saved_parts(request: HttpRequest, card: AnswerCard) -> dict:
    task = card.answer.submission.task
    submitted = marking_services.submitted_count(task=task)
    question_count = task.questions.count()
    per_question, task_progress = marking_services.marking_progress(
        task=task, submitted_count=submitted, question_count=question_count
    )
    parts = {
        "card": card,
        "task": task,
        "question_progress": per_question.get(
            card.question.id, marking_services.Progress(0, submitted)
        ),
        "task_progress": task_progress,
    }
    if card.return_to == "student":
        marked, total = marking_services.submission_marking(submission=card.answer.submission)
        parts["student_progress"] = marking_services.Progress(marked, question_count)
        parts["student_total"] = total
    return parts


@require_http_methods(["GET", "POST"])
@teacher_required
def answer_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one answer's marking (autosave and the Save button); GET shows its card again."""
    answer, question, number, label = _card_answer(get_answer_for_teacher(request.user, pk))
    return_to = "student" if request.POST.get("return_to") == "student" else "question"
    if request.GET.get("return_to") == "student":
        return_to = "student"
    if request.method == "GET":
        card = _card_for(answer, question=question, number=number, label=label, return_to=return_to)
        if request.htmx:
            return render(request, "marking/_answer_card.html#card", {"card": card})
        return redirect(_return_url(card))

    form = AnswerMarkForm(request.POST, question=question)
    card_kwargs = {"question": question, "number": number, "label": label, "return_to": return_to}
    status = 200
    if not form.is_valid():
        error_field, message = form.first_error()
        if error_field not in CARD_FIELDS:
            error_field = None
        card = _card_for(answer, form=form, error_field=error_field, error=message, **card_kwargs)
        status = 422
    else:
        data = form.cleaned_data
        try:
            saved = marking_services.mark_answer(
                answer=answer,
                marker=request.user,
                base_marking_version=form.base_version,
                credited_point_ids=data["credited_points"],
                level_id=data["level"],
                mark=data["mark"],
                adjustment_reason=data["adjustment_reason"],
                feedback=data["feedback"],
                answer_version=data["answer_version"],
                scheme_version=data["scheme_version"],
            )
        except MarkingConflict as conflict:
            if conflict.kind == "marking":
                conflict.current = marking_services.answers_for_marking(
                    Answer.objects.filter(pk=answer.pk)
                ).get()
            card = _card_for(answer, form=form, conflict=conflict, **card_kwargs)
            status = 409
        except MarkingError as error:
            error_field = error.field if error.field in CARD_FIELDS else None
            card = _card_for(
                answer, form=form, error_field=error_field, error=error.message, **card_kwargs
            )
            status = 422
        else:
            fresh, *_ = _card_answer(saved)
            card = _card_for(fresh, saved=True, **card_kwargs)

    if request.POST.get("beacon"):
        # Sent by a page that is closing: nobody will read a page or a message.
        return HttpResponse(status=204 if status == 200 else status)
    if request.htmx:
        if status == 200:
            return render(request, "marking/_answer_card.html#saved", _saved_parts(request, card))
        if status == 409:
            return render(
                request, "marking/_answer_card.html#conflict_response", {"card": card}, status=409
            )
        return render(request, "marking/_answer_card.html#not_saved", {"card": card}, status=422)

    if status == 200:
        messages.success(request, f"Saved the marking of {label}'s answer to question {number}.")
        return redirect(_return_url(card))
    task = answer.submission.task
    if return_to == "student":
        return _student_page(request, task, answer.submission, card_override=card, status=status)
    return _question_page(
        request,
        task,
        question.pk,
        answer.submission_id,
        card_override=card,
        status=status,
    )


@require_POST
@teacher_required
def submission_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the overall comment on a submission (autosave and the Save button)."""
    submission = get_submission_for_teacher(request.user, pk)
    task = submission.task
    form = OverallFeedbackForm(request.POST)
    conflict = None
    error = ""
    status = 200
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        status = 422
    else:
        try:
            submission = marking_services.save_overall_feedback(
                submission=submission,
                marker=request.user,
                base_feedback_version=form.base_version,
                text=form.cleaned_data["overall_feedback"],
            )
        except MarkingConflict as refused:
            conflict = refused
            status = 409
        except MarkingError as refused:
            error = refused.message
            status = 422
    if request.POST.get("beacon"):
        return HttpResponse(status=204 if status == 200 else status)
    if request.htmx:
        context = {
            "submission": submission,
            "feedback_conflict": conflict,
            "feedback_error": error,
            "feedback_values": _feedback_values(submission, form if status != 200 else None),
        }
        name = {200: "feedback_saved", 409: "feedback_conflict_response"}.get(
            status, "feedback_not_saved"
        )
        return render(request, f"marking/mark_student.html#{name}", context, status=status)
    if status == 200:
        messages.success(request, "Saved the overall comment.")
        return redirect(_student_url(task, submission.pk) + "#overall-feedback")
    return _student_page(
        request,
        task,
        get_submission_for_teacher(request.user, pk),
        feedback_form=form,
        feedback_conflict=conflict,
        feedback_error=error,
        status=status,
    )


# Return, release, names


@require_http_methods(["GET", "POST"])
@teacher_required
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return submitted work to the student for another attempt, with a note."""
    submission = get_submission_for_teacher(request.user, pk)
    task = submission.task
    form = ReturnForm(request.POST if request.method == "POST" else None)
    _, numbers = marking_services.marking_queue_with_numbers(task=task)
    label = marking_services.label_for(task=task, submission=submission, numbers=numbers)
    if request.method == "POST" and form.is_valid():
        try:
            marking_services.return_for_another_attempt(
                submission=submission, teacher=request.user, note=form.cleaned_data["note"]
            )
        except MarkingError as error:
            form.add_error("note" if error.field == "note" else None, error.message)
        else:
            messages.success(
                request,
                f"Returned {label}'s work for another attempt. They can edit their answers "
                "again; the marks given so far are kept in the history.",
            )
            return redirect("task_submissions", pk=task.pk)
    return render(
        request,
        "marking/submission_return.html",
        {"task": task, "submission": submission, "label": label, "form": form},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@teacher_required
def task_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release marks to students: all submitted work, or only the fully marked."""
    task = get_task_for_teacher(request.user, pk)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        only_marked = form.cleaned_data["which"] == "marked"
        released = marking_services.release_marks(task=task, only_fully_marked=only_marked)
        if released:
            messages.success(
                request,
                f"Released marks to {released} student{'s' if released != 1 else ''}. "
                "They now see their marks and feedback.",
            )
        else:
            messages.warning(request, "Nothing to release: no work matched.")
        return redirect("task_submissions", pk=task.pk)
    return render(
        request,
        "marking/task_release.html",
        {
            "task": task,
            "form": form,
            "summary": marking_services.release_summary(task=task),
        },
        status=422 if form.is_bound else 200,
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@teacher_required
def task_toggle_anonymous(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide students' names while marking ("Student 7"), or reveal them."""
    task = get_task_for_teacher(request.user, pk)
    anonymous = request.POST.get("anonymous") == "1"
    marking_services.set_anonymous_marking(task=task, anonymous=anonymous)
    messages.success(
        request,
        "Names are hidden while marking: students are numbered."
        if anonymous
        else "Names are shown again.",
    )
    return redirect(_safe_next(request, reverse("task_submissions", args=[task.pk])))


# Statistics and the mark book


@require_GET
@teacher_required
def task_statistics(request: HttpRequest, pk: int) -> HttpResponse:
    """Per question: mean, distribution of marks, and the points most often missed."""
    task = get_task_for_teacher(request.user, pk)
    stats = marking_services.task_statistics(task=task)
    return render(
        request,
        "marking/task_statistics.html",
        {"task": task, "stats": stats, "reteach": marking_services.reteach_list(stats)},
    )


@require_GET
@teacher_required
def class_markbook(request: HttpRequest, pk: int) -> HttpResponse:
    """Students × tasks of one class: total, percentage and state, a page of students at a
    time."""
    school_class = get_class_for_teacher(request.user, pk)
    book = marking_services.markbook(school_class=school_class, page=_page_number(request))
    return render(
        request, "marking/class_markbook.html", {"school_class": school_class, "book": book}
    )


class _Echo:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


@require_GET
@teacher_required
def class_markbook_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole mark book as CSV, streamed as it is read: UTF-8 with a byte-order mark, so
    spreadsheets open it cleanly."""
    school_class = get_class_for_teacher(request.user, pk)
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in marking_services.markbook_table_stream(school_class=school_class):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = slugify(school_class.name) or "class"
    today = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="markbook-{name}-{today}.csv"'
    return response


# The comment bank


def _bank_response(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"comments": marking_services.comments_for(teacher=request.user), "bank_error": error}
    return render(request, "marking/comment_bank.html#bank_list", context, status=status)


@require_http_methods(["GET", "POST"])
@teacher_required
def comment_bank(request: HttpRequest) -> HttpResponse:
    """The teacher's saved comments: add, delete, and count a use when one is inserted."""
    form = CommentForm()
    if request.method == "POST":
        action = request.POST.get("action", "add")
        if action in ("delete", "use"):
            raw = request.POST.get("id", "")
            if not raw.isdigit():
                raise Http404("No such comment.")
            entry = get_comment_for_teacher(request.user, int(raw))
            if action == "use":
                marking_services.use_comment(entry=entry)
                if request.htmx:
                    return HttpResponse(status=204)
                return redirect(_safe_next(request, reverse("comment_bank")))
            marking_services.delete_comment(entry=entry)
            if request.htmx:
                return _bank_response(request)
            messages.success(request, "Comment deleted.")
            return redirect(_safe_next(request, reverse("comment_bank")))
        # From the marking page the feedback box is sent as it is named there.
        data = request.POST.copy()
        if not data.get("text") and data.get("feedback"):
            data["text"] = data["feedback"]
        form = CommentForm(data)
        if form.is_valid():
            try:
                marking_services.add_comment(teacher=request.user, text=form.cleaned_data["text"])
            except MarkingError as error:
                form.add_error("text", error.message)
        if not form.errors:
            if request.htmx:
                return _bank_response(request)
            messages.success(request, "Comment saved to your comment bank.")
            return redirect(_safe_next(request, reverse("comment_bank")))
        if request.htmx:
            return _bank_response(request, error=form.errors["text"][0], status=422)
    context = {"form": form, "comments": marking_services.comments_for(teacher=request.user)}
    return render(request, "marking/comment_bank.html", context, status=422 if form.errors else 200)
