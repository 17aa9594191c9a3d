"""The evidence pages: quoting on the student's task page (htmx and plain forms), evidence
and key evidence while marking, key evidence and comparison topics in the task editor, the
quotation heat map, topic pages, claims' topics in the reader, and who may reach each URL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from lessons.models import Annotation, Answer, EvidenceLink, KeyEvidence, Submission, Task, Topic
from lessons.services.answering import get_or_start_submission, save_answer, submit
from lessons.services.evidence import add_evidence, add_key_evidence

from .factories import (
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    StudentFactory,
    TaskFactory,
    TeacherFactory,
    TopicFactory,
    make_levels_question,
    make_points_question,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = (
    "The Lushan Conference of July 1959 turned on Peng Dehuai. Peng had written to Mao "
    "about the famine; Mao called the letter an attack. After Lushan the campaign "
    "against right opportunism silenced every critic, and the famine deepened."
)
LUSHAN = "\u201cLushan Conference of July 1959\u201d (Political origins, Lushan)"


@pytest.fixture
def passage(db):
    return PassageFactory(
        text=TEXT, heading="Lushan", lesson=LessonFactory(title="Political origins")
    )


@pytest.fixture
def task(teacher, school_class, passage):
    task = TaskFactory(
        owner=teacher, classes=[school_class], lessons=[passage.lesson], title="The Leap"
    )
    question = make_points_question(task=task)
    question.linked_passages.add(passage)
    make_levels_question(task=task)
    return task


@pytest.fixture
def q1(task):
    return task.questions.order_by("order", "id")[0]


@pytest.fixture
def q2(task):
    return task.questions.order_by("order", "id")[1]


@pytest.fixture
def classmate(school_class):
    mate = StudentFactory(username="cal_classmate")
    school_class.enrolments.create(student=mate)
    return mate


def task_url(task):
    return reverse("student_task", args=[task.pk])


def add_url(task, question):
    return reverse("evidence_add", args=[task.pk, question.pk])


def quote_fields(question, passage, words="", start=None, end=None, occurrence=""):
    prefix = f"q{question.pk}-quote"
    return {
        f"{prefix}-passage": str(passage.pk) if passage else "",
        f"{prefix}-words": words,
        f"{prefix}-occurrence": str(occurrence),
        f"{prefix}-start": "" if start is None else str(start),
        f"{prefix}-end": "" if end is None else str(end),
    }


def answer_fields(question, text, version=0):
    return {f"q{question.pk}-text": text, f"q{question.pk}-version": str(version)}


def selection(words):
    start = TEXT.index(words)
    return start, start + len(words)


def quote(student, task, question, passage, words, *, in_answer=True):
    """A student's quotation through the services, kept in (or left out of) the answer."""
    submission = get_or_start_submission(task=task, student=student)
    link = add_evidence(submission=submission, question=question, passage=passage, quote=words)
    if in_answer:
        answer = Answer.objects.get(pk=link.answer_id)
        save_answer(
            submission=submission,
            question=question,
            text=f"{answer.text} \u201c{words}\u201d",
            base_version=answer.version,
        )
    return link


# Quoting with the page's script (htmx) --------------------------------------------------


def test_quoting_a_selection_links_it_and_sends_the_quotation_to_insert(
    student_client, student, task, q1, passage
):
    start, end = selection("Lushan Conference of July 1959")
    response = student_client.post(
        add_url(task, q1),
        {**quote_fields(q1, passage, "Lushan Conference of July 1959", start, end), "owner": ""},
        **HTMX,
    )
    assert response.status_code == 200
    link = EvidenceLink.objects.get()
    assert (link.start, link.end, link.passage) == (start, end, passage)
    assert link.answer.submission.student == student and link.answer.question == q1
    html = response.content.decode()
    assert f'data-new-quotation="{escape(LUSHAN)}"' in html
    assert f'id="answer-{q1.pk}-evidence"' in html
    assert 'Evidence quoted <span class="evidence-block__count">(1)</span>' in html


def test_typed_words_not_in_the_passage_come_back_with_the_error_and_the_words(
    student_client, task, q1, passage
):
    fields = quote_fields(q1, passage, "The Great Famine")
    response = student_client.post(add_url(task, q1), fields, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "These words are not in this passage" in html
    assert "The Great Famine</textarea>" in html
    assert not EvidenceLink.objects.exists()
    assert not Submission.objects.exists()  # a refused quotation starts nothing


def test_words_that_appear_twice_ask_which_occurrence(student_client, task, q1, passage):
    response = student_client.post(add_url(task, q1), quote_fields(q1, passage, "famine"), **HTMX)
    assert response.status_code == 422
    assert "appear 2 times" in response.content.decode()
    response = student_client.post(
        add_url(task, q1), quote_fields(q1, passage, "famine", occurrence=2), **HTMX
    )
    assert response.status_code == 200
    assert EvidenceLink.objects.get().start == TEXT.index("famine deepened")


def test_a_quotation_needs_its_passage(student_client, task, q1):
    response = student_client.post(add_url(task, q1), quote_fields(q1, None, "Peng"), **HTMX)
    assert response.status_code == 422
    assert "Choose the passage the words are from." in response.content.decode()


def test_a_passage_of_another_lesson_is_not_a_choice(student_client, task, q1):
    elsewhere = PassageFactory(text=TEXT)
    response = student_client.post(
        add_url(task, q1), quote_fields(q1, elsewhere, "Peng Dehuai"), **HTMX
    )
    assert response.status_code == 422
    assert not EvidenceLink.objects.exists()


def test_quoting_into_submitted_work_is_refused(student_client, student, task, q1, passage):
    submit(submission=get_or_start_submission(task=task, student=student))
    response = student_client.post(
        add_url(task, q1), quote_fields(q1, passage, "Peng Dehuai"), **HTMX
    )
    assert response.status_code == 409
    assert "Not quoted. This task was submitted" in response.content.decode()
    assert not EvidenceLink.objects.exists()


def test_quoting_into_a_closed_task_starts_nothing(student_client, task, q1, passage):
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSED)
    response = student_client.post(
        add_url(task, q1), quote_fields(q1, passage, "Peng Dehuai"), **HTMX
    )
    assert response.status_code == 409
    assert not Submission.objects.exists()


def test_a_page_opened_by_another_account_quotes_nothing(
    student_client, student, task, q1, passage
):
    fields = {**quote_fields(q1, passage, "Peng Dehuai"), "owner": str(student.pk + 1000)}
    response = student_client.post(add_url(task, q1), fields, **HTMX)
    assert response.status_code == 401
    assert not EvidenceLink.objects.exists()


# Quoting without JavaScript: the whole answers form is posted ---------------------------


def test_without_javascript_answers_are_saved_then_the_quotation_appended(
    student_client, student, task, q1, q2, passage
):
    data = {
        **answer_fields(q1, "Mao purged his critics."),
        **answer_fields(q2, "A famine followed."),
        **quote_fields(q1, passage, "Lushan Conference of July 1959"),
        "owner": str(student.pk),
        "quote": str(q1.pk),
    }
    response = student_client.post(add_url(task, q1), data)
    assert response.status_code == 302
    assert response["Location"] == task_url(task) + f"#question-{q1.pk}"
    first = Answer.objects.get(question=q1)
    assert first.text == f"Mao purged his critics. {LUSHAN}"
    assert first.version == 2
    assert Answer.objects.get(question=q2).text == "A famine followed."
    assert EvidenceLink.objects.get().answer == first
    page = student_client.get(task_url(task)).content.decode()
    assert "the quotation was added to the end of your answer" in page


def test_without_javascript_a_changed_answer_is_shown_both_ways_and_nothing_is_quoted(
    student_client, student, task, q1, passage
):
    submission = get_or_start_submission(task=task, student=student)
    save_answer(submission=submission, question=q1, text="From the other tab.", base_version=0)
    data = {
        **answer_fields(q1, "From this page.", version=0),
        **quote_fields(q1, passage, "Peng Dehuai"),
        "owner": str(student.pk),
    }
    response = student_client.post(add_url(task, q1), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "From the other tab." in html and "From this page." in html
    assert "Peng Dehuai</textarea>" in html  # the words typed to quote are kept too
    assert not EvidenceLink.objects.exists()
    assert Answer.objects.get(question=q1).text == "From the other tab."


def test_without_javascript_words_not_found_keep_the_saved_answer_and_show_the_error(
    student_client, student, task, q1, passage
):
    data = {
        **answer_fields(q1, "Typed before quoting."),
        **quote_fields(q1, passage, "nowhere in the text"),
        "owner": str(student.pk),
    }
    response = student_client.post(add_url(task, q1), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "These words are not in this passage" in html
    assert "nowhere in the text</textarea>" in html
    assert Answer.objects.get(question=q1).text == "Typed before quoting."
    assert not EvidenceLink.objects.exists()


# Removing a quotation -------------------------------------------------------------------


def test_removing_a_quotation_with_htmx_keeps_the_answer_text(
    student_client, student, task, q1, passage
):
    link = quote(student, task, q1, passage, "Peng Dehuai")
    response = student_client.post(
        reverse("evidence_remove", args=[link.pk]), {"owner": str(student.pk)}, **HTMX
    )
    assert response.status_code == 200
    assert "Removed from the evidence" in response.content.decode()
    assert not EvidenceLink.objects.exists()
    assert "Peng Dehuai" in Answer.objects.get(question=q1).text


def test_removing_without_javascript_saves_the_answers_first(
    student_client, student, task, q1, passage
):
    link = quote(student, task, q1, passage, "Peng Dehuai")
    answer = Answer.objects.get(question=q1)
    data = {**answer_fields(q1, "Rewritten.", version=answer.version), "owner": str(student.pk)}
    response = student_client.post(reverse("evidence_remove", args=[link.pk]), data)
    assert response.status_code == 302
    assert Answer.objects.get(question=q1).text == "Rewritten."
    assert not EvidenceLink.objects.exists()


def test_a_submitted_answers_quotation_cannot_be_removed(
    student_client, student, task, q1, passage
):
    link = quote(student, task, q1, passage, "Peng Dehuai")
    submit(submission=link.answer.submission)
    response = student_client.post(reverse("evidence_remove", args=[link.pk]), **HTMX)
    assert response.status_code == 409
    assert EvidenceLink.objects.filter(pk=link.pk).exists()


# The student's task page ----------------------------------------------------------------


def test_the_task_page_lists_quotations_and_flags_those_no_longer_in_the_answer(
    student_client, student, task, q1, passage
):
    kept = quote(student, task, q1, passage, "Peng Dehuai")
    quote(student, task, q1, passage, "silenced every critic", in_answer=False)
    html = student_client.get(task_url(task)).content.decode()
    assert 'Evidence quoted <span class="evidence-block__count">(2)</span>' in html
    assert html.count("evidence-item--missing") == 1
    assert html.count("data-missing hidden") == 1  # the kept one's flag is hidden
    assert reverse("evidence_remove", args=[kept.pk]) in html
    # The student's own quotations are highlighted in the source.
    assert 'class="evidence" title="Your quotation">Peng Dehuai</mark>' in html
    # The quote form offers the task's passages.
    assert f'<option value="{passage.pk}">' in html


def test_submitted_work_lists_its_quotations_without_remove_buttons(
    student_client, student, task, q1, passage
):
    link = quote(student, task, q1, passage, "Peng Dehuai")
    submit(submission=link.answer.submission)
    html = student_client.get(task_url(task)).content.decode()
    assert "Peng Dehuai</q>" in html
    assert reverse("evidence_remove", args=[link.pk]) not in html
    assert "Type or paste a quotation" not in html


@pytest.fixture
def deaths(task, passage, teacher, outsider_teacher):
    """A topic with claims: two in the task's lesson (one by an outsider, whose notes the
    task's students never see), one in a lesson the task does not use."""
    topic = TopicFactory(name="Famine deaths", slug="famine-deaths")
    start = TEXT.index("the famine deepened")
    AnnotationFactory(
        passage=passage,
        kind="claim",
        topic=topic,
        author=teacher,
        start=start,
        end=start + 19,
        note="Our claim note.",
    )
    AnnotationFactory(
        passage=passage, kind="claim", topic=topic, author=outsider_teacher, note="Outsider note."
    )
    AnnotationFactory(
        passage=PassageFactory(text=TEXT, lesson=LessonFactory(title="Not in the task")),
        kind="claim",
        topic=topic,
        note="Elsewhere note.",
    )
    return topic


def test_a_comparison_question_shows_the_claims_of_the_tasks_lessons_only(
    student_client, task, q2, deaths
):
    q2.topic = deaths
    q2.save()
    html = student_client.get(task_url(task)).content.decode()
    assert "Compare the sources: Famine deaths" in html
    assert "Our claim note." in html
    assert "Outsider note." not in html and "Elsewhere note." not in html
    assert "\u201cthe famine deepened\u201d</blockquote>" in html
    note = Annotation.objects.get(note="Our claim note.")
    assert f'href="#hl-{note.pk}" data-show-source' in html
    assert html.count("Compare the sources:") == 1


def test_the_task_page_queries_do_not_grow_with_quotations_or_comparisons(
    client, teacher, student, school_class, django_assert_num_queries
):
    def build(questions, quotations):
        lesson = LessonFactory()
        passages = [PassageFactory(lesson=lesson, text=TEXT) for _ in range(quotations)]
        task = TaskFactory(owner=teacher, classes=[school_class], lessons=[lesson])
        for _ in range(questions):
            question = make_points_question(task=task)
            question.topic = TopicFactory()
            question.save()
            for passage in passages:
                AnnotationFactory(passage=passage, kind="claim", topic=question.topic)
                quote(student, task, question, passage, "Peng Dehuai")
        return task

    small, large = build(1, 1), build(4, 3)
    client.force_login(student)
    client.get(task_url(small))
    with django_assert_num_queries(13) as captured:
        assert client.get(task_url(small)).status_code == 200
    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get(task_url(large)).status_code == 200


# Marking --------------------------------------------------------------------------------


@pytest.fixture
def marked_work(task, q1, passage, student):
    """Submitted work quoting twice in its text, once more in words since deleted, with two
    key evidence spans on question 1 (one used)."""
    add_key_evidence(
        question=q1, passage=passage, quote="Lushan Conference of July", description="Lushan"
    )
    add_key_evidence(question=q1, passage=passage, quote="the famine deepened", description="Toll")
    links = [
        quote(student, task, q1, passage, "July 1959"),
        quote(student, task, q1, passage, "silenced every critic"),
        quote(student, task, q1, passage, "Mao called the letter", in_answer=False),
    ]
    submit(submission=links[0].answer.submission)
    return links


def test_the_marker_sees_the_evidence_used_and_the_key_evidence_ticked(
    teacher_client, task, q1, marked_work
):
    used, critic, deleted = marked_work
    submission = used.answer.submission
    for url in (
        reverse("mark_by_question", args=[task.pk, q1.pk]) + f"?submission={submission.pk}",
        reverse("mark_by_student", args=[task.pk, submission.pk]),
    ):
        html = teacher_client.get(url).content.decode()
        assert "Evidence used: <span data-evidence-count>2</span>" in html
        assert "key evidence used: 1 of 2" in html
        assert f'id="evidence-{used.pk}"' in html and f'id="evidence-{critic.pk}"' in html
        assert f'id="evidence-{deleted.pk}"' not in html
        assert "Mao called the letter</q>" not in html
        assert '<span class="key-list__state">Used:</span>' in html
        assert '<span class="key-list__state">Not used:</span>' in html
        # Quotation over key evidence shows both.
        assert 'class="evidence key-evidence"' in html
        assert 'title="Quoted by the student; Key evidence: Lushan"' in html


def test_a_passage_the_student_quoted_is_shown_even_when_not_linked(
    teacher_client, task, q2, passage, student
):
    other = PassageFactory(lesson=passage.lesson, text=TEXT, heading="Another part")
    quote(student, task, q2, other, "Peng Dehuai")
    submit(submission=Submission.objects.get(student=student))
    submission = Submission.objects.get(student=student)
    url = reverse("mark_by_question", args=[task.pk, q2.pk]) + f"?submission={submission.pk}"
    html = teacher_client.get(url).content.decode()
    assert f'id="passage-{other.pk}"' in html
    assert "Sources</h2>" in html


def test_the_marking_card_again_after_a_conflict_still_shows_the_evidence(
    teacher_client, marked_work
):
    answer = marked_work[0].answer
    response = teacher_client.get(reverse("answer_mark", args=[answer.pk]), **HTMX)
    assert "Evidence used: <span data-evidence-count>2</span>" in response.content.decode()


def test_marking_queries_do_not_grow_with_quotations_or_key_evidence(
    teacher_client, teacher, task, q1, passage, student, classmate
):
    def page_queries(submission):
        url = reverse("mark_by_student", args=[task.pk, submission.pk])
        teacher_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            teacher_client.get(url)
        return len(captured)

    quote(student, task, q1, passage, "Peng Dehuai")
    submit(submission=Submission.objects.get(student=student))
    for words in ("July 1959", "silenced every critic", "Mao called the letter", "an attack"):
        quote(classmate, task, q1, passage, words)
        add_key_evidence(question=q1, passage=passage, quote=words)
    submit(submission=Submission.objects.get(student=classmate))
    small = page_queries(Submission.objects.get(student=student))
    assert page_queries(Submission.objects.get(student=classmate)) == small


# Key evidence and comparison topics in the task editor ----------------------------------


def test_the_question_editor_has_the_key_evidence_section(teacher_client, q1, passage):
    add_key_evidence(question=q1, passage=passage, quote="Peng Dehuai", description="Peng")
    for response in (
        teacher_client.get(reverse("question_edit", args=[q1.pk])),
        teacher_client.get(reverse("question_edit", args=[q1.pk]), **HTMX),
    ):
        html = response.content.decode()
        assert f'id="question-{q1.pk}-evidence"' in html
        assert "Peng</strong>" in html
        assert f'class="passage__text select-text" data-passage="{passage.pk}"' in html


def test_key_evidence_is_added_from_a_selection_with_htmx(teacher_client, q1, passage):
    start, end = selection("Peng Dehuai")
    prefix = f"key{q1.pk}"
    data = {
        f"{prefix}-passage": passage.pk,
        f"{prefix}-words": "Peng Dehuai",
        f"{prefix}-start": start,
        f"{prefix}-end": end,
        f"{prefix}-description": "Peng's letter",
    }
    response = teacher_client.post(reverse("key_evidence_add", args=[q1.pk]), data, **HTMX)
    assert response.status_code == 200
    key = KeyEvidence.objects.get()
    assert (key.start, key.end, key.description, key.question) == (start, end, "Peng's letter", q1)
    assert "Key evidence added" in response.content.decode()
    assert "<!doctype html>" not in response.content.decode()


def test_key_evidence_errors_are_shown_at_the_field_with_the_words_kept(
    teacher_client, q1, passage
):
    prefix = f"key{q1.pk}"
    data = {f"{prefix}-passage": passage.pk, f"{prefix}-words": "no such words"}
    response = teacher_client.post(reverse("key_evidence_add", args=[q1.pk]), data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "These words are not in this passage" in html and "no such words</textarea>" in html
    # Without JavaScript: the section on a page of its own, same error.
    response = teacher_client.post(reverse("key_evidence_add", args=[q1.pk]), data)
    assert response.status_code == 422
    assert "<!doctype html>" in response.content.decode()
    assert not KeyEvidence.objects.exists()


def test_key_evidence_without_javascript_redirects_back_to_the_question(
    teacher_client, q1, passage
):
    prefix = f"key{q1.pk}"
    data = {f"{prefix}-passage": passage.pk, f"{prefix}-words": "Peng Dehuai"}
    response = teacher_client.post(reverse("key_evidence_add", args=[q1.pk]), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("question_edit", args=[q1.pk]))
    key = KeyEvidence.objects.get()
    response = teacher_client.post(reverse("key_evidence_delete", args=[key.pk]))
    assert response.status_code == 302
    assert not KeyEvidence.objects.exists()


def test_key_evidence_is_deleted_with_htmx(teacher_client, q1, passage):
    key = add_key_evidence(question=q1, passage=passage, quote="Peng Dehuai")
    response = teacher_client.post(reverse("key_evidence_delete", args=[key.pk]), **HTMX)
    assert response.status_code == 200
    assert "Key evidence removed." in response.content.decode()
    assert not KeyEvidence.objects.exists()


def test_a_question_becomes_a_comparison_question_and_back(teacher_client, q1):
    topic = TopicFactory(name="Famine deaths")
    url = reverse("question_topic", args=[q1.pk])
    response = teacher_client.post(url, {f"topic{q1.pk}-topic": topic.pk}, **HTMX)
    assert response.status_code == 200
    q1.refresh_from_db()
    assert q1.topic == topic
    assert teacher_client.post(url, {f"topic{q1.pk}-topic": ""}).status_code == 302
    q1.refresh_from_db()
    assert q1.topic is None
    response = teacher_client.post(url, {f"topic{q1.pk}-topic": "999999"}, **HTMX)
    assert response.status_code == 422


# The heat map ---------------------------------------------------------------------------


def test_the_heat_map_ranks_passages_and_shades_what_was_quoted(
    teacher_client, task, q1, passage, student, classmate
):
    quiet = PassageFactory(lesson=passage.lesson, text="Nobody quoted this.", heading="Quiet")
    quote(student, task, q1, passage, "Peng Dehuai")
    quote(classmate, task, q1, passage, "Peng Dehuai")
    quote(classmate, task, q1, passage, "an attack", in_answer=False)
    html = teacher_client.get(reverse("task_evidence_map", args=[task.pk])).content.decode()
    assert "2 students quoted 2 pieces of evidence" in html
    assert (
        '<mark class="heat heat--4"><span class="visually-hidden">[quoted by 2:] </span>'
        'Peng Dehuai</mark><sup class="heat-count" aria-hidden="true">2</sup>'
    ) in html
    assert "an attack</mark>" not in html
    ranking = html[html.index("Passages, most quoted first") : html.index("Never quoted")]
    assert "Political origins: Lushan" in ranking and "Quiet" not in ranking
    assert f'href="#heat-passage-{quiet.pk}"' in html[html.index("Never quoted") :]


def test_the_heat_map_shows_one_question_and_refuses_another_tasks(
    teacher_client, task, q1, q2, passage, student
):
    quote(student, task, q2, passage, "Peng Dehuai")
    url = reverse("task_evidence_map", args=[task.pk])
    assert "1 student quoted" in teacher_client.get(url, {"question": q2.pk}).content.decode()
    assert "No student has quoted" in teacher_client.get(url, {"question": q1.pk}).content.decode()
    other = make_points_question(task=TaskFactory(owner=TeacherFactory()))
    assert teacher_client.get(url, {"question": other.pk}).status_code == 404


def test_the_heat_map_queries_do_not_grow_with_the_class(
    teacher_client, teacher, task, q1, passage, django_assert_num_queries
):
    url = reverse("task_evidence_map", args=[task.pk])
    quote(StudentFactory(), task, q1, passage, "Peng Dehuai")
    teacher_client.get(url)
    with django_assert_num_queries(7) as small:
        teacher_client.get(url)
    for words in ("July 1959", "an attack", "silenced every critic"):
        for _ in range(4):
            quote(StudentFactory(), task, q1, passage, words)
    PassageFactory(lesson=passage.lesson, text=TEXT)
    with django_assert_num_queries(len(small.captured_queries)):
        teacher_client.get(url)


def test_the_submissions_page_links_to_the_heat_map(teacher_client, task):
    html = teacher_client.get(reverse("task_submissions", args=[task.pk])).content.decode()
    assert reverse("task_evidence_map", args=[task.pk]) in html


# Topics ---------------------------------------------------------------------------------


def test_the_topic_list_counts_claims_and_lessons(teacher_client, deaths):
    html = teacher_client.get(reverse("topic_list")).content.decode()
    assert "Famine deaths</a>" in html
    assert "3 claims in 2 lessons" in html
    assert reverse("topic_list") in teacher_client.get(reverse("home")).content.decode()


def test_a_teacher_adds_a_topic_and_a_name_taken_is_refused(teacher_client, deaths):
    response = teacher_client.post(reverse("topic_list"), {"name": "  Who opposed Mao "})
    topic = Topic.objects.get(name="Who opposed Mao")
    assert response["Location"] == reverse("topic_detail", args=[topic.slug])
    response = teacher_client.post(reverse("topic_list"), {"name": "famine DEATHS"})
    assert response.status_code == 422
    assert "There is already a topic of that name." in response.content.decode()


def test_a_topic_page_shows_each_lessons_claims_side_by_side(teacher_client, deaths, q1):
    q1.topic = deaths
    q1.save()
    html = teacher_client.get(reverse("topic_detail", args=["famine-deaths"])).content.decode()
    assert html.count('class="claims-column"') == 2
    for note in ("Our claim note.", "Outsider note.", "Elsewhere note."):
        assert note in html
    assert "Not in the task</h2>" in html and "A. Historian" in html
    ours = Annotation.objects.get(note="Our claim note.")
    assert reverse("lesson_detail", args=[ours.passage.lesson_id]) + f"#note-{ours.pk}" in html
    assert reverse("task_detail", args=[q1.task_id]) in html  # the teacher's comparison question


def test_the_topic_page_queries_do_not_grow_with_claims(
    teacher_client, deaths, django_assert_num_queries
):
    url = reverse("topic_detail", args=["famine-deaths"])
    teacher_client.get(url)
    with django_assert_num_queries(5) as small:
        teacher_client.get(url)
    for _ in range(5):
        AnnotationFactory(
            passage=PassageFactory(text=TEXT), kind="claim", topic=deaths, author=TeacherFactory()
        )
    with django_assert_num_queries(len(small.captured_queries)):
        teacher_client.get(url)


def test_a_new_claim_gets_a_new_topic_from_the_note_form(teacher_client, passage):
    prefix = f"new-{passage.pk}"
    data = {
        f"{prefix}-quote": "Peng Dehuai",
        f"{prefix}-kind": "claim",
        f"{prefix}-note": "He was purged.",
        f"{prefix}-new_topic": "Who opposed Mao",
    }
    response = teacher_client.post(reverse("annotation_create", args=[passage.pk]), data)
    assert response.status_code == 302
    note = Annotation.objects.get()
    assert note.topic.name == "Who opposed Mao"
    html = teacher_client.get(reverse("lesson_detail", args=[passage.lesson_id])).content.decode()
    assert f'Topic: <a href="{reverse("topic_detail", args=[note.topic.slug])}">' in html


def test_a_note_of_another_kind_ignores_the_topic(teacher_client, passage):
    topic = TopicFactory()
    prefix = f"new-{passage.pk}"
    data = {
        f"{prefix}-quote": "Peng Dehuai",
        f"{prefix}-kind": "key_term",
        f"{prefix}-note": "A general.",
        f"{prefix}-topic": topic.pk,
    }
    teacher_client.post(reverse("annotation_create", args=[passage.pk]), data)
    assert Annotation.objects.get().topic is None


def test_choosing_a_topic_and_naming_another_is_refused_at_the_field(teacher_client, passage):
    topic = TopicFactory(name="Famine deaths")
    prefix = f"new-{passage.pk}"
    data = {
        f"{prefix}-quote": "Peng Dehuai",
        f"{prefix}-kind": "claim",
        f"{prefix}-note": "A claim.",
        f"{prefix}-topic": topic.pk,
        f"{prefix}-new_topic": "Something else",
    }
    response = teacher_client.post(reverse("annotation_create", args=[passage.pk]), data)
    assert response.status_code == 422
    assert "Choose a topic from the list or name a new one, not both." in response.text
    assert not Annotation.objects.exists()


def test_a_note_edit_keeps_or_changes_its_topic(teacher_client, teacher, passage):
    topic, other = TopicFactory(), TopicFactory()
    note = AnnotationFactory(passage=passage, kind="claim", topic=topic, author=teacher)
    url = reverse("annotation_edit", args=[note.pk])
    form = teacher_client.get(url, **HTMX).content.decode()
    assert f'<option value="{topic.pk}" selected>' in form
    prefix = f"edit-{note.pk}"
    data = {f"{prefix}-kind": "claim", f"{prefix}-note": "Changed.", f"{prefix}-topic": other.pk}
    teacher_client.post(url, data)
    note.refresh_from_db()
    assert note.topic == other


# Who may reach each URL -----------------------------------------------------------------


@pytest.fixture
def urls(task, q1, passage, student):
    link = quote(student, task, q1, passage, "Peng Dehuai")
    key = add_key_evidence(question=q1, passage=passage, quote="Lushan Conference")
    TopicFactory(slug="famine-deaths")
    return {
        "evidence_add": ("post", add_url(task, q1)),
        "evidence_remove": ("post", reverse("evidence_remove", args=[link.pk])),
        "key_evidence_add": ("get", reverse("key_evidence_add", args=[q1.pk])),
        "key_evidence_add_post": ("post", reverse("key_evidence_add", args=[q1.pk])),
        "key_evidence_delete": ("post", reverse("key_evidence_delete", args=[key.pk])),
        "question_topic": ("post", reverse("question_topic", args=[q1.pk])),
        "task_evidence_map": ("get", reverse("task_evidence_map", args=[task.pk])),
        "topic_list": ("get", reverse("topic_list")),
        "topic_detail": ("get", reverse("topic_detail", args=["famine-deaths"])),
    }


STUDENT_URLS = {"evidence_add", "evidence_remove"}
SHARED_BY_TEACHERS = {"topic_list", "topic_detail"}


def test_anonymous_visitors_log_in_first_and_students_sends_get_a_401(client, urls):
    for name, (method, url) in urls.items():
        response = getattr(client, method)(url)
        if name in STUDENT_URLS:
            # Work sent by a logged-out page is shown back to copy, not lost on a redirect.
            assert response.status_code == 401, name
        else:
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("login")), name
    assert EvidenceLink.objects.count() == 1 and KeyEvidence.objects.count() == 1


def test_the_wrong_role_gets_403(teacher_client, student_client, urls):
    for name, (method, url) in urls.items():
        client = teacher_client if name in STUDENT_URLS else student_client
        assert getattr(client, method)(url).status_code == 403, name
    assert EvidenceLink.objects.count() == 1 and KeyEvidence.objects.count() == 1


def test_another_student_or_teacher_gets_404(client, classmate, outsider_teacher, urls):
    client.force_login(classmate)
    for name in STUDENT_URLS - {"evidence_add"}:
        method, url = urls[name]
        assert getattr(client, method)(url, **HTMX).status_code == 404, name
    client.force_login(outsider_teacher)
    for name, (method, url) in urls.items():
        if name in STUDENT_URLS | SHARED_BY_TEACHERS:
            continue
        assert getattr(client, method)(url).status_code == 404, name
    assert EvidenceLink.objects.count() == 1 and KeyEvidence.objects.count() == 1


def test_a_student_of_another_class_cannot_quote_into_this_task(
    client, outsider_student, task, q1, passage
):
    client.force_login(outsider_student)
    response = client.post(add_url(task, q1), quote_fields(q1, passage, "Peng Dehuai"), **HTMX)
    assert response.status_code == 404


def test_topics_are_shared_by_every_teacher_and_an_unknown_topic_is_404(
    client, outsider_teacher, deaths
):
    client.force_login(outsider_teacher)
    assert client.get(reverse("topic_detail", args=["famine-deaths"])).status_code == 200
    assert client.get(reverse("topic_detail", args=["no-such-topic"])).status_code == 404


def test_a_co_teacher_of_the_class_sees_the_heat_map(client, task, school_class):
    co_teacher = TeacherFactory()
    school_class.teachers.add(co_teacher)
    client.force_login(co_teacher)
    assert client.get(reverse("task_evidence_map", args=[task.pk])).status_code == 200


def test_write_only_urls_refuse_get(teacher_client, student_client, urls):
    for name in ("key_evidence_delete", "question_topic"):
        assert teacher_client.get(urls[name][1]).status_code == 405, name
    for name in STUDENT_URLS:
        assert student_client.get(urls[name][1]).status_code == 405, name


def test_a_student_never_sees_another_students_quotations(
    client, classmate, student, task, q1, passage
):
    quote(student, task, q1, passage, "Peng Dehuai")
    client.force_login(classmate)
    html = client.get(task_url(task)).content.decode()
    assert "Peng Dehuai</q>" not in html and 'title="Your quotation"' not in html
