import pytest

from lessons.services.anchoring import make_anchor

TEXT = "By 1958, 740,000 agricultural cooperatives were merged into about 26,000 communes."


def test_anchor_keeps_the_quote_and_context_either_side():
    start = TEXT.index("26,000")
    anchor = make_anchor(TEXT, start, start + 6)
    assert anchor.quote == "26,000"
    assert anchor.prefix == TEXT[start - 32 : start]
    assert anchor.suffix == " communes."


def test_anchor_at_the_start_has_a_short_prefix():
    anchor = make_anchor(TEXT, 0, 2)
    assert anchor.quote == "By"
    assert anchor.prefix == ""


@pytest.mark.parametrize("start,end", [(5, 5), (-1, 3), (10, 9), (0, len(TEXT) + 1)])
def test_empty_or_out_of_range_spans_are_refused(start, end):
    with pytest.raises(ValueError):
        make_anchor(TEXT, start, end)
