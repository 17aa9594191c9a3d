"""The evidence services: quoting into answers and anchoring, re-anchoring after an edit,
what counts as evidence, key evidence, the heat map, topics and what sources claim."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.models import Annotation, Answer, EvidenceLink, Submission, Task, Topic
from lessons.services.answering import AnswerRefused, save_answer, submit
from lessons.services.evidence import (
    MAX_QUOTE_CHARS,
    EvidenceRefused,
    QuoteConflict,
    add_evidence,
    add_key_evidence,
    claims_by_topic,
    comparable,
    evidence_used,
    get_or_create_topic,
    heat_band,
    heat_segments,
    key_evidence_used,
    marking_evidence,
    quotation_heatmap,
    quotation_text,
    quote_in_text,
    quote_into_answer,
    remove_evidence,
    student_evidence,
    topic_claims,
)
from lessons.services.lessons import add_annotation, change_annotation, update_passage

from .factories import (
    AnnotationFactory,
    AnswerFactory,
    EvidenceLinkFactory,
    KeyEvidenceFactory,
    LessonFactory,
    PassageFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
    TopicFactory,
    make_points_question,
)

TEXT = (
    "The Lushan Conference of July 1959 turned on Peng Dehuai. Peng had written to Mao "
    "about the famine; Mao called the letter an attack. After Lushan the campaign "
    "against right opportunism silenced every critic, and the famine deepened."
)


@pytest.fixture
def passage(db):
    return PassageFactory(
        text=TEXT, heading="Lushan", lesson=LessonFactory(title="Political origins")
    )


@pytest.fixture
def task(teacher, school_class, passage):
    return TaskFactory(owner=teacher, classes=[school_class], lessons=[passage.lesson])


@pytest.fixture
def question(task):
    return make_points_question(task=task)


@pytest.fixture
def submission(task, student):
    return SubmissionFactory(task=task, student=student)


def span(words, occurrence=1, text=TEXT):
    start = -1
    for _ in range(occurrence):
        start = text.index(words, start + 1)
    return start, start + len(words)


# Quoting and anchoring ------------------------------------------------------------------


def test_a_selection_becomes_a_link_anchored_like_an_annotation(submission, question, passage):
    start, end = span("Lushan Conference of July 1959")
    link = add_evidence(
        submission=submission, question=question, passage=passage, start=start, end=end
    )
    assert (link.start, link.end) == (start, end)
    assert link.quote == "Lushan Conference of July 1959"
    assert link.prefix == TEXT[:start] and link.suffix == TEXT[end : end + 32]
    assert link.passage == passage and not link.detached
    # The answer is made empty at version 0, so the page's next save (based on 0) fits.
    answer = Answer.objects.get(submission=submission, question=question)
    assert (answer.text, answer.version) == ("", 0)
    assert link.answer == answer


def test_spaces_either_side_of_a_selection_are_not_quoted(submission, question, passage):
    start, end = span(" Peng Dehuai. ")
    link = add_evidence(
        submission=submission, question=question, passage=passage, start=start, end=end
    )
    assert link.quote == "Peng Dehuai."


def test_typed_words_are_found_and_a_repeated_phrase_needs_its_occurrence(
    submission, question, passage
):
    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(submission=submission, question=question, passage=passage, quote="famine")
    assert refused.value.field == "occurrence"
    link = add_evidence(
        submission=submission, question=question, passage=passage, quote="famine", occurrence=2
    )
    assert (link.start, link.end) == span("famine", occurrence=2)


def test_typed_words_forgive_curly_quotes_and_spacing(submission, question, passage):
    link = add_evidence(
        submission=submission,
        question=question,
        passage=passage,
        quote="Mao  called\nthe letter",
    )
    assert link.quote == "Mao called the letter"


def test_words_not_in_the_passage_are_refused_and_nothing_is_made(submission, question, passage):
    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(
            submission=submission, question=question, passage=passage, quote="Great Famine"
        )
    assert refused.value.field == "words"
    assert not EvidenceLink.objects.exists()


def test_a_passage_of_another_lesson_than_the_tasks_is_refused(submission, question):
    elsewhere = PassageFactory(text=TEXT)
    with pytest.raises(EvidenceRefused) as refused:
        add_evidence(
            submission=submission, question=question, passage=elsewhere, quote="Peng Dehuai"
        )
    assert refused.value.field == "passage"
    assert not EvidenceLink.objects.exists()


def test_a_quotation_longer_than_the_limit_is_refused(task, submission, question):
    long_passage = PassageFactory(lesson=task.lessons.get(), text="word " * MAX_QUOTE_CHARS)
    with pytest.raises(EvidenceRefused, match="at most"):
        add_evidence(
            submission=submission,
            question=question,
            passage=long_passage,
            start=0,
            end=MAX_QUOTE_CHARS + 10,
        )


def test_quoting_the_same_words_twice_keeps_one_link(submission, question, passage):
    start, end = span("Peng Dehuai")
    first = add_evidence(
        submission=submission, question=question, passage=passage, start=start, end=end
    )
    again = add_evidence(
        submission=submission, question=question, passage=passage, quote="Peng Dehuai"
    )
    assert again == first and EvidenceLink.objects.count() == 1


def test_quoting_into_submitted_or_closed_work_is_refused(task, submission, question, passage):
    submit(submission=submission)
    with pytest.raises(AnswerRefused) as refused:
        add_evidence(submission=submission, question=question, passage=passage, quote="Peng Dehuai")
    assert refused.value.code == "submitted"
    open_work = SubmissionFactory(task=task, student=StudentFactory())
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSED)
    with pytest.raises(AnswerRefused) as refused:
        add_evidence(submission=open_work, question=question, passage=passage, quote="Peng Dehuai")
    assert refused.value.code == "closed"
    assert not EvidenceLink.objects.exists()


def test_quoting_after_the_due_time_of_a_task_refusing_late_work_is_refused(
    task, submission, question, passage
):
    Task.objects.filter(pk=task.pk).update(late_policy=Task.LatePolicy.REFUSE)
    later = task.due_at + timedelta(minutes=1)
    with pytest.raises(AnswerRefused) as refused:
        add_evidence(
            submission=submission, question=question, passage=passage, quote="Peng", now=later
        )
    assert refused.value.code == "past_due"


def test_the_quotation_names_its_source_and_heading(passage):
    assert (
        quotation_text(quote="the famine\n deepened", passage=passage)
        == "\u201cthe famine deepened\u201d (Political origins, Lushan)"
    )
    passage.heading = ""
    assert quotation_text(quote="x", passage=passage) == "\u201cx\u201d (Political origins)"


# Without JavaScript: quoting appends to the saved answer -----------------------------------


def test_quote_into_answer_links_and_appends_in_one_save(submission, question, passage):
    save_answer(submission=submission, question=question, text="Mao purged Peng.", base_version=0)
    result = quote_into_answer(
        submission=submission,
        question=question,
        passage=passage,
        base_version=1,
        quote="silenced every critic",
    )
    answer = Answer.objects.get(submission=submission, question=question)
    assert answer.text == (
        "Mao purged Peng. \u201csilenced every critic\u201d (Political origins, Lushan)"
    )
    assert (result.version, answer.version) == (2, 2)
    assert evidence_used(answer=answer) == [result.link]


def test_quote_into_answer_based_on_an_old_version_changes_nothing(submission, question, passage):
    save_answer(submission=submission, question=question, text="First.", base_version=0)
    save_answer(submission=submission, question=question, text="Second tab.", base_version=1)
    with pytest.raises(QuoteConflict):
        quote_into_answer(
            submission=submission,
            question=question,
            passage=passage,
            base_version=1,
            quote="Peng Dehuai",
        )
    assert Answer.objects.get(submission=submission, question=question).text == "Second tab."
    assert not EvidenceLink.objects.exists()


def test_removing_a_quotation_keeps_the_answer_and_is_refused_after_submitting(
    submission, question, passage
):
    first = add_evidence(
        submission=submission, question=question, passage=passage, quote="Peng Dehuai"
    )
    second = add_evidence(
        submission=submission, question=question, passage=passage, quote="Mao called"
    )
    remove_evidence(link=first)
    assert list(EvidenceLink.objects.all()) == [second]
    submit(submission=submission)
    with pytest.raises(AnswerRefused):
        remove_evidence(link=second)
    assert EvidenceLink.objects.filter(pk=second.pk).exists()


# Re-anchoring when the teacher edits the passage ----------------------------------------


def test_a_quotation_moves_with_its_words_when_the_passage_is_edited(submission, question, passage):
    link = add_evidence(
        submission=submission, question=question, passage=passage, quote="silenced every critic"
    )
    key = add_key_evidence(question=question, passage=passage, quote="Lushan Conference")
    update_passage(
        passage=passage,
        heading="Lushan",
        kind="text",
        text="In the summer of 1959 the party met in the mountains. " + TEXT,
    )
    link.refresh_from_db()
    key.refresh_from_db()
    new_text = passage.text
    assert new_text[link.start : link.end] == "silenced every critic" and not link.detached
    assert new_text[key.start : key.end] == "Lushan Conference" and not key.detached


def test_a_quotation_whose_words_were_deleted_is_detached_not_moved(submission, question, passage):
    link = add_evidence(
        submission=submission, question=question, passage=passage, quote="silenced every critic"
    )
    update_passage(
        passage=passage,
        heading="Lushan",
        kind="text",
        text=TEXT.replace("silenced every critic", "ended open debate"),
    )
    link.refresh_from_db()
    assert link.detached and link.quote == "silenced every critic"


# What counts as evidence ----------------------------------------------------------------


def test_comparison_ignores_spacing_quotes_dashes_and_case():
    assert comparable("  \u201cMan\u2019s  will\u201d\n\u2013 could ") == '"man\'s will" - could'
    assert quote_in_text("Mao\u2019s ambition", "as MAO'S   AMBITION shows")
    assert not quote_in_text("Mao's ambition", "Mao had ambitions")
    assert not quote_in_text("   ", "anything")


def test_only_quotations_still_in_the_answer_count_as_evidence(submission, question, passage):
    kept = add_evidence(
        submission=submission, question=question, passage=passage, quote="Peng Dehuai"
    )
    deleted = add_evidence(
        submission=submission, question=question, passage=passage, quote="the famine deepened"
    )
    save_answer(
        submission=submission,
        question=question,
        text="\u201cPeng Dehuai\u201d (Political origins, Lushan) wrote to Mao.",
        base_version=0,
    )
    answer = Answer.objects.get(submission=submission, question=question)
    assert evidence_used(answer=answer) == [kept]
    listed = student_evidence(submission=submission)[question.pk]
    assert [(item.link, item.in_answer) for item in listed] == [(kept, True), (deleted, False)]


def test_key_evidence_counts_as_used_when_a_quotation_overlaps_it(
    submission, question, passage, task
):
    lushan = add_key_evidence(
        question=question, passage=passage, quote="Lushan Conference of July 1959"
    )
    critic = add_key_evidence(question=question, passage=passage, quote="silenced every critic")
    letter = add_key_evidence(question=question, passage=passage, quote="Mao called the letter")
    other = PassageFactory(lesson=task.lessons.get(), text=TEXT)
    elsewhere = add_key_evidence(question=question, passage=other, quote="Peng Dehuai")
    # Overlaps the end of the Lushan span; touches the critic span without overlapping;
    # the same words as `elsewhere` but in another passage; a link no longer in the text.
    add_evidence(submission=submission, question=question, passage=passage, quote="July 1959")
    start, _ = span("silenced every critic")
    add_evidence(
        submission=submission, question=question, passage=passage, start=start - 7, end=start
    )
    add_evidence(submission=submission, question=question, passage=passage, quote="Peng Dehuai")
    add_evidence(submission=submission, question=question, passage=passage, quote="the letter")
    save_answer(
        submission=submission,
        question=question,
        text="In July 1959 Peng Dehuai was purged. The campaign against right opportunism",
        base_version=0,
    )
    answer = Answer.objects.get(submission=submission, question=question)
    used = {use.key: use.used for use in key_evidence_used(answer=answer)}
    assert used == {lushan: True, critic: False, letter: False, elsewhere: False}


def test_marking_evidence_highlights_the_quotations_and_key_evidence(submission, question, passage):
    key = add_key_evidence(
        question=question, passage=passage, quote="Lushan Conference", description="Lushan"
    )
    link = add_evidence(
        submission=submission, question=question, passage=passage, quote="Peng Dehuai"
    )
    add_evidence(
        submission=submission, question=question, passage=passage, quote="the famine deepened"
    )
    save_answer(
        submission=submission, question=question, text="Peng Dehuai was purged.", base_version=0
    )
    answer = Answer.objects.get(submission=submission, question=question)
    evidence = marking_evidence(answer=answer)
    assert evidence.count == 1 and evidence.used == [link]
    assert evidence.passage_ids == [passage.pk]
    spans = {(s.start, s.end, s.css, s.label) for s in evidence.spans[passage.pk]}
    assert spans == {
        (link.start, link.end, "evidence", "Quoted by the student"),
        (key.start, key.end, "key-evidence", "Key evidence: Lushan"),
    }
    assert [(use.key, use.used) for use in evidence.key] == [(key, False)]


# The heat map ---------------------------------------------------------------------------


def quote_as(student, task, question, passage, words, *, keep=True):
    submission, _ = Submission.objects.get_or_create(task=task, student=student)
    link = add_evidence(submission=submission, question=question, passage=passage, quote=words)
    answer = Answer.objects.get(pk=link.answer_id)
    if keep:
        Answer.objects.filter(pk=answer.pk).update(text=answer.text + " " + words)
    return link


def test_the_heat_map_counts_students_per_range_not_quotations(task, question, passage):
    first, second, third = (StudentFactory() for _ in range(3))
    quote_as(first, task, question, passage, "Lushan Conference of July 1959")
    quote_as(first, task, question, passage, "Conference of July")  # inside the first: once
    quote_as(second, task, question, passage, "July 1959 turned")
    quote_as(third, task, question, passage, "Peng Dehuai", keep=False)  # deleted: not counted
    other = PassageFactory(lesson=passage.lesson, text="Another passage nobody quoted.")
    heat = quotation_heatmap(task=task)
    assert (heat.students, heat.quotations, heat.most) == (2, 3, 2)
    lushan = heat.for_passage(passage.pk)
    assert (lushan.students, lushan.quotations) == (2, 3)
    a, b = span("Lushan Conference of July 1959")
    c, d = span("July 1959 turned")
    assert lushan.ranges == [(a, c, 1), (c, b, 2), (b, d, 1)]
    assert heat.for_passage(other.pk).students == 0
    segments = heat_segments(passage.text, lushan, heat.most)
    assert "".join(segment.text for segment in segments) == passage.text
    assert [(s.text, s.students, s.band) for s in segments if s.students] == [
        ("Lushan Conference of ", 1, 2),
        ("July 1959", 2, 4),
        (" turned", 1, 2),
    ]


def test_the_heat_map_can_show_one_question(task, question, passage):
    other_question = make_points_question(task=task)
    student = StudentFactory()
    quote_as(student, task, question, passage, "Peng Dehuai")
    quote_as(student, task, other_question, passage, "the famine deepened")
    heat = quotation_heatmap(task=task, question=other_question)
    assert heat.quotations == 1
    assert heat.for_passage(passage.pk).ranges == [(*span("the famine deepened"), 1)]


def test_the_heat_map_takes_two_queries_however_many_students(task, question, passage):
    def count():
        with CaptureQueriesContext(connection) as captured:
            quotation_heatmap(task=task)
        return len(captured)

    quote_as(StudentFactory(), task, question, passage, "Peng Dehuai")
    assert count() == 2
    for _ in range(8):
        quote_as(StudentFactory(), task, question, passage, "famine deepened")
    assert count() == 2


@pytest.mark.parametrize(
    "count,most,band", [(0, 4, 0), (1, 4, 1), (2, 4, 2), (3, 4, 3), (4, 4, 4), (1, 100, 1)]
)
def test_heat_bands_run_from_few_to_the_most(count, most, band):
    assert heat_band(count, most) == band


# Topics and claims ----------------------------------------------------------------------


def test_a_topic_named_again_in_other_words_is_the_same_topic(db):
    deaths = get_or_create_topic(name="  Famine   deaths ")
    assert (deaths.name, deaths.slug) == ("Famine deaths", "famine-deaths")
    assert get_or_create_topic(name="famine DEATHS") == deaths
    Topic.objects.create(name="Other", slug="famine-deaths-2")
    clash = get_or_create_topic(name="Famine-deaths")
    assert clash.slug == "famine-deaths-3"
    with pytest.raises(EvidenceRefused):
        get_or_create_topic(name="   ")


def test_only_claims_have_a_topic_and_a_new_one_is_made_on_the_way(passage, teacher):
    start, end = span("Peng Dehuai")
    claim = add_annotation(
        passage=passage,
        author=teacher,
        kind=Annotation.Kind.CLAIM,
        note="A claim.",
        start=start,
        end=end,
        new_topic="Who opposed Mao",
    )
    assert claim.topic.name == "Who opposed Mao"
    term = add_annotation(
        passage=passage,
        author=teacher,
        kind=Annotation.Kind.KEY_TERM,
        note="A term.",
        start=start,
        end=end,
        topic=claim.topic,
    )
    assert term.topic is None
    change_annotation(annotation=claim, kind=Annotation.Kind.CONTEXT, note="Now context.")
    claim.refresh_from_db()
    assert claim.topic is None


def test_topic_claims_are_grouped_by_lesson_claims_only_and_attached_only(db):
    topic = TopicFactory(name="Famine deaths")
    other_topic = TopicFactory()
    a = PassageFactory(lesson=LessonFactory(title="A source"), text=TEXT)
    b = PassageFactory(lesson=LessonFactory(title="B source"), text=TEXT)
    silent = LessonFactory(title="C source")
    first = AnnotationFactory(passage=a, kind="claim", topic=topic, start=4, end=10)
    second = AnnotationFactory(passage=a, kind="claim", topic=topic, start=0, end=3)
    third = AnnotationFactory(passage=b, kind="claim", topic=topic)
    AnnotationFactory(passage=b, kind="claim", topic=topic, detached=True)
    AnnotationFactory(passage=b, kind="context", topic=topic)
    AnnotationFactory(passage=b, kind="claim", topic=other_topic)
    columns = topic_claims(topic=topic)
    assert [(c.lesson.title, c.claims) for c in columns] == [
        ("A source", [second, first]),
        ("B source", [third]),
    ]
    # For a task: its lessons only, each with a column, in the order given.
    columns = topic_claims(topic=topic, lessons=[silent, b.lesson])
    assert [(c.lesson.title, c.claims) for c in columns] == [
        ("C source", []),
        ("B source", [third]),
    ]


def test_claims_for_several_topics_take_one_query(db):
    topics = [TopicFactory() for _ in range(3)]
    passage = PassageFactory(text=TEXT)
    for topic in topics:
        AnnotationFactory(passage=passage, kind="claim", topic=topic)
    visible = Annotation.objects.filter(author__isnull=True)
    with CaptureQueriesContext(connection) as captured:
        found = claims_by_topic(topics=topics, lessons=[passage.lesson], annotations=visible)
        titles = [c.lesson.title for columns in found.values() for c in columns]
    assert len(captured) == 1
    assert titles == [passage.lesson.title] * 3


def test_an_answer_in_another_submission_is_never_linked(task, question, passage):
    mine = SubmissionFactory(task=task, student=StudentFactory())
    other_task_question = make_points_question(task=TaskFactory())
    with pytest.raises(ValueError):
        add_evidence(
            submission=mine, question=other_task_question, passage=passage, quote="Peng Dehuai"
        )
    answer = AnswerFactory(submission=mine, question=question, text="x")
    link = add_evidence(answer=answer, passage=passage, quote="Peng Dehuai")
    assert link.answer == answer


def test_key_evidence_refuses_a_passage_outside_the_task_and_duplicates(question, passage):
    with pytest.raises(EvidenceRefused) as refused:
        add_key_evidence(question=question, passage=PassageFactory(text=TEXT), quote="Peng Dehuai")
    assert refused.value.field == "passage"
    add_key_evidence(question=question, passage=passage, quote="Peng Dehuai", description="P")
    with pytest.raises(EvidenceRefused, match="already"):
        add_key_evidence(question=question, passage=passage, quote="Peng Dehuai")
    assert question.key_evidence.count() == 1


def test_factories_make_links_that_count_when_their_words_are_in_the_answer(db):
    link = EvidenceLinkFactory()
    answer = link.answer
    Answer.objects.filter(pk=answer.pk).update(text=f"As it says, {link.quote}.")
    answer.refresh_from_db()
    assert evidence_used(answer=answer) == [link]
    KeyEvidenceFactory(question=answer.question, passage=link.passage, start=50, end=58)
    assert [use.used for use in key_evidence_used(answer=answer)] == [True]
