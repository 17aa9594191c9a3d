"""Domain actions on lessons, passages and annotations (called by views, commands and tests).

Who may do what is decided before these are called (lessons/access.py); these only act.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import Annotation, EvidenceLink, KeyEvidence, Lesson, Passage, Question, Topic
from .anchoring import ReanchorReport, make_anchor, normalise_passage_text, update_passage_text
from .evidence import get_or_create_topic
from .importer import ProposedPassage

LESSON_DETAIL_FIELDS = [
    "title",
    "summary",
    "author",
    "publisher",
    "source_url",
    "source_date",
    "source_kind",
    "attribution_note",
]


def create_lesson(*, owner, details: dict, passages: Sequence[ProposedPassage]) -> Lesson:
    """A new lesson of the owner's, with its passages in order, all or nothing."""
    with transaction.atomic():
        lesson = Lesson.objects.create(
            owner=owner, **{name: details[name] for name in LESSON_DETAIL_FIELDS if name in details}
        )
        Passage.objects.bulk_create(
            Passage(
                lesson=lesson,
                order=order,
                heading=passage.heading.strip(),
                text=normalise_passage_text(passage.text),
                kind=passage.kind,
            )
            for order, passage in enumerate(passages, start=1)
        )
    return lesson


def update_lesson_details(*, lesson: Lesson, details: dict) -> Lesson:
    """Change a lesson's title, summary and source attribution."""
    for name in LESSON_DETAIL_FIELDS:
        if name in details:
            setattr(lesson, name, details[name])
    lesson.save()
    return lesson


def copy_lesson(*, lesson: Lesson, owner) -> Lesson:
    """The teacher's own editable copy of a lesson, with its passages and notes.

    Notes keep their author (the seed notes none), so the copy shows who wrote them; the
    copy's owner may change them all.
    """
    with transaction.atomic():
        copy = Lesson.objects.create(
            owner=owner,
            copied_from=lesson,
            **{name: getattr(lesson, name) for name in LESSON_DETAIL_FIELDS},
        )
        originals = list(lesson.passages.all())
        copies = Passage.objects.bulk_create(
            Passage(lesson=copy, order=p.order, heading=p.heading, text=p.text, kind=p.kind)
            for p in originals
        )
        new_passage = {old.pk: new for old, new in zip(originals, copies, strict=True)}
        Annotation.objects.bulk_create(
            Annotation(
                passage=new_passage[a.passage_id],
                start=a.start,
                end=a.end,
                quote=a.quote,
                prefix=a.prefix,
                suffix=a.suffix,
                detached=a.detached,
                kind=a.kind,
                note=a.note,
                topic_id=a.topic_id,
                author_id=a.author_id,
            )
            for a in Annotation.objects.filter(passage__lesson=lesson)
        )
    return copy


def delete_lesson(*, lesson: Lesson) -> None:
    """Delete a lesson no task uses (a task's students would lose their source)."""
    with transaction.atomic():
        if lesson.tasks.exists():
            raise ValueError("A task uses this lesson, so it cannot be deleted.")
        lesson.delete()


class PassageConflict(Exception):
    """The passage was changed since the edit form was opened; nothing was saved."""

    def __init__(self, current: Passage):
        super().__init__("This passage was changed since you opened it.")
        self.current = current


class PassageInUse(Exception):
    """Tasks depend on the passage, so deleting it would take their source away."""

    def __init__(self, reasons: list[str]):
        super().__init__("This passage cannot be deleted: " + " ".join(reasons))
        self.reasons = reasons


def update_passage(
    *, passage: Passage, heading: str, kind: str, text: str, version: int | None = None
) -> ReanchorReport:
    """Change a passage; every note and quotation anchored to it follows its words.

    With `version` (the one the edit was based on), a passage changed since then raises
    PassageConflict and nothing is saved.
    """
    with transaction.atomic():
        locked = Passage.objects.select_for_update().get(pk=passage.pk)
        if version is not None and locked.version != version:
            raise PassageConflict(locked)
        Passage.objects.filter(pk=passage.pk).update(heading=heading.strip(), kind=kind)
        passage.heading, passage.kind = heading.strip(), kind
        # Saving the text bumps the version once, also when only heading or kind changed.
        report = update_passage_text(passage=passage, text=text)
        Lesson.objects.filter(pk=passage.lesson_id).update(updated_at=timezone.now())
    return report


def _renumber(lesson: Lesson, ids: list[int] | None = None) -> list[int]:
    """Number the lesson's passages 1, 2, 3… in the order of `ids` (default: as they are)."""
    if ids is None:
        ids = list(lesson.passages.order_by("order", "id").values_list("id", flat=True))
    passages = Passage.objects.in_bulk(ids)
    changed = []
    for order, pk in enumerate(ids, start=1):
        if passages[pk].order != order:
            passages[pk].order = order
            changed.append(passages[pk])
    Passage.objects.bulk_update(changed, ["order"])
    return ids


def _lock(lesson: Lesson) -> None:
    """One change of the lesson's passage order at a time."""
    Lesson.objects.select_for_update().filter(pk=lesson.pk).first()


def add_passage(
    *, lesson: Lesson, heading: str, kind: str, text: str, after: Passage | None = None
) -> Passage:
    """A new passage, placed just after `after` (a passage of the lesson) or at the end."""
    text = normalise_passage_text(text)
    if not text:
        raise ValueError("A passage needs some text.")
    with transaction.atomic():
        _lock(lesson)
        ids = _renumber(lesson)
        if after is not None and after.pk not in ids:
            raise ValueError("That passage is not in this lesson.")
        passage = Passage.objects.create(
            lesson=lesson, order=len(ids) + 1, heading=heading.strip(), kind=kind, text=text
        )
        position = ids.index(after.pk) + 1 if after is not None else len(ids)
        ids.insert(position, passage.pk)
        _renumber(lesson, ids)
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
    passage.refresh_from_db()
    return passage


def move_passage(*, passage: Passage, direction: str) -> list[int]:
    """Move a passage up or down one place; returns the lesson's passage ids in order."""
    if direction not in ("up", "down"):
        raise ValueError("Move a passage up or down.")
    with transaction.atomic():
        _lock(passage.lesson)
        ids = _renumber(passage.lesson)
        position = ids.index(passage.pk)
        other = position - 1 if direction == "up" else position + 1
        if 0 <= other < len(ids):
            ids[position], ids[other] = ids[other], ids[position]
            _renumber(passage.lesson, ids)
            Lesson.objects.filter(pk=passage.lesson_id).update(updated_at=timezone.now())
    return ids


def passage_in_use(passage: Passage) -> list[str]:
    """Why deleting the passage would take a task's source away (empty if it would not)."""
    reasons = []
    questions = (
        Question.objects.filter(linked_passages=passage, task__isnull=False)
        .select_related("task")
        .order_by("task__title", "task_id", "order", "id")
    )
    # Each question's number in its task, from one query over those tasks' questions.
    in_order = Question.objects.filter(task__in={q.task_id for q in questions}).order_by(
        "task_id", "order", "id"
    )
    numbers, counted = {}, {}
    for pk, task_id in in_order.values_list("id", "task_id"):
        counted[task_id] = numbers[pk] = counted.get(task_id, 0) + 1
    for question in questions:
        reasons.append(
            f"Question {numbers[question.pk]} of the task “{question.task.title}” links to it."
        )
    keys = KeyEvidence.objects.filter(passage=passage).count()
    if keys:
        reasons.append(
            "1 piece of key evidence in a mark scheme quotes it."
            if keys == 1
            else f"{keys} pieces of key evidence in mark schemes quote it."
        )
    students = (
        EvidenceLink.objects.filter(passage=passage)
        .values("answer__submission__student")
        .distinct()
        .count()
    )
    if students:
        reasons.append(
            "1 student has quoted it as evidence."
            if students == 1
            else f"{students} students have quoted it as evidence."
        )
    return reasons


def delete_passage(*, passage: Passage) -> int:
    """Delete a passage no task depends on, with its notes; returns how many notes went."""
    with transaction.atomic():
        _lock(passage.lesson)
        reasons = passage_in_use(passage)
        if reasons:
            raise PassageInUse(reasons)
        notes = Annotation.objects.filter(passage=passage).count()
        lesson = passage.lesson
        passage.delete()
        _renumber(lesson)
        Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
    return notes


def _claim_topic(kind: str, topic: Topic | None, new_topic: str) -> Topic | None:
    """Only a claim has a topic; a new topic's name makes it (or finds it) first."""
    if kind != Annotation.Kind.CLAIM:
        return None
    if new_topic.strip():
        return get_or_create_topic(name=new_topic)
    return topic


def add_annotation(
    *,
    passage: Passage,
    author,
    kind: str,
    note: str,
    start: int,
    end: int,
    topic: Topic | None = None,
    new_topic: str = "",
) -> Annotation:
    """A note on passage.text[start:end], anchored so that it survives edits. A claim may be
    about a topic (or a new topic, named in new_topic), to compare sources on it."""
    anchor = make_anchor(passage.text, start, end)
    with transaction.atomic():
        return Annotation.objects.create(
            passage=passage,
            author=author,
            kind=kind,
            note=note.strip(),
            topic=_claim_topic(kind, topic, new_topic),
            **anchor.as_fields(),
        )


def change_annotation(
    *,
    annotation: Annotation,
    kind: str,
    note: str,
    topic: Topic | None = None,
    new_topic: str = "",
) -> Annotation:
    with transaction.atomic():
        annotation.kind = kind
        annotation.note = note.strip()
        annotation.topic = _claim_topic(kind, topic, new_topic)
        annotation.save(update_fields=["kind", "note", "topic", "updated_at"])
    return annotation


def delete_annotation(*, annotation: Annotation) -> None:
    annotation.delete()


def reattach_annotation(*, annotation: Annotation, start: int, end: int) -> Annotation:
    """Anchor a (detached) note to passage.text[start:end]."""
    anchor = make_anchor(annotation.passage.text, start, end)
    for name, value in anchor.as_fields().items():
        setattr(annotation, name, value)
    annotation.detached = False
    annotation.save(
        update_fields=["start", "end", "quote", "prefix", "suffix", "detached", "updated_at"]
    )
    return annotation


# Glossary -------------------------------------------------------------------------------


@dataclass
class GlossaryTerm:
    term: str
    entries: list[Annotation] = field(default_factory=list)

    @property
    def letter(self) -> str:
        first = self.term[:1].upper()
        return first if first.isalpha() else "#"


def glossary_annotations(lessons: QuerySet | None = None) -> QuerySet:
    """Key-term notes still attached to their words, with what a glossary page shows."""
    notes = Annotation.objects.filter(kind=Annotation.Kind.KEY_TERM, detached=False)
    if lessons is not None:
        notes = notes.filter(passage__lesson__in=lessons)
    return notes.select_related("passage__lesson", "author")


def _term_key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").casefold().split()).strip(" .,;:'\"“”‘’")


def glossary(annotations: Iterable[Annotation]) -> list[GlossaryTerm]:
    """Key terms in alphabetical order; the same term from several lessons is one entry
    listing each definition."""
    notes = sorted(
        annotations,
        key=lambda a: (_term_key(a.quote), a.passage.lesson.title.casefold(), a.pk),
    )
    terms = []
    for _, group in groupby(notes, key=lambda a: _term_key(a.quote)):
        entries = list(group)
        terms.append(GlossaryTerm(term=" ".join(entries[0].quote.split()), entries=entries))
    return terms
