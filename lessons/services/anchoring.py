"""Anchors: exact spans of a passage's text that survive edits to the passage.

An anchor is stored as offsets and as the quoted text with a little context either side
(models.library.AnchoredSpan). The offsets are fast; the quote and context let an anchor be
found again after the passage has been edited.
"""

from dataclasses import dataclass

from ..models.library import ANCHOR_CONTEXT_CHARS


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
