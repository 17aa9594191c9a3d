"""Drawing highlights over a passage: overlapping and touching spans, the shared partial."""

import html
import re

import pytest
from django.template.loader import render_to_string

from lessons.models import Passage
from lessons.services.rendering import (
    Span,
    legend_for,
    passage_views,
    reading_passages,
    segment_text,
)
from tests.factories import AnnotationFactory, PassageFactory

TEXT = "abcdefghijklmnopqrst"


def runs(segments):
    return [(s.text, sorted(span.note_id for span in s.spans)) for s in segments]


def test_a_text_without_spans_is_one_plain_segment():
    segments = segment_text(TEXT, [])
    assert runs(segments) == [(TEXT, [])]
    assert segments[0].classes == ""


def test_overlapping_spans_are_cut_into_runs_listing_every_covering_note():
    a = Span(start=0, end=10, note_id=1, kind="key_term")
    b = Span(start=5, end=15, note_id=2, kind="context")
    segments = segment_text(TEXT, [a, b])
    assert runs(segments) == [
        ("abcde", [1]),
        ("fghij", [1, 2]),
        ("klmno", [2]),
        ("pqrst", []),
    ]
    middle = segments[1]
    assert "hl--overlap" in middle.classes
    assert middle.note_ids in ("1 2", "2 1")
    assert middle.describedby.split() == [f"note-{n}-text" for n in middle.note_ids.split()]
    # The first piece of the second note carries its id, so its note can link back to it.
    assert middle.element_id == "hl-2"
    assert segments[0].element_id == "hl-1"


def test_a_nested_span_is_the_innermost_and_sets_the_colour():
    outer = Span(start=0, end=20, note_id=1, kind="context")
    inner = Span(start=5, end=8, note_id=2, kind="key_term")
    segments = segment_text(TEXT, [outer, inner])
    assert runs(segments) == [("abcde", [1]), ("fgh", [1, 2]), ("ijklmnopqrst", [1])]
    assert segments[1].first_note_id == 2
    assert segments[1].classes.startswith("hl hl--key_term hl--overlap")


def test_touching_spans_stay_two_highlights_with_their_own_edges():
    a = Span(start=0, end=5, note_id=1, kind="claim")
    b = Span(start=5, end=10, note_id=2, kind="claim")
    first, second, _ = segment_text(TEXT, [a, b])
    assert (first.text, second.text) == ("abcde", "fghij")
    assert "hl--start" in first.classes and "hl--end" in first.classes
    assert "hl--start" in second.classes and "hl--end" in second.classes
    assert first.element_id == "hl-1" and second.element_id == "hl-2"


def test_identical_spans_open_both_notes():
    a = Span(start=2, end=4, note_id=1, kind="claim")
    b = Span(start=2, end=4, note_id=2, kind="citation")
    segments = segment_text(TEXT, [a, b])
    assert runs(segments)[1] == ("cd", [1, 2])


def test_spans_outside_the_text_are_clipped_or_dropped():
    segments = segment_text("abc", [Span(start=1, end=99, note_id=1), Span(start=5, end=9)])
    assert runs(segments) == [("a", []), ("bc", [1])]


def test_extra_spans_keep_their_own_classes_and_label():
    evidence = Span(start=3, end=6, css="evidence", label="Your quotation", ident="evidence-7")
    segments = segment_text(TEXT, [evidence, Span(start=0, end=5, note_id=1, kind="key_term")])
    both = segments[1]
    assert both.text == "de"
    assert "evidence" in both.classes and "hl--key_term" in both.classes
    assert segments[2].classes == "evidence"
    assert segments[2].label == "Your quotation"
    assert both.element_id == "evidence-7"


# The shared partial, as other areas use it ----------------------------------------------

PASSAGE_TEXT = "First <paragraph> & more.\n\nSecond paragraph with the famine in it."


@pytest.fixture
def passage(db, teacher):
    passage = PassageFactory(text=PASSAGE_TEXT, heading="Famine <b>deaths</b>")
    start = PASSAGE_TEXT.index("<paragraph>")
    AnnotationFactory(
        passage=passage,
        author=teacher,
        kind="claim",
        note="Note with <script>alert(1)</script>",
        start=start,
        end=start + len("<paragraph> & more"),
        quote="<paragraph> & more",
    )
    return passage


def render_passage(passage, **kwargs) -> str:
    views = passage_views(reading_passages(Passage.objects.filter(pk=passage.pk)), **kwargs)
    return render_to_string(
        "lessons/_passage.html#passage", {"pv": views[0], "heading_level": 3, "legend": []}
    )


def text_of(rendered: str, passage) -> str:
    match = re.search(rf'id="passage-{passage.pk}-text"[^>]*>(.*?)</div>', rendered, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match[1]))


def test_the_shared_partial_renders_notes_extra_highlights_and_a_linked_passage(passage):
    famine = PASSAGE_TEXT.index("famine")
    rendered = render_passage(
        passage,
        extra_spans={passage.pk: [Span(start=famine, end=famine + 6, css="evidence")]},
        linked=[passage.pk],
    )
    assert "passage--linked" in rendered
    assert "<h3" in rendered
    assert '<mark class="evidence">famine</mark>' in rendered
    assert 'class="hl hl--claim hl--start hl--end"' in rendered
    assert text_of(rendered, passage) == PASSAGE_TEXT


def test_the_shared_partial_escapes_text_headings_and_notes(passage):
    rendered = render_passage(passage)
    assert "<script>" not in rendered
    assert "<paragraph>" not in rendered
    assert "<b>deaths</b>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "&lt;paragraph&gt; &amp; more" in rendered


def test_notes_can_be_left_out_for_a_plain_reading(passage):
    rendered = render_passage(passage, with_notes=False)
    assert "hl--claim" not in rendered
    assert 'class="notes' not in rendered
    assert text_of(rendered, passage) == PASSAGE_TEXT


def test_the_legend_lists_every_kind_with_a_mark_or_only_those_used(passage):
    assert [entry.mark for entry in legend_for()] == ["K", "C", "I", "#", "R", "?", "!"]
    views = passage_views(reading_passages(Passage.objects.filter(pk=passage.pk)))
    assert [entry.value for entry in legend_for(views)] == ["claim"]


def test_detached_notes_are_listed_only_for_who_may_reattach_them(passage, teacher, student):
    AnnotationFactory(passage=passage, author=teacher, detached=True, start=0, end=5)
    queryset = reading_passages(Passage.objects.filter(pk=passage.pk))
    assert len(passage_views(queryset, user=teacher)[0].detached) == 1
    assert passage_views(queryset, user=student)[0].detached == []
    assert passage_views(queryset)[0].detached == []
