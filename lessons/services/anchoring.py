"""Anchors: exact spans of a passage's text that survive edits to the passage.

An anchor is stored as offsets and as the quoted text with a little context either side
(models.library.AnchoredSpan). The offsets are fast; the quote and context let an anchor be
found again after the passage has been edited. Finding it again must never move a note to
the wrong words: when in doubt, the span is marked detached and a teacher re-attaches it.
"""

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction

from ..models import Annotation, EvidenceLink, KeyEvidence, Passage
from ..models.library import ANCHOR_CONTEXT_CHARS

# An exact occurrence of the quote is taken if its surroundings look like the old ones at
# least this much (0–1, difflib ratio of the context either side)...
EXACT_CONTEXT_MIN = 0.5
# ...or, when it is the only occurrence, if the quote is long enough to be distinctive.
DISTINCTIVE_QUOTE_CHARS = 24
# A fuzzy match (the quote itself was edited) needs a very similar quote AND context.
FUZZY_QUOTE_MIN = 0.8
FUZZY_CONTEXT_MIN = 0.6
# Fragments of the quote and context used to find where a fuzzy match might be.
PROBE_CHARS = 8
# Word-level diffs of replaced stretches bigger than this (old × new words) are skipped.
MAX_WORD_DIFF_WORK = 4_000_000
TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str

    def as_fields(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "prefix": self.prefix,
            "suffix": self.suffix,
        }


def make_anchor(text: str, start: int, end: int) -> Anchor:
    """The anchor of text[start:end]; raises ValueError for an empty or out-of-range span."""
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"span {start}–{end} is not inside a text of {len(text)} characters")
    return Anchor(
        start=start,
        end=end,
        quote=text[start:end],
        prefix=text[max(0, start - ANCHOR_CONTEXT_CHARS) : start],
        suffix=text[end : end + ANCHOR_CONTEXT_CHARS],
    )


def anchor_of(span) -> Anchor:
    """The stored anchor of a model instance (Annotation, EvidenceLink, KeyEvidence)."""
    return Anchor(
        start=span.start, end=span.end, quote=span.quote, prefix=span.prefix, suffix=span.suffix
    )


# Finding an anchor again ----------------------------------------------------------------


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _common_run(a: str, b: str) -> int:
    """How many characters a and b share from their start."""
    run = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        run += 1
    return run


def _side_score(expected: str, actual: str, *, reverse: bool) -> float:
    """Overall likeness, and how far the match reaches unbroken from the quote outwards:
    the characters right next to the quote say the most about where it is."""
    if not expected:
        return 1.0 if not actual else 0.0
    run = _common_run(expected[::-1], actual[::-1]) if reverse else _common_run(expected, actual)
    return (_similarity(expected, actual) + run / len(expected)) / 2


def _context_score(anchor: Anchor, text: str, start: int, end: int) -> float:
    """How much the text around text[start:end] looks like the anchor's prefix and suffix."""
    before = text[max(0, start - ANCHOR_CONTEXT_CHARS) : start]
    after = text[end : end + ANCHOR_CONTEXT_CHARS]
    return (
        _side_score(anchor.prefix, before, reverse=True)
        + _side_score(anchor.suffix, after, reverse=False)
    ) / 2


def _occurrences(text: str, quote: str) -> list[int]:
    found, at = [], text.find(quote)
    while at != -1:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _exact_match(
    anchor: Anchor, text: str, allowed: Callable, unique_before: bool
) -> Anchor | None:
    length = len(anchor.quote)
    starts = [s for s in _occurrences(text, anchor.quote) if allowed(s, s + length)]
    if not starts:
        return None
    # Best surroundings first; between equally good ones, the nearest to where it was.
    scored = sorted(
        (-_context_score(anchor, text, s, s + length), abs(s - anchor.start), s) for s in starts
    )
    best_score, best = -scored[0][0], scored[0][2]
    if best_score >= EXACT_CONTEXT_MIN:
        return make_anchor(text, best, best + length)
    # Rewritten on both sides: only a long quote that has nowhere else to be is trusted.
    if len(starts) == 1 and length >= DISTINCTIVE_QUOTE_CHARS and unique_before:
        return make_anchor(text, best, best + length)
    return None


def _map_position(opcodes, position: int, *, is_start: bool) -> int:
    """Where a position of the old context+quote falls in the new window."""
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "insert":
            # Text inserted right at a boundary belongs outside the quote.
            if position == i1:
                return j2 if is_start else j1
            continue
        if i1 <= position < i2 or (position == i2 and not is_start):
            if tag == "equal":
                return j1 + (position - i1)
            if position == i1:
                return j1
            if position == i2:
                return j2
            return j1 + round((position - i1) * (j2 - j1) / (i2 - i1))
    return opcodes[-1][4] if opcodes else 0


def _fuzzy_candidates(anchor: Anchor, text: str) -> set[int]:
    """Likely new start positions of the quote, from exact hits of small fragments."""
    needle = anchor.prefix + anchor.quote + anchor.suffix
    quote_at = len(anchor.prefix)
    guesses = {min(max(anchor.start, 0), len(text))}
    step = max(1, PROBE_CHARS // 2)
    for offset in range(0, max(1, len(needle) - PROBE_CHARS + 1), step):
        probe = needle[offset : offset + PROBE_CHARS]
        if not probe.strip():
            continue
        for hit in _occurrences(text, probe)[:20]:
            guesses.add(hit - offset + quote_at)
    # Hits of neighbouring fragments give nearly the same guess; one look is enough.
    merged: set[int] = set()
    for guess in sorted(guesses):
        if not any(abs(guess - kept) <= 4 for kept in merged):
            merged.add(guess)
    return merged


def _fuzzy_match(anchor: Anchor, text: str, allowed: Callable) -> Anchor | None:
    needle = anchor.prefix + anchor.quote + anchor.suffix
    quote_start, quote_end = len(anchor.prefix), len(anchor.prefix) + len(anchor.quote)
    slack = max(16, len(anchor.quote) // 2)
    best: tuple[float, int, int] | None = None
    for guess in _fuzzy_candidates(anchor, text):
        lo = max(0, guess - len(anchor.prefix) - slack)
        hi = min(len(text), guess + len(anchor.quote) + len(anchor.suffix) + slack)
        window = text[lo:hi]
        opcodes = difflib.SequenceMatcher(None, needle, window, autojunk=False).get_opcodes()
        start = lo + _map_position(opcodes, quote_start, is_start=True)
        end = lo + _map_position(opcodes, quote_end, is_start=False)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start or not allowed(start, end):
            continue
        quote_score = _similarity(anchor.quote, text[start:end])
        context_score = _context_score(anchor, text, start, end)
        if quote_score < FUZZY_QUOTE_MIN or context_score < FUZZY_CONTEXT_MIN:
            continue
        score = quote_score + context_score
        if best is None or score > best[0]:
            best = (score, start, end)
    if best is None:
        return None
    return make_anchor(text, best[1], best[2])


@lru_cache(maxsize=8)
def _unchanged_blocks(old: str, new: str) -> tuple[tuple[int, int, int], ...]:
    """The stretches an edit left alone, as (old start, old end, new start).

    Lines are compared first and words only inside replaced lines, so that an edit to a
    long passage costs little; what cannot be compared cheaply counts as changed.
    """
    size = min(len(old), len(new))
    head = 0
    while head < size and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < size - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    blocks = [(0, head, 0)] if head else []

    def offsets(parts: list[str], base: int) -> list[int]:
        out = [base]
        for part in parts:
            out.append(out[-1] + len(part))
        return out

    old_lines = old[head : len(old) - tail].splitlines(keepends=True)
    new_lines = new[head : len(new) - tail].splitlines(keepends=True)
    old_at, new_at = offsets(old_lines, head), offsets(new_lines, head)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.append((old_at[i1], old_at[i2], new_at[j1]))
        elif tag == "replace":
            old_words = TOKEN_RE.findall(old[old_at[i1] : old_at[i2]])
            new_words = TOKEN_RE.findall(new[new_at[j1] : new_at[j2]])
            if len(old_words) * len(new_words) > MAX_WORD_DIFF_WORK:
                continue
            old_word_at = offsets(old_words, old_at[i1])
            new_word_at = offsets(new_words, new_at[j1])
            words = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
            for word_tag, a1, a2, b1, _ in words.get_opcodes():
                if word_tag == "equal":
                    blocks.append((old_word_at[a1], old_word_at[a2], new_word_at[b1]))
    if tail:
        blocks.append((len(old) - tail, len(old), len(new) - tail))
    return tuple(blocks)


def reanchor_span(anchor: Anchor, text: str, *, old_text: str | None = None) -> Anchor | None:
    """Where the anchored words are in a new version of the text, or None if they are gone.

    Given the text as it was (old_text), words the edit left alone simply move with it,
    and words that were already elsewhere in the old text are never taken for the
    anchored ones. Otherwise, in order: the exact quote (nearest the old offset,
    preferring the occurrence whose surroundings match best), then a fuzzy match that
    needs a very similar quote AND context. Anything less certain is None: the caller
    marks the span detached.
    """
    if not anchor.quote or not text:
        return None
    length = len(anchor.quote)
    if old_text is not None and old_text[anchor.start : anchor.end] == anchor.quote:
        blocks = _unchanged_blocks(old_text, text)
        for old_start, old_end, new_start in blocks:
            if old_start <= anchor.start and anchor.end <= old_end:
                moved_to = new_start + anchor.start - old_start
                return make_anchor(text, moved_to, moved_to + length)

        def allowed(start: int, end: int) -> bool:
            for old_start, old_end, new_start in blocks:
                new_end = new_start + old_end - old_start
                if new_start <= start and end <= new_end:
                    return old_start + start - new_start == anchor.start
            return True

        unique_before = len(_occurrences(old_text, anchor.quote)) == 1
    else:
        start, end = anchor.start, anchor.end
        if (
            0 <= start < end <= len(text)
            and text[start:end] == anchor.quote
            and _context_score(anchor, text, start, end) == 1.0
        ):
            return make_anchor(text, start, end)

        def allowed(start: int, end: int) -> bool:
            return True

        # Without the old text there is no knowing; trust only what the context supports.
        unique_before = False
    return _exact_match(anchor, text, allowed, unique_before) or _fuzzy_match(anchor, text, allowed)


def normalise_passage_text(text: str) -> str:
    """Text as stored: Unix line ends, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def spans_of(passage: Passage) -> list:
    """Every span anchored to the passage: notes, students' evidence, mark-scheme evidence."""
    return [
        *Annotation.objects.filter(passage=passage),
        *EvidenceLink.objects.filter(passage=passage),
        *KeyEvidence.objects.filter(passage=passage),
    ]


@dataclass(frozen=True)
class ReanchorReport:
    kept: int
    moved: int
    detached: int
    reattached: int


def update_passage_text(*, passage: Passage, text: str) -> ReanchorReport:
    """Save the passage's new text and re-anchor everything anchored to it, in one go.

    A span whose words cannot be found again keeps its old anchor and is marked detached,
    so a teacher can see it and re-attach it; it is never dropped or guessed.
    """
    text = normalise_passage_text(text)
    kept = moved = detached = reattached = 0
    with transaction.atomic():
        locked = Passage.objects.select_for_update().get(pk=passage.pk)
        old_text = locked.text
        locked.text = text
        # Any open edit form based on the old text is now stale (see update_passage).
        locked.version += 1
        locked.save(update_fields=["text", "version"])
        passage.text, passage.version = text, locked.version
        by_model: dict[type, list] = {}
        for span in spans_of(locked):
            found = reanchor_span(anchor_of(span), text, old_text=old_text)
            if found is None:
                if not span.detached:
                    detached += 1
                span.detached = True
            else:
                if span.detached:
                    reattached += 1
                elif (found.start, found.end) == (span.start, span.end):
                    kept += 1
                else:
                    moved += 1
                for field, value in found.as_fields().items():
                    setattr(span, field, value)
                span.detached = False
            by_model.setdefault(type(span), []).append(span)
        for model, spans in by_model.items():
            model.objects.bulk_update(
                spans, ["start", "end", "quote", "prefix", "suffix", "detached"]
            )
    return ReanchorReport(kept=kept, moved=moved, detached=detached, reattached=reattached)


# Finding a quote a teacher typed or selected ---------------------------------------------

_LOOSE_CHARS = {
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


def _loose(text: str) -> tuple[str, list[int]]:
    """A forgiving form of text (plain quotes and dashes, single spaces) and, for each of
    its characters, the index of the character it came from."""
    out: list[str] = []
    index: list[int] = []
    previous_space = False
    for i, ch in enumerate(text):
        ch = _LOOSE_CHARS.get(ch, ch)
        if ch.isspace():
            if previous_space:
                continue
            ch, previous_space = " ", True
        else:
            previous_space = False
        out.append(ch)
        index.append(i)
    return "".join(out), index


class QuoteNotFound(ValueError):
    """The quote is not in the passage."""


class AmbiguousQuote(QuoteNotFound):
    """The quote is in the passage more than once, and which one is meant is unclear."""


def locate_quote(
    text: str,
    quote: str,
    *,
    start: int | None = None,
    end: int | None = None,
    occurrence: int | None = None,
) -> tuple[int, int]:
    """The span of text a teacher meant: their selection's offsets when they match the
    quote, otherwise the quote found in the text (its occurrence-th appearance when it
    appears more than once). Raises QuoteNotFound with a message for the teacher."""
    quote = unicodedata.normalize("NFC", quote.replace("\r\n", "\n"))
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and text[start:end] == quote
    ):
        return start, end
    stripped = quote.strip()
    if not stripped:
        raise QuoteNotFound("Select the words to annotate, or type them exactly.")
    spans = [(s, s + len(stripped)) for s in _occurrences(text, stripped)]
    if not spans:
        loose_text, index = _loose(text)
        loose_quote, _ = _loose(stripped)
        spans = [
            (index[s], index[s + len(loose_quote) - 1] + 1)
            for s in _occurrences(loose_text, loose_quote)
        ]
    if not spans:
        raise QuoteNotFound(
            "These words are not in this passage. Copy them exactly from the text "
            "(or select them in the text)."
        )
    if occurrence is not None:
        if not 1 <= occurrence <= len(spans):
            raise AmbiguousQuote(
                f"These words appear {len(spans)} time{'s' if len(spans) != 1 else ''} "
                f"in this passage; choose an occurrence from 1 to {len(spans)}."
            )
        return spans[occurrence - 1]
    if len(spans) > 1:
        raise AmbiguousQuote(
            f"These words appear {len(spans)} times in this passage. Say which one "
            "(occurrence 1 is the first), or select more words so they are unique."
        )
    return spans[0]
