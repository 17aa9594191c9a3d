"""Evidence from the sources: students quote a source into their answers, teachers name a
question's key evidence, see which passages the class quoted, and compare what the sources
claim about a topic.

Quoting, with JavaScript (static/js/evidence.js): the student selects words in a passage and
chooses "Quote as evidence"; the page fills the question's small quote form and htmx posts
it to evidence_add, which links the words and answers with the question's evidence list
carrying the quotation; the script inserts it at the cursor and the normal autosave saves
it. Without JavaScript the same "Quote as evidence" button posts the whole answers form:
every answer is saved first (nothing typed is lost), then the quotation is linked and
appended to the saved answer.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import (
    get_evidence_link_for_student,
    get_key_evidence_for_teacher,
    get_question_for_student,
    get_question_for_teacher,
    get_submission_for_student,
    get_task_for_student,
    get_task_for_teacher,
    get_topic_for_teacher,
    student_required_or_401,
    teacher_required,
)
from ..forms.evidence import EvidenceForm, KeyEvidenceForm, QuestionTopicForm, TopicForm
from ..models import Annotation, Answer, Passage, Question, Task, Topic
from ..services import evidence as evidence_services
from ..services.answering import AnswerRefused, editing_refusal, get_or_start_submission
from ..services.evidence import (
    EvidenceRefused,
    HeatSegment,
    PassageHeat,
    QuoteConflict,
    claims_by_topic,
    heat_segments,
    quotation_heatmap,
    quotation_text,
    student_evidence,
)
from ..services.rendering import Span, passage_views
from ..services.tasks import passages_for_task

# The student's task page ---------------------------------------------------------------


def add_evidence_parts(items, *, evidence: dict, sources: list, notes) -> None:
    """Give each question of the student's task page its evidence parts (called by
    views.answering): the quotations (evidence: services.evidence.student_evidence), a
    "Quote as evidence" form over the task's passages (from sources, no query), and for a
    comparison question the claims of the task's lessons about its topic (one query for all
    comparison questions; notes: the notes the student may see)."""
    passages = [view.passage for _, views in sources for view in views]
    lessons = [lesson for lesson, _ in sources]
    topics = {item.question.topic_id for item in items if item.question.topic_id}
    claims = claims_by_topic(topics=topics, lessons=lessons, annotations=notes) if topics else {}
    for item in items:
        item.evidence = evidence.get(item.pk, [])
        if item.quote_form is None:
            item.quote_form = EvidenceForm(question_pk=item.pk, passages=passages)
        if item.question.topic_id:
            item.comparison = claims.get(item.question.topic_id, [])


@dataclass
class QuestionEvidence:
    """One question's evidence block on its own (what the htmx replies render)."""

    pk: int
    number: int
    evidence: list
    quote_form: EvidenceForm
    new_quotation: str = ""
    message: str = ""


def _number(task: Task, question: Question) -> int:
    ids = list(task.questions.order_by("order", "id").values_list("id", flat=True))
    return ids.index(question.pk) + 1


def _block_response(
    request: HttpRequest,
    task: Task,
    question: Question,
    *,
    form: EvidenceForm | None = None,
    new_quotation: str = "",
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    submission = get_submission_for_student(request.user, task)
    if form is None:
        form = EvidenceForm(question_pk=question.pk, passages=passages_for_task(task))
    block = QuestionEvidence(
        pk=question.pk,
        number=_number(task, question),
        evidence=student_evidence(submission=submission).get(question.pk, []),
        quote_form=form,
        new_quotation=new_quotation,
        message=message,
    )
    editable = editing_refusal(task, submission, timezone.now()) is None
    context = {"task": task, "item": block, "editable": editable}
    return render(request, "evidence/_student.html#block", context, status=status)


def _submission_to_quote_into(request: HttpRequest, task: Task, form: EvidenceForm):
    """The student's submission, started now if need be. Whether the work may change
    (AnswerRefused) and whether the words are there (EvidenceRefused) are checked before
    starting anything: opening the page and trying a quotation does not start the task."""
    submission = get_submission_for_student(request.user, task)
    if submission is None:
        refusal = editing_refusal(task, None, timezone.now())
        if refusal is not None:
            raise refusal
        evidence_services.find_quotation(
            task=task, passage=form.chosen_passage, **form.span_arguments()
        )
        submission = get_or_start_submission(task=task, student=request.user)
    return submission


def _quote_without_script(
    request: HttpRequest, task: Task, question: Question, form: EvidenceForm
) -> HttpResponse:
    """The plain form: save every posted answer, then link and append the quotation."""
    from .answering import save_posted_answers, task_page_again

    problems = save_posted_answers(request, task)
    if problems:
        form.is_valid()  # so the page shows the words again, with any error of their own
        problems.setdefault(question.pk, {})["quote_form"] = form
        states = {problem.get("state") for problem in problems.values()}
        return task_page_again(
            request, task, problems, 409 if states & {"conflict", "refused"} else 422
        )
    status = 422
    if form.is_valid():
        try:
            submission = _submission_to_quote_into(request, task, form)
            answer = Answer.objects.filter(submission=submission, question=question).first()
            evidence_services.quote_into_answer(
                submission=submission,
                question=question,
                passage=form.chosen_passage,
                base_version=answer.version if answer else 0,
                **form.span_arguments(),
            )
        except EvidenceRefused as refused:
            form.add_refusal(refused)
        except (AnswerRefused, QuoteConflict) as refused:
            form.add_error(None, f"Not quoted. {getattr(refused, 'message', refused)}")
            status = 409
        else:
            messages.success(
                request,
                f"Question {_number(task, question)}: the quotation was added to the end of "
                "your answer and to its evidence.",
            )
            return redirect(reverse("student_task", args=[task.pk]) + f"#question-{question.pk}")
    return task_page_again(request, task, {question.pk: {"quote_form": form}}, status)


@student_required_or_401
@require_POST
def evidence_add(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """Quote words of one of the task's sources as evidence for an answer."""
    from .answering import _wrong_account, _wrong_account_response

    task = get_task_for_student(request.user, pk)
    question = get_question_for_student(request.user, task, question_pk)
    if _wrong_account(request):
        return _wrong_account_response(request, task)
    form = EvidenceForm(request.POST, question_pk=question.pk, passages=passages_for_task(task))
    if not request.htmx:
        return _quote_without_script(request, task, question, form)
    if not form.is_valid():
        return _block_response(request, task, question, form=form, status=422)
    try:
        link = evidence_services.add_evidence(
            submission=_submission_to_quote_into(request, task, form),
            question=question,
            passage=form.chosen_passage,
            **form.span_arguments(),
        )
    except EvidenceRefused as refused:
        form.add_refusal(refused)
        return _block_response(request, task, question, form=form, status=422)
    except AnswerRefused as refused:
        return _block_response(
            request, task, question, message=f"Not quoted. {refused.message}", status=409
        )
    return _block_response(
        request,
        task,
        question,
        new_quotation=quotation_text(quote=link.quote, passage=link.passage),
        message="Quoted: the quotation is in your answer at the cursor.",
    )


@student_required_or_401
@require_POST
def evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a quotation off an answer's evidence (its words stay in the answer)."""
    from .answering import (
        _wrong_account,
        _wrong_account_response,
        save_posted_answers,
        task_page_again,
    )

    link = get_evidence_link_for_student(request.user, pk)
    task, question = link.answer.submission.task, link.answer.question
    if _wrong_account(request):
        return _wrong_account_response(request, task)
    if request.htmx:
        try:
            evidence_services.remove_evidence(link=link)
        except AnswerRefused as refused:
            message = f"Not removed. {refused.message}"
            return _block_response(request, task, question, message=message, status=409)
        message = "Removed from the evidence. Its words are still in your answer."
        return _block_response(request, task, question, message=message)
    problems = save_posted_answers(request, task)
    if problems:
        states = {problem.get("state") for problem in problems.values()}
        return task_page_again(
            request, task, problems, 409 if states & {"conflict", "refused"} else 422
        )
    try:
        evidence_services.remove_evidence(link=link)
    except AnswerRefused as refused:
        messages.error(request, f"Not removed. {refused.message}")
    else:
        messages.success(
            request,
            f"Question {_number(task, question)}: the quotation was removed from the evidence; "
            "its words are still in your answer.",
        )
    return redirect(reverse("student_task", args=[task.pk]) + f"#question-{question.pk}")


# Key evidence and the comparison topic in the task editor ------------------------------


def _selectable_views(question: Question, passages: list[Passage], keys: list) -> list:
    """The passages a teacher selects key evidence in: the question's linked passages, or
    all of the task's when none is linked; the key evidence already named is highlighted."""
    linked = {p.pk for p in question.linked_passages.all()}
    shown = [p for p in passages if p.pk in linked] or passages
    spans: dict[int, list[Span]] = {}
    for key in keys:
        if not key.detached:
            spans.setdefault(key.passage_id, []).append(
                Span(start=key.start, end=key.end, css="key-evidence", label="Key evidence")
            )
    return passage_views(shown, extra_spans=spans, with_notes=False)


def key_evidence_context(
    question: Question,
    *,
    form: KeyEvidenceForm | None = None,
    topic_form: QuestionTopicForm | None = None,
    message: str = "",
) -> dict:
    """What the "Key evidence and comparison" section of a question's editor shows (also
    used by views.tasks for the question editor)."""
    passages = list(passages_for_task(question.task))
    keys = list(question.key_evidence.select_related("passage__lesson"))
    return {
        "question": question,
        "key_evidence": keys,
        "key_form": form or KeyEvidenceForm(question_pk=question.pk, passages=passages),
        "topic_form": topic_form
        or QuestionTopicForm(question_pk=question.pk, initial={"topic": question.topic_id}),
        "select_views": _selectable_views(question, passages, keys),
        "evidence_message": message,
    }


def _section_response(
    request: HttpRequest, question: Question, *, status: int = 200, **extra
) -> HttpResponse:
    context = {"task": question.task, **key_evidence_context(question, **extra)}
    template = "evidence/key_evidence.html"
    if request.htmx:
        template += "#section"
    return render(request, template, context, status=status)


def _editor_url(question: Question) -> str:
    return reverse("question_edit", args=[question.pk]) + f"#question-{question.pk}-evidence"


@require_http_methods(["GET", "POST"])
@teacher_required
def key_evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A question's key evidence: the list, and adding a span the mark scheme credits."""
    question = get_question_for_teacher(request.user, pk)
    if request.method == "GET":
        return _section_response(request, question)
    form = KeyEvidenceForm(
        request.POST, question_pk=question.pk, passages=passages_for_task(question.task)
    )
    if form.is_valid():
        try:
            key = evidence_services.add_key_evidence(
                question=question,
                passage=form.chosen_passage,
                description=form.cleaned_data["description"],
                **form.span_arguments(),
            )
        except EvidenceRefused as refused:
            form.add_refusal(refused)
        else:
            message = f"Key evidence added: “{key.quote[:60]}”."
            if not request.htmx:
                messages.success(request, message)
                return redirect(_editor_url(question))
            return _section_response(request, question, message=message)
    return _section_response(request, question, form=form, status=422)


@require_POST
@teacher_required
def key_evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a span from a question's key evidence."""
    key = get_key_evidence_for_teacher(request.user, pk)
    question = key.question
    evidence_services.delete_key_evidence(key_evidence=key)
    message = "Key evidence removed."
    if not request.htmx:
        messages.success(request, message)
        return redirect(_editor_url(question))
    return _section_response(request, question, message=message)


@require_POST
@teacher_required
def question_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a question a comparison question about a topic, or an ordinary one again."""
    question = get_question_for_teacher(request.user, pk)
    form = QuestionTopicForm(request.POST, question_pk=question.pk)
    if not form.is_valid():
        return _section_response(request, question, topic_form=form, status=422)
    topic = form.cleaned_data["topic"]
    evidence_services.set_question_topic(question=question, topic=topic)
    message = (
        f"Students now see what the sources claim about “{topic.name}” beside this question."
        if topic
        else "This is no longer a comparison question."
    )
    if not request.htmx:
        messages.success(request, message)
        return redirect(_editor_url(question))
    return _section_response(request, question, message=message)


# The class's quotation heat map ---------------------------------------------------------


@dataclass
class PassageHeatRow:
    passage: Passage
    heat: PassageHeat
    segments: list[HeatSegment]


@require_GET
@teacher_required
def task_evidence_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Which passages of the task's sources the class quoted, most to least, shaded."""
    task = get_task_for_teacher(request.user, pk)
    questions = list(task.questions.order_by("order", "id"))
    chosen = None
    raw = request.GET.get("question", "")
    if raw:
        chosen = next((q for q in questions if str(q.pk) == raw), None)
        if chosen is None:
            raise Http404("No such question in this task.")
    heat = quotation_heatmap(task=task, question=chosen)
    rows = [
        PassageHeatRow(
            passage=passage,
            heat=heat.for_passage(passage.pk),
            segments=heat_segments(passage.text, heat.for_passage(passage.pk), heat.most),
        )
        for passage in passages_for_task(task)
    ]
    ranking = sorted(rows, key=lambda row: (-row.heat.students, -row.heat.quotations))
    by_lesson: dict[int, tuple] = {}
    for row in rows:
        by_lesson.setdefault(row.passage.lesson_id, (row.passage.lesson, []))[1].append(row)
    return render(
        request,
        "evidence/task_evidence_map.html",
        {
            "task": task,
            "questions": list(enumerate(questions, start=1)),
            "chosen": chosen,
            "heat": heat,
            "quoted": [row for row in ranking if row.heat.students],
            "never": [row for row in ranking if not row.heat.students],
            "lessons": list(by_lesson.values()),
            "bands": evidence_services.HEAT_BANDS,
        },
    )


# Topics ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@teacher_required
def topic_list(request: HttpRequest) -> HttpResponse:
    """The topics sources make claims about, with how many claims and lessons each has."""
    form = TopicForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = evidence_services.get_or_create_topic(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"]
            )
        except EvidenceRefused as refused:
            form.add_error("name", refused.message)
        else:
            messages.success(
                request,
                f"Topic “{topic.name}” added. Give it claims from the lessons: choose it when "
                "you add a note of the kind “Claim or statistic”.",
            )
            return redirect("topic_detail", slug=topic.slug)
    claims = Q(annotations__kind=Annotation.Kind.CLAIM, annotations__detached=False)
    topics = Topic.objects.annotate(
        claim_count=Count("annotations", filter=claims, distinct=True),
        lesson_count=Count("annotations__passage__lesson", filter=claims, distinct=True),
    ).order_by("name")
    return render(
        request,
        "evidence/topic_list.html",
        {"topics": topics, "form": form},
        status=422 if form.is_bound else 200,
    )


@require_GET
@teacher_required
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """What each lesson claims about a topic, side by side, with its source's attribution."""
    topic = get_topic_for_teacher(request.user, slug)
    columns = evidence_services.topic_claims(topic=topic)
    questions = (
        Question.objects.filter(topic=topic, task__in=Task.objects.for_teacher(request.user))
        .select_related("task")
        .order_by("task__title", "task_id", "order", "id")
    )
    return render(
        request,
        "evidence/topic_detail.html",
        {"topic": topic, "columns": columns, "questions": list(questions)},
    )
