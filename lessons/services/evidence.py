"""Evidence from the sources: students' quotations in their answers, the key evidence a mark
scheme credits, the class's quotation heat map, and what sources claim about a topic.

Plain functions with keyword-only arguments, called by the views, the tests and management
commands alike. Quotations and key evidence are anchored spans (models.AnchoredSpan), made
with services.anchoring exactly like a teacher's note, so they follow their words when a
passage is edited (update_passage_text re-anchors them) or are flagged as detached.

What counts as evidence. A student's evidence link counts only while its quoted words are
still in the answer's text (compared loosely: spacing, case, curly or straight quotes and
dashes do not matter). A link whose words the student later deleted is kept and shown to the
student as "no longer in your answer", with a Remove button, but it is never shown to a
marker, counted in the heat map or matched to key evidence: a marker never sees evidence the
answer does not contain. Putting the words back makes it count again.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from ..models import (
    Annotation,
    Answer,
    EvidenceLink,
    KeyEvidence,
    Lesson,
    Passage,
    Question,
    Submission,
    Task,
    Topic,
)
from .anchoring import AmbiguousQuote, QuoteNotFound, locate_quote, make_anchor
from .answering import editing_refusal, save_answer
from .rendering import Span

# A quotation is a few words or sentences, not a passage copied whole.
MAX_QUOTE_CHARS = 1_500
# More quotations than this in one answer is not evidence any more.
MAX_LINKS_PER_ANSWER = 60
MAX_TOPIC_NAME_CHARS = 120
MAX_DESCRIPTION_CHARS = 300


class EvidenceRefused(ValueError):
    """A quotation or key evidence the rules refuse; `field` names the form field it is
    about ("passage", "words", "occurrence", "description", "name"), or None."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# Comparing quotations with answers -------------------------------------------------------

_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")


def comparable(text: str) -> str:
    """Text as quotations are compared: plain quotes and dashes, single spaces, no case."""
    text = unicodedata.normalize("NFC", text).translate(_PLAIN)
    return _SPACES.sub(" ", text).strip().casefold()


def quote_in_text(quote: str, text: str) -> bool:
    """Whether the quoted words are (still) in the text."""
    wanted = comparable(quote)
    return bool(wanted) and wanted in comparable(text)


def source_label(passage: Passage) -> str:
    """How a quotation names its source: "Lesson title, passage heading"."""
    label = passage.lesson.title
    if passage.heading:
        label += f", {passage.heading}"
    return label


def quotation_text(*, quote: str, passage: Passage) -> str:
    """What goes into the answer: “quoted words” (Source title, heading)."""
    words = " ".join(quote.split())
    return f"\u201c{words}\u201d ({source_label(passage)})"


# Finding the span --------------------------------------------------------------------------


def _span(
    text: str,
    *,
    start: int | None,
    end: int | None,
    quote: str | None,
    occurrence: int | None,
) -> tuple[int, int]:
    """The span meant: the selection's offsets, or the typed words found in the text."""
    if quote is not None and quote.strip():
        try:
            found = locate_quote(text, quote, start=start, end=end, occurrence=occurrence)
        except AmbiguousQuote as error:
            raise EvidenceRefused(str(error), field="occurrence") from None
        except QuoteNotFound as error:
            raise EvidenceRefused(str(error), field="words") from None
    elif start is not None and end is not None and 0 <= start < end <= len(text):
        found = (start, end)
    else:
        raise EvidenceRefused(
            "Select the words to quote in the source, or type them exactly.", field="words"
        )
    begin, finish = found
    # Spaces either side of a selection are not part of the quotation.
    while begin < finish and text[begin].isspace():
        begin += 1
    while finish > begin and text[finish - 1].isspace():
        finish -= 1
    if begin >= finish:
        raise EvidenceRefused("Select some words, not just spaces.", field="words")
    if finish - begin > MAX_QUOTE_CHARS:
        raise EvidenceRefused(
            f"That is {finish - begin:,} characters: quote at most {MAX_QUOTE_CHARS:,}, "
            "the words that prove your point.",
            field="words",
        )
    return begin, finish


def _check_passage_of_task(passage: Passage, task: Task) -> None:
    if not task.lessons.filter(pk=passage.lesson_id).exists():
        raise EvidenceRefused("Quote from one of this task's sources.", field="passage")


def find_quotation(
    *,
    task: Task,
    passage: Passage,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    occurrence: int | None = None,
) -> tuple[int, int]:
    """Where the quoted words are in the passage, or EvidenceRefused saying what is wrong
    (a check before starting a student's work: a refused quotation starts nothing)."""
    _check_passage_of_task(passage, task)
    text = Passage.objects.values_list("text", flat=True).get(pk=passage.pk)
    return _span(text, start=start, end=end, quote=quote, occurrence=occurrence)


# Students' evidence ------------------------------------------------------------------------


def _locked_submission(submission: Submission) -> Submission:
    # The same row lock as an autosave: quoting and saving one student's work never interleave.
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("task")
        .get(pk=submission.pk)
    )


def add_evidence(
    *,
    passage: Passage,
    answer: Answer | None = None,
    submission: Submission | None = None,
    question: Question | None = None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    occurrence: int | None = None,
    now: datetime | None = None,
) -> EvidenceLink:
    """Link a quotation from a passage to a student's answer (made, empty, if need be).

    Give the answer, or the submission and the question. The span is passage.text[start:end]
    (a selection), or the quote found in the passage (its occurrence-th appearance when it
    is there more than once). The passage must be one of the task's lessons' and the work
    editable (AnswerRefused otherwise, as for a save); EvidenceRefused says what is wrong
    with the quotation. Quoting the same words again returns the link already made.
    """
    now = now or timezone.now()
    if answer is not None:
        submission, question = answer.submission, answer.question
    if submission is None or question is None:
        raise TypeError("add_evidence needs an answer, or a submission and a question.")
    if question.task_id != submission.task_id:
        raise ValueError("The question is not one of the submission's task.")
    with transaction.atomic():
        locked = _locked_submission(submission)
        refusal = editing_refusal(locked.task, locked, now)
        if refusal is not None:
            raise refusal
        _check_passage_of_task(passage, locked.task)
        text = Passage.objects.values_list("text", flat=True).get(pk=passage.pk)
        begin, finish = _span(text, start=start, end=end, quote=quote, occurrence=occurrence)
        # An answer row with version 0 and no text: the page's next save (based on 0) fits.
        answer, _ = Answer.objects.get_or_create(submission=locked, question=question)
        existing = EvidenceLink.objects.filter(
            answer=answer, passage=passage, start=begin, end=finish, detached=False
        ).first()
        if existing is not None:
            return existing
        if answer.evidence_links.count() >= MAX_LINKS_PER_ANSWER:
            raise EvidenceRefused(
                f"This answer already has {MAX_LINKS_PER_ANSWER} quotations: remove some "
                "before adding more.",
                field="words",
            )
        anchor = make_anchor(text, begin, finish)
        return EvidenceLink.objects.create(answer=answer, passage=passage, **anchor.as_fields())


@dataclass(frozen=True)
class QuoteResult:
    """What quote_into_answer did: the link, and the answer's text and version now."""

    link: EvidenceLink
    text: str
    version: int


class QuoteConflict(Exception):
    """The answer changed since the page was loaded: nothing was added."""


def quote_into_answer(
    *,
    submission: Submission,
    question: Question,
    passage: Passage,
    base_version: int,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    occurrence: int | None = None,
    now: datetime | None = None,
) -> QuoteResult:
    """Add a quotation as evidence AND append it to the saved answer text, all or nothing.

    The page without JavaScript does this (with it, the page inserts the quotation at the
    cursor and autosaves). The append is a save like any other, based on base_version: if
    the answer moved on since, QuoteConflict and nothing changes.
    """
    with transaction.atomic():
        link = add_evidence(
            submission=submission,
            question=question,
            passage=passage,
            start=start,
            end=end,
            quote=quote,
            occurrence=occurrence,
            now=now,
        )
        current = Answer.objects.values_list("text", flat=True).get(pk=link.answer_id)
        addition = quotation_text(quote=link.quote, passage=passage)
        body = current.rstrip(" ")
        if not body.strip():
            text = addition
        elif body.endswith("\n"):
            text = body + addition
        else:
            text = f"{body} {addition}"
        result = save_answer(
            submission=submission,
            question=question,
            text=text,
            base_version=base_version,
            now=now,
        )
        if result.is_conflict:
            # Raising inside the atomic block takes the new link back out too.
            raise QuoteConflict("This answer was changed in another tab or on another device.")
    return QuoteResult(link=link, text=result.text, version=result.version)


def remove_evidence(*, link: EvidenceLink, now: datetime | None = None) -> None:
    """Take a quotation off the answer's evidence (its words stay in the answer's text).

    Refused (AnswerRefused) once the work can no longer change, as a save would be.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_submission(link.answer.submission)
        refusal = editing_refusal(locked.task, locked, now)
        if refusal is not None:
            raise refusal
        EvidenceLink.objects.filter(pk=link.pk).delete()


def evidence_used(*, answer: Answer) -> list[EvidenceLink]:
    """The answer's quotations whose words are in its text: what a marker sees.

    Uses answer.evidence_links.all(), so a prefetch (marking pages) costs no query.
    """
    return [link for link in answer.evidence_links.all() if quote_in_text(link.quote, answer.text)]


@dataclass(frozen=True)
class KeyEvidenceUse:
    key: KeyEvidence
    used: bool


def _overlaps(link: EvidenceLink, key: KeyEvidence) -> bool:
    return (
        link.passage_id == key.passage_id
        and not link.detached
        and not key.detached
        and link.start < key.end
        and key.start < link.end
    )


def key_evidence_used(
    *,
    answer: Answer,
    links: Sequence[EvidenceLink] | None = None,
    question: Question | None = None,
) -> list[KeyEvidenceUse]:
    """Each key evidence span of the answer's question, and whether the answer used it: an
    evidence link of the answer (one still in its text) overlaps it in the same passage.

    question: the answer's question with its key evidence prefetched, if at hand."""
    links = evidence_used(answer=answer) if links is None else links
    question = question or answer.question
    return [
        KeyEvidenceUse(key=key, used=any(_overlaps(link, key) for link in links))
        for key in question.key_evidence.all()
    ]


@dataclass
class EvidenceItem:
    """One of a student's quotations as their task page lists it."""

    link: EvidenceLink
    in_answer: bool
    quotation: str


def student_evidence(*, submission: Submission | None) -> dict[int, list[EvidenceItem]]:
    """Question id → the student's quotations for it, in one query."""
    if submission is None:
        return {}
    links = (
        EvidenceLink.objects.filter(answer__submission=submission)
        .select_related("passage__lesson", "answer")
        .order_by("created_at", "id")
    )
    found: dict[int, list[EvidenceItem]] = defaultdict(list)
    for link in links:
        found[link.answer.question_id].append(
            EvidenceItem(
                link=link,
                in_answer=quote_in_text(link.quote, link.answer.text),
                quotation=quotation_text(quote=link.quote, passage=link.passage),
            )
        )
    return dict(found)


def student_spans(items: Iterable[EvidenceItem]) -> dict[int, list[Span]]:
    """Passage id → highlights of the student's own quotations, for their task page."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for item in items:
        link = item.link
        if link.detached:
            continue
        spans[link.passage_id].append(
            Span(start=link.start, end=link.end, css="evidence", label="Your quotation")
        )
    return dict(spans)


# Evidence in the marking view --------------------------------------------------------------


@dataclass
class MarkingEvidence:
    """What the marker sees of one answer's evidence.

    used: the quotations in the answer's text; key: the question's key evidence with a tick;
    spans: passage id → highlights (the student's quotations, the key evidence);
    passage_ids: the passages those are in, to show beside the answer.
    """

    used: list[EvidenceLink]
    key: list[KeyEvidenceUse]
    spans: dict[int, list[Span]] = field(default_factory=dict)
    passage_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.used)

    @property
    def key_used(self) -> int:
        return sum(1 for use in self.key if use.used)


def marking_evidence(*, answer: Answer, question: Question | None = None) -> MarkingEvidence:
    """The answer's evidence for the marking view, from prefetched links and key evidence
    (services.marking.answers_for_marking and questions_for_marking prefetch both)."""
    used = evidence_used(answer=answer)
    key = key_evidence_used(answer=answer, links=used, question=question)
    spans: dict[int, list[Span]] = defaultdict(list)
    passage_ids: list[int] = []
    for link in used:
        if link.passage_id not in passage_ids:
            passage_ids.append(link.passage_id)
        if not link.detached:
            spans[link.passage_id].append(
                Span(
                    start=link.start,
                    end=link.end,
                    css="evidence",
                    label="Quoted by the student",
                    ident=f"evidence-{link.pk}",
                )
            )
    for use in key:
        if use.key.detached:
            continue
        if use.key.passage_id not in passage_ids:
            passage_ids.append(use.key.passage_id)
        description = use.key.description or "key evidence"
        spans[use.key.passage_id].append(
            Span(
                start=use.key.start,
                end=use.key.end,
                css="key-evidence",
                label=f"Key evidence: {description}",
                ident=f"key-evidence-{use.key.pk}",
            )
        )
    return MarkingEvidence(used=used, key=key, spans=dict(spans), passage_ids=passage_ids)


# Key evidence in a mark scheme -------------------------------------------------------------


def add_key_evidence(
    *,
    question: Question,
    passage: Passage,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    occurrence: int | None = None,
    description: str = "",
) -> KeyEvidence:
    """Name a span of one of the task's sources as evidence the mark scheme credits."""
    description = " ".join(description.split())
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise EvidenceRefused(
            f"Keep the description to {MAX_DESCRIPTION_CHARS} characters.", field="description"
        )
    if question.task_id is None:
        raise EvidenceRefused("Key evidence belongs to a question of a task.")
    with transaction.atomic():
        _check_passage_of_task(passage, question.task)
        text = Passage.objects.values_list("text", flat=True).get(pk=passage.pk)
        begin, finish = _span(text, start=start, end=end, quote=quote, occurrence=occurrence)
        if KeyEvidence.objects.filter(
            question=question, passage=passage, start=begin, end=finish, detached=False
        ).exists():
            raise EvidenceRefused("Those words are already key evidence for this question.")
        anchor = make_anchor(text, begin, finish)
        return KeyEvidence.objects.create(
            question=question, passage=passage, description=description, **anchor.as_fields()
        )


def delete_key_evidence(*, key_evidence: KeyEvidence) -> None:
    key_evidence.delete()


# The class's quotation heat map ------------------------------------------------------------


@dataclass
class PassageHeat:
    """How much one passage was quoted: by how many students, how many quotations, and
    per range of its text how many students quoted it: (start, end, students)."""

    passage_id: int
    students: int = 0
    quotations: int = 0
    ranges: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass
class Heatmap:
    passages: dict[int, PassageHeat]
    students: int  # students with at least one quotation
    quotations: int
    most: int  # the most students on any one range

    def for_passage(self, passage_id: int) -> PassageHeat:
        return self.passages.get(passage_id) or PassageHeat(passage_id=passage_id)


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _coverage(per_student: Iterable[list[tuple[int, int]]]) -> list[tuple[int, int, int]]:
    """(start, end, how many students) for every stretch some student quoted."""
    changes: dict[int, int] = defaultdict(int)
    for intervals in per_student:
        for start, end in _merge(intervals):
            changes[start] += 1
            changes[end] -= 1
    ranges: list[tuple[int, int, int]] = []
    count = 0
    points = sorted(changes)
    for here, following in zip(points, points[1:], strict=False):
        count += changes[here]
        if count <= 0:
            continue
        if ranges and ranges[-1][1] == here and ranges[-1][2] == count:
            ranges[-1] = (ranges[-1][0], following, count)
        else:
            ranges.append((here, following, count))
    return ranges


def quotation_heatmap(*, task: Task, question: Question | None = None) -> Heatmap:
    """Which passages of the task's sources the class quoted, and which words, counting
    students (one student quoting the same words twice counts once). Every student's
    answers so far count, submitted or not, but only quotations still in the answer text.

    Two queries, however many students or quotations.
    """
    links = EvidenceLink.objects.filter(answer__submission__task=task, passage__lesson__tasks=task)
    if question is not None:
        links = links.filter(answer__question=question)
    rows = list(
        links.order_by().values_list(
            "answer_id",
            "answer__submission__student_id",
            "passage_id",
            "start",
            "end",
            "quote",
            "detached",
        )
    )
    texts = dict(Answer.objects.filter(id__in=links.values("answer_id")).values_list("id", "text"))
    by_passage: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    quotations: dict[int, int] = defaultdict(int)
    students: set[int] = set()
    for answer_id, student_id, passage_id, start, end, quote, detached in rows:
        if not quote_in_text(quote, texts.get(answer_id, "")):
            continue
        students.add(student_id)
        quotations[passage_id] += 1
        intervals = by_passage[passage_id][student_id]
        if not detached:
            intervals.append((start, end))
    passages = {}
    for passage_id, per_student in by_passage.items():
        passages[passage_id] = PassageHeat(
            passage_id=passage_id,
            students=len(per_student),
            quotations=quotations[passage_id],
            ranges=_coverage(per_student.values()),
        )
    most = max((count for heat in passages.values() for *_, count in heat.ranges), default=0)
    return Heatmap(
        passages=passages,
        students=len(students),
        quotations=sum(quotations.values()),
        most=most,
    )


HEAT_BANDS = 4


def heat_band(count: int, most: int) -> int:
    """1 (few of the students who quoted most) to HEAT_BANDS (as many as any range)."""
    if count <= 0 or most <= 0:
        return 0
    return max(1, min(HEAT_BANDS, -(-count * HEAT_BANDS // most)))


@dataclass(frozen=True)
class HeatSegment:
    """A run of a passage's text quoted by the same number of students (0: not quoted)."""

    text: str
    students: int = 0
    band: int = 0


def heat_segments(text: str, heat: PassageHeat, most: int) -> list[HeatSegment]:
    """The passage's text cut into quoted and unquoted runs, each with its band."""
    segments, at = [], 0
    for start, end, count in heat.ranges:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            segments.append(HeatSegment(text=text[at:start]))
        segments.append(
            HeatSegment(text=text[start:end], students=count, band=heat_band(count, most))
        )
        at = end
    if at < len(text):
        segments.append(HeatSegment(text=text[at:]))
    return segments


# Topics and what sources claim about them --------------------------------------------------


def get_or_create_topic(*, name: str, description: str = "") -> Topic:
    """The topic of that name (letter case and spacing aside), made if there is none."""
    name = " ".join(name.split())
    if not name:
        raise EvidenceRefused("Name the topic.", field="name")
    if len(name) > MAX_TOPIC_NAME_CHARS:
        raise EvidenceRefused(
            f"Keep the topic's name to {MAX_TOPIC_NAME_CHARS} characters.", field="name"
        )
    with transaction.atomic():
        existing = Topic.objects.filter(name__iexact=name).first()
        if existing is not None:
            return existing
        base = slugify(name)[:100] or "topic"
        slug, number = base, 1
        while Topic.objects.filter(slug=slug).exists():
            number += 1
            slug = f"{base}-{number}"
        return Topic.objects.create(name=name, slug=slug, description=description.strip())


def set_question_topic(*, question: Question, topic: Topic | None) -> Question:
    """Make a question a comparison question about a topic (None: an ordinary question)."""
    question.topic = topic
    question.save(update_fields=["topic", "updated_at"])
    return question


@dataclass
class LessonClaims:
    """One column of a comparison: a lesson and what it claims about the topic."""

    lesson: Lesson
    claims: list[Annotation] = field(default_factory=list)


def claims_by_topic(
    *,
    topics: Iterable[Topic | int],
    lessons: Sequence[Lesson] | None = None,
    annotations: QuerySet | None = None,
) -> dict[int, list[LessonClaims]]:
    """Topic id → a column per lesson with its claims about the topic, in one query.

    lessons: only these lessons, each with a column even when it claims nothing (in this
    order); otherwise every lesson with a claim on the topic. annotations: the notes that may
    be shown (a student sees only the notes of their own teachers and the shared ones).
    """
    topic_ids = [topic if isinstance(topic, int) else topic.pk for topic in topics]
    notes = (annotations if annotations is not None else Annotation.objects.all()).filter(
        topic_id__in=topic_ids, kind=Annotation.Kind.CLAIM, detached=False
    )
    if lessons is not None:
        notes = notes.filter(passage__lesson__in=[lesson.pk for lesson in lessons])
    notes = notes.select_related("passage__lesson", "author").order_by(
        "passage__lesson__title", "passage__lesson_id", "passage__order", "passage_id", "start"
    )
    columns: dict[int, dict[int, LessonClaims]] = {
        topic_id: (
            {lesson.pk: LessonClaims(lesson=lesson) for lesson in lessons}
            if lessons is not None
            else {}
        )
        for topic_id in topic_ids
    }
    for note in notes:
        lesson = note.passage.lesson
        column = columns[note.topic_id].setdefault(lesson.pk, LessonClaims(lesson=lesson))
        column.claims.append(note)
    return {topic_id: list(found.values()) for topic_id, found in columns.items()}


def topic_claims(
    *, topic: Topic, lessons: Sequence[Lesson] | None = None, annotations: QuerySet | None = None
) -> list[LessonClaims]:
    """What each lesson claims about the topic, side by side (see claims_by_topic)."""
    return claims_by_topic(topics=[topic], lessons=lessons, annotations=annotations)[topic.pk]
