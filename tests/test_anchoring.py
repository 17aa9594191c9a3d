import pytest

from lessons.models import Annotation, Answer, EvidenceLink, KeyEvidence, Submission
from lessons.services.anchoring import (
    QuoteNotFound,
    locate_quote,
    make_anchor,
    reanchor_span,
    update_passage_text,
)
from tests.factories import (
    AnnotationFactory,
    PassageFactory,
    QuestionFactory,
    StudentFactory,
)

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


# Re-anchoring after a passage is edited ---------------------------------------------------

PASSAGE = (
    "The commune system disrupted traditional agricultural practices. Private incentives "
    "disappeared, reducing productivity as peasants had little reason to work harder. "
    "Local cadres exaggerated production figures to please superiors, leading to inflated "
    "state grain requisitions. Grain was exported or diverted to cities."
)


def anchor_on(text: str, quote: str, occurrence: int = 1):
    start = -1
    for _ in range(occurrence):
        start = text.index(quote, start + 1)
    return make_anchor(text, start, start + len(quote))


def test_an_unchanged_text_keeps_the_anchor():
    anchor = anchor_on(PASSAGE, "exaggerated production figures")
    assert reanchor_span(anchor, PASSAGE) == anchor


def test_an_edit_before_the_quote_moves_the_offsets_with_the_words():
    anchor = anchor_on(PASSAGE, "exaggerated production figures")
    edited = "Under Mao, t" + PASSAGE[1:]
    found = reanchor_span(anchor, edited)
    assert found is not None
    assert edited[found.start : found.end] == "exaggerated production figures"
    assert found.start == anchor.start + len("Under Mao, ")


def test_a_new_paragraph_before_the_quote_moves_it_a_long_way():
    anchor = anchor_on(PASSAGE, "inflated state grain requisitions")
    edited = "A new first paragraph about the Great Leap Forward.\n\n" * 20 + PASSAGE
    found = reanchor_span(anchor, edited)
    assert edited[found.start : found.end] == "inflated state grain requisitions"


def test_an_edit_after_the_quote_keeps_it_in_place():
    anchor = anchor_on(PASSAGE, "Private incentives")
    edited = PASSAGE.replace("to cities.", "to the cities and abroad.")
    found = reanchor_span(anchor, edited)
    assert (found.start, found.end) == (anchor.start, anchor.end)


def test_an_edit_right_next_to_the_quote_still_finds_it():
    anchor = anchor_on(PASSAGE, "Local cadres")
    edited = PASSAGE.replace("Local cadres exaggerated", "Local cadres routinely exaggerated")
    found = reanchor_span(anchor, edited)
    assert edited[found.start : found.end] == "Local cadres"


def test_a_small_edit_inside_the_quote_is_followed():
    anchor = anchor_on(PASSAGE, "reducing productivity as peasants had little reason")
    edited = PASSAGE.replace("peasants had little", "peasants had very little")
    found = reanchor_span(anchor, edited)
    assert found is not None
    assert found.quote == "reducing productivity as peasants had very little reason"


def test_a_typo_fixed_inside_the_quote_is_followed():
    text = "Output was lover than expected because the communes were badly run."
    anchor = anchor_on(text, "Output was lover than expected")
    edited = text.replace("lover", "lower")
    found = reanchor_span(anchor, edited)
    assert found.quote == "Output was lower than expected"


def test_a_rewritten_quote_is_detached_not_moved():
    anchor = anchor_on(PASSAGE, "exaggerated production figures")
    edited = PASSAGE.replace("exaggerated production figures", "invented harvests")
    assert reanchor_span(anchor, edited) is None


def test_a_deleted_quote_is_detached():
    anchor = anchor_on(PASSAGE, "Private incentives disappeared")
    sentence = (
        "Private incentives disappeared, reducing productivity as peasants had little "
        "reason to work harder. "
    )
    edited = PASSAGE.replace(sentence, "")
    assert sentence not in edited
    assert reanchor_span(anchor, edited) is None


def test_a_quote_that_now_occurs_twice_stays_on_its_own_words():
    anchor = anchor_on(PASSAGE, "grain")
    # The teacher adds a sentence with the same word before the original one.
    edited = PASSAGE.replace(
        "Local cadres", "Every commune had a grain target of its own. Local cadres"
    )
    found = reanchor_span(anchor, edited)
    assert found is not None
    assert edited[found.start : found.end] == "grain"
    assert edited[found.start - 6 : found.end] == "state grain"


def test_of_two_identical_occurrences_the_nearest_is_chosen():
    text = "Steel. Steel. Steel."
    anchor = anchor_on(text, "Steel", occurrence=2)
    found = reanchor_span(anchor, text + " More.")
    assert found.start == anchor.start


def test_a_short_quote_whose_words_were_deleted_does_not_jump_to_another_occurrence():
    text = (
        "In 1958 the communes were set up across China in a matter of months. "
        "By 1961 the famine had killed millions, and Mao retreated from the front line."
    )
    anchor = anchor_on(text, "Mao")
    edited = "Mao launched the campaign with great speed. " + text.replace(
        "and Mao retreated from the front line.", "and the leadership changed course."
    )
    assert reanchor_span(anchor, edited) is None


def test_a_long_unique_quote_is_found_even_when_both_sides_were_rewritten():
    quote = "740,000 agricultural cooperatives were merged into about 26,000 communes"
    text = f"By 1958, {quote}, reorganising the countryside."
    anchor = anchor_on(text, quote)
    edited = f"Within a few months of the decision {quote} with very little preparation."
    found = reanchor_span(anchor, edited, old_text=text)
    assert found.quote == quote


def test_words_that_were_already_elsewhere_are_not_taken_for_deleted_ones():
    text = (
        "The first real instance of proto-industrialization came in the Chinese economy. "
        "It does not reflect the traditional image of proto-industrialization, many say."
    )
    anchor = anchor_on(text, "of proto-industrialization", occurrence=2)
    edited = text.replace(
        "It does not reflect the traditional image of proto-industrialization, ", ""
    )
    assert reanchor_span(anchor, edited, old_text=text) is None


def test_a_sentence_moved_elsewhere_takes_its_note_with_it():
    first = "Peng Dehuai criticised the Leap at the Lushan Conference in 1959. "
    rest = "Mao answered by purging him. Lin Biao replaced him as Defence Minister. "
    text = first + rest
    anchor = anchor_on(text, "criticised the Leap")
    edited = rest + first
    found = reanchor_span(anchor, edited, old_text=text)
    assert found.start == edited.index("criticised the Leap")


def make_answer(question):
    submission = Submission.objects.create(task=question.task, student=StudentFactory())
    return Answer.objects.create(submission=submission, question=question)


@pytest.mark.django_db
def test_editing_a_passage_reanchors_notes_evidence_and_key_evidence_in_one_go():
    passage = PassageFactory(text=PASSAGE)
    kept = AnnotationFactory(passage=passage, **anchor_on(PASSAGE, "Grain").as_fields())
    lost = AnnotationFactory(passage=passage, **anchor_on(PASSAGE, "Local cadres").as_fields())
    question = QuestionFactory()
    key = KeyEvidence.objects.create(
        question=question, passage=passage, **anchor_on(PASSAGE, "Private incentives").as_fields()
    )
    evidence = EvidenceLink.objects.create(
        answer=make_answer(question),
        passage=passage,
        **anchor_on(PASSAGE, "inflated state grain requisitions").as_fields(),
    )

    edited = "Introduction.\r\n\r\n" + PASSAGE.replace(
        "Local cadres exaggerated", "Officials faked"
    )
    report = update_passage_text(passage=passage, text=edited)

    passage.refresh_from_db()
    assert passage.text.startswith("Introduction.\n\nThe commune")  # line ends normalised
    for span in (kept, lost, key, evidence):
        span.refresh_from_db()
    assert passage.text[kept.start : kept.end] == "Grain" and not kept.detached
    assert passage.text[key.start : key.end] == "Private incentives" and not key.detached
    assert passage.text[evidence.start : evidence.end] == "inflated state grain requisitions"
    assert lost.detached
    assert lost.quote == "Local cadres"  # the old words are kept for re-attaching
    assert Annotation.objects.filter(passage=passage).count() == 2
    assert (report.moved, report.detached) == (3, 1)


@pytest.mark.django_db
def test_restoring_the_words_reattaches_a_detached_note():
    passage = PassageFactory(text=PASSAGE)
    note = AnnotationFactory(passage=passage, **anchor_on(PASSAGE, "Local cadres").as_fields())
    update_passage_text(passage=passage, text=PASSAGE.replace("Local cadres", "Officials"))
    note.refresh_from_db()
    assert note.detached
    report = update_passage_text(passage=passage, text=PASSAGE)
    note.refresh_from_db()
    assert not note.detached
    assert PASSAGE[note.start : note.end] == "Local cadres"
    assert report.reattached == 1


# Finding the words a teacher typed or selected ------------------------------------------


def test_a_selection_whose_offsets_match_is_taken_as_it_is():
    start = PASSAGE.index("grain", 200)
    assert locate_quote(PASSAGE, "grain", start=start, end=start + 5) == (start, start + 5)


def test_a_typed_quote_is_found_in_the_text():
    start = PASSAGE.index("Local cadres")
    assert locate_quote(PASSAGE, " Local cadres ") == (start, start + len("Local cadres"))


def test_a_typed_quote_with_straight_quotes_matches_curly_ones():
    text = "The People\u2019s Communes \u2013 each of about 5,000 households."
    start, end = locate_quote(text, "People's Communes - each")
    assert text[start:end] == "People\u2019s Communes \u2013 each"


def test_a_quote_that_is_not_in_the_passage_is_refused_with_a_message():
    with pytest.raises(QuoteNotFound, match="not in this passage"):
        locate_quote(PASSAGE, "backyard furnaces")


def test_an_ambiguous_quote_needs_an_occurrence():
    lowered = PASSAGE.lower()
    with pytest.raises(QuoteNotFound, match="appear 2 times"):
        locate_quote(lowered, "grain")
    second = lowered.index("grain", lowered.index("grain") + 1)
    assert locate_quote(lowered, "grain", occurrence=2) == (second, second + 5)
    with pytest.raises(QuoteNotFound, match="from 1 to 2"):
        locate_quote(lowered, "grain", occurrence=3)


@pytest.mark.parametrize("name", ["000_07e0603d7f093b63", "004_fd7a10ef0619c546"])
def test_random_edits_never_move_a_quote_to_other_words(name):
    import random
    from pathlib import Path

    source = (Path(__file__).parent.parent / f"seeds/raw/{name}.txt").read_text()
    text = source[1000:5000]
    rng = random.Random(4)
    words = text.split()
    lost = 0
    for _ in range(300):
        length = rng.choice([1, 1, 2, 3, 6])
        first = rng.randrange(len(words) - length)
        quote = " ".join(words[first : first + length])
        starts = [i for i in range(len(text)) if text.startswith(quote, i)]
        if not starts:  # the words were split by a line break
            continue
        start = rng.choice(starts)
        anchor = make_anchor(text, start, start + len(quote))
        # One edit: an insertion or a deletion beside the quote, or the quote deleted.
        kind = rng.random()
        if kind < 0.4:
            at = rng.choice([rng.randrange(0, start + 1), rng.randrange(anchor.end, len(text))])
            insert = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 12))) + " "
            edited = text[:at] + insert + text[at:]
            expected = start + len(insert) if at <= start else start
        elif kind < 0.8:
            if start > 40 and rng.random() < 0.5:
                a = rng.randrange(0, start - 20)
                b = rng.randrange(a + 1, start)
                expected = start - (b - a)
            else:
                a = rng.randrange(anchor.end, len(text) - 1)
                b = rng.randrange(a + 1, len(text))
                expected = start
            edited = text[:a] + text[b:]
        else:
            a = max(0, start - rng.randrange(0, 50))
            b = min(len(text), anchor.end + rng.randrange(0, 50))
            edited = text[:a] + text[b:]
            expected = None
        found = reanchor_span(anchor, edited, old_text=text)
        if found is None:
            lost += expected is not None
            continue
        # The same words, never the same word somewhere else.
        assert expected is not None, (quote, found)
        assert found.start == expected, (quote, found.start, expected)
        assert edited[found.start : found.end] == quote
    assert lost == 0
