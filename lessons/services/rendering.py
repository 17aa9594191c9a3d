"""Drawing highlights over a passage's text: notes, students' evidence, key evidence.

Reused wherever a passage is read (the lesson reader, a student's task page, the marking
view): build PassageView objects with passage_views() and render each with the partial
templates/lessons/_passage.html#passage (its context is documented at the top of that file).

Highlights may overlap or touch. The text is cut into segments at every span boundary; each
segment lists every span covering it, so nothing needs nested or crossing elements and the
passage's text content stays exactly passage.text (selection offsets map straight to model
offsets).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.db.models import Prefetch, QuerySet

from ..models import Annotation, Passage

# A mark per kind, shown on each highlight and in the legend, so colour is never the only cue.
KIND_MARKS = {
    Annotation.Kind.KEY_TERM: "K",
    Annotation.Kind.CONTEXT: "C",
    Annotation.Kind.INTERPRETATION: "I",
    Annotation.Kind.CLAIM: "#",
    Annotation.Kind.CITATION: "R",
    Annotation.Kind.DISCUSSION: "?",
    Annotation.Kind.CORRECTION: "!",
}


@dataclass(frozen=True)
class Span:
    """A highlight over text[start:end].

    note_id: an Annotation's id; the highlight then opens that note (element "note-<id>").
    kind: the annotation's kind (colour and mark).
    css: extra classes, e.g. "evidence" for a student's quotation, "key-evidence".
    label: what a non-note highlight is, for its tooltip ("Your quotation").
    ident: an element id for the highlight's first piece (e.g. "evidence-3").
    """

    start: int
    end: int
    note_id: int | None = None
    kind: str = ""
    css: str = ""
    label: str = ""
    ident: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Segment:
    """A run of the text covered by the same spans (innermost first), maybe none."""

    text: str
    start: int
    end: int
    spans: tuple[Span, ...] = ()

    @property
    def notes(self) -> tuple[Span, ...]:
        return tuple(span for span in self.spans if span.note_id is not None)

    @property
    def note_ids(self) -> str:
        return " ".join(str(span.note_id) for span in self.notes)

    @property
    def first_note_id(self) -> int | None:
        notes = self.notes
        return notes[0].note_id if notes else None

    @property
    def describedby(self) -> str:
        return " ".join(f"note-{span.note_id}-text" for span in self.notes)

    @property
    def opening(self) -> tuple[Span, ...]:
        return tuple(span for span in self.spans if span.start == self.start)

    @property
    def element_id(self) -> str:
        """An id for the first piece of a span that starts here (notes first)."""
        for span in self.opening:
            if span.note_id is not None:
                return f"hl-{span.note_id}"
        for span in self.opening:
            if span.ident:
                return span.ident
        return ""

    @property
    def mark(self) -> str:
        """The kind mark shown where a note starts."""
        for span in self.opening:
            if span.note_id is not None:
                return KIND_MARKS.get(span.kind, "")
        return ""

    @property
    def label(self) -> str:
        return "; ".join(span.label for span in self.spans if span.label)

    @property
    def classes(self) -> str:
        if not self.spans:
            return ""
        classes = []
        notes = self.notes
        if notes:
            classes += ["hl", f"hl--{notes[0].kind}"]
            if len(notes) > 1:
                classes.append("hl--overlap")
            if any(span.start == self.start for span in notes):
                classes.append("hl--start")
            if any(span.end == self.end for span in notes):
                classes.append("hl--end")
        for span in self.spans:
            if span.css:
                classes += [css for css in span.css.split() if css not in classes]
        return " ".join(classes)


def segment_text(text: str, spans: Iterable[Span]) -> list[Segment]:
    """Cut text at every span boundary. Spans are clipped to the text; empty ones dropped."""
    kept = []
    for span in spans:
        start, end = max(0, span.start), min(len(text), span.end)
        if start < end:
            kept.append(replace(span, start=start, end=end))
    cuts = sorted({0, len(text), *(s.start for s in kept), *(s.end for s in kept)})
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = sorted(
            (span for span in kept if span.start <= start and end <= span.end),
            key=lambda span: (span.length, -span.start, span.note_id or 0),
        )
        segments.append(Segment(text=text[start:end], start=start, end=end, spans=tuple(covering)))
    return segments


@dataclass
class NoteView:
    annotation: Annotation
    can_edit: bool = False
    # The element id of the note's first highlight, to link back from the note to the text.
    highlight_id: str = ""
    # Anything a page adds for its own template (e.g. a form to re-attach the note).
    extra: dict = field(default_factory=dict)

    @property
    def mark(self) -> str:
        return KIND_MARKS.get(self.annotation.kind, "")


@dataclass
class PassageView:
    passage: Passage
    segments: list[Segment]
    notes: list[NoteView] = field(default_factory=list)
    detached: list[NoteView] = field(default_factory=list)
    linked: bool = False
    # Anything a page adds for its own template (e.g. the teacher's annotation form).
    extra: dict = field(default_factory=dict)


def may_edit_annotation(user, annotation: Annotation, lesson_owner_id: int | None) -> bool:
    """The note's author may change it, and so may the lesson's owner. Notes without an
    author (the shared seed notes) change only in a teacher's copy of the lesson."""
    if user is None or not getattr(user, "is_teacher", False):
        return False
    return annotation.author_id == user.id or (
        lesson_owner_id is not None and lesson_owner_id == user.id
    )


def reading_passages(passages: QuerySet) -> QuerySet:
    """Passages with what passage_views() needs, in a constant number of queries."""
    return passages.select_related("lesson").prefetch_related(
        Prefetch(
            "annotations",
            queryset=Annotation.objects.select_related("author", "topic").order_by(
                "start", "-end", "id"
            ),
        )
    )


def passage_views(
    passages: Iterable[Passage],
    *,
    user=None,
    extra_spans: Mapping[int, Iterable[Span]] | None = None,
    linked: Iterable[int] = (),
    with_notes: bool = True,
) -> list[PassageView]:
    """What the _passage partial renders, for each passage (from reading_passages()).

    extra_spans: passage id → more highlights (a student's quotations, key evidence).
    linked: ids of passages to highlight as a whole (e.g. those a question points to).
    with_notes: False to show the text without the teachers' notes.
    user: a teacher sees which notes they may edit, and their detached notes.
    """
    extra_spans = extra_spans or {}
    linked_ids = set(linked)
    views = []
    for passage in passages:
        annotations = list(passage.annotations.all()) if with_notes else []
        owner_id = passage.lesson.owner_id
        attached = [a for a in annotations if not a.detached]
        spans = [
            Span(start=a.start, end=a.end, note_id=a.pk, kind=a.kind) for a in attached
        ] + list(extra_spans.get(passage.pk, ()))
        segments = segment_text(passage.text, spans)
        first_piece = {}
        for segment in segments:
            if segment.element_id.startswith("hl-"):
                first_piece.setdefault(int(segment.element_id[3:]), segment.element_id)
        notes = [
            NoteView(
                annotation=a,
                can_edit=may_edit_annotation(user, a, owner_id),
                highlight_id=first_piece.get(a.pk, ""),
            )
            for a in attached
        ]
        detached = [
            NoteView(annotation=a, can_edit=True)
            for a in annotations
            if a.detached and may_edit_annotation(user, a, owner_id)
        ]
        views.append(
            PassageView(
                passage=passage,
                segments=segments,
                notes=notes,
                detached=detached,
                linked=passage.pk in linked_ids,
            )
        )
    return views


@dataclass(frozen=True)
class LegendEntry:
    value: str
    label: str
    mark: str


def legend_for(views: Iterable[PassageView] | None = None) -> list[LegendEntry]:
    """The kinds of note (all of them, or those the passages use) with their marks."""
    used = None
    if views is not None:
        used = {n.annotation.kind for view in views for n in view.notes}
    return [
        LegendEntry(value=value, label=label, mark=KIND_MARKS.get(value, ""))
        for value, label in Annotation.Kind.choices
        if used is None or value in used
    ]
