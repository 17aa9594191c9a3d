"""Passages after the import: adding, moving and deleting them, and edits that would
overwrite a newer version (issue 4)."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from lessons.models import Annotation, Passage
from lessons.services.anchoring import update_passage_text
from lessons.services.lessons import (
    PassageConflict,
    PassageInUse,
    add_passage,
    delete_passage,
    move_passage,
    update_passage,
)
from lessons.services.seeds import SeedLessonResult, SeedPassage, _update_passages
from tests.factories import (
    AnnotationFactory,
    AnswerFactory,
    EvidenceLinkFactory,
    KeyEvidenceFactory,
    LessonFactory,
    PassageFactory,
    QuestionFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lesson(teacher):
    """The teacher's lesson of three passages, ordered 1, 2, 3."""
    lesson = LessonFactory(title="The communes", owner=teacher)
    for order, heading in enumerate(["First", "Second", "Third"], start=1):
        PassageFactory(lesson=lesson, order=order, heading=heading, text=f"{heading} text.")
    return lesson


def headings(lesson) -> list[str]:
    return list(lesson.passages.order_by("order", "id").values_list("heading", flat=True))


def orders(lesson) -> list[int]:
    return list(lesson.passages.order_by("order", "id").values_list("order", flat=True))


def passage(lesson, heading: str) -> Passage:
    return lesson.passages.get(heading=heading)


# Adding ----------------------------------------------------------------------------------


def test_the_owner_adds_a_passage_after_a_chosen_one(teacher_client, lesson):
    first = passage(lesson, "First")
    url = reverse("passage_create", args=[lesson.pk])
    page = teacher_client.get(url, {"after": first.pk})
    assert page.status_code == 200
    assert f'<option value="{first.pk}" selected>' in page.text

    response = teacher_client.post(
        url, {"heading": " New ", "kind": "caption", "text": "A caption.\r\n", "after": first.pk}
    )
    assert response.status_code == 302
    added = passage(lesson, "New")
    assert response["Location"].endswith(f"#passage-{added.pk}")
    assert (added.kind, added.text) == ("caption", "A caption.")
    assert headings(lesson) == ["First", "New", "Second", "Third"]
    assert orders(lesson) == [1, 2, 3, 4]


def test_a_passage_added_without_a_place_goes_at_the_end(teacher_client, lesson):
    url = reverse("passage_create", args=[lesson.pk])
    response = teacher_client.post(url, {"heading": "", "kind": "text", "text": "Last words."})
    assert response.status_code == 302
    assert lesson.passages.order_by("order").last().text == "Last words."
    assert orders(lesson) == [1, 2, 3, 4]


def test_two_add_forms_open_on_one_page_have_ids_of_their_own(teacher_client, lesson):
    url = reverse("passage_create", args=[lesson.pk])
    first, second = passage(lesson, "First"), passage(lesson, "Second")
    after_first = teacher_client.get(url, {"after": first.pk}, **HTMX).text
    after_second = teacher_client.get(url, {"after": second.pk}, **HTMX).text
    at_end = teacher_client.get(url, **HTMX).text
    assert f'id="add-passage-{first.pk}-text"' in after_first
    assert f'id="add-passage-{second.pk}-text"' in after_second
    assert 'id="add-passage-end-text"' in at_end
    # A refused add keeps the ids of the form it came from.
    refused = teacher_client.post(url, {"after": first.pk, "kind": "text", "text": ""}, **HTMX)
    assert f'id="add-passage-{first.pk}-text"' in refused.text


@pytest.mark.parametrize("text", ["", " \n "])
def test_an_empty_new_passage_is_refused_with_the_heading_kept(teacher_client, lesson, text):
    url = reverse("passage_create", args=[lesson.pk])
    response = teacher_client.post(url, {"heading": "Kept heading", "kind": "text", "text": text})
    assert response.status_code == 422
    assert "A passage needs some text." in response.text
    assert 'value="Kept heading"' in response.text
    assert lesson.passages.count() == 3


def test_a_new_passage_cannot_be_placed_after_another_lessons_passage(
    teacher_client, teacher, lesson
):
    elsewhere = PassageFactory(lesson=LessonFactory(owner=teacher))
    url = reverse("passage_create", args=[lesson.pk])
    response = teacher_client.post(
        url, {"kind": "text", "text": "Some words.", "after": elsewhere.pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert lesson.passages.count() == 3


def test_adding_with_htmx_returns_the_list_with_the_new_passage_focused(teacher_client, lesson):
    url = reverse("passage_create", args=[lesson.pk])
    form = teacher_client.get(url, **HTMX)
    assert form.status_code == 200
    assert "<html" not in form.text and 'hx-post="' + url + '"' in form.text

    response = teacher_client.post(url, {"kind": "text", "text": "Htmx words."}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#passages"
    assert response["HX-Reswap"] == "outerHTML"
    added = lesson.passages.get(text="Htmx words.")
    assert f'id="passage-{added.pk}"' in response.text
    block = response.text[response.text.index(f'id="passage-{added.pk}"') :]
    assert 'tabindex="-1" autofocus>Passage added as passage 4.</p>' in block
    assert response.text.count("autofocus") == 1


def test_add_passage_service_refuses_empty_text(lesson):
    with pytest.raises(ValueError):
        add_passage(lesson=lesson, heading="", kind="text", text="\n\n  ")
    assert lesson.passages.count() == 3


# Moving ----------------------------------------------------------------------------------


def test_the_owner_moves_a_passage_up_and_down(teacher_client, lesson):
    third = passage(lesson, "Third")
    url = reverse("passage_move", args=[third.pk])
    response = teacher_client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#passage-{third.pk}")
    assert headings(lesson) == ["First", "Third", "Second"]
    teacher_client.post(url, {"direction": "up"})
    assert headings(lesson) == ["Third", "First", "Second"]
    # At the top already: nothing moves, the order stays contiguous.
    teacher_client.post(url, {"direction": "up"})
    assert headings(lesson) == ["Third", "First", "Second"]
    teacher_client.post(url, {"direction": "down"})
    assert headings(lesson) == ["First", "Third", "Second"]
    assert orders(lesson) == [1, 2, 3]


def test_moving_keeps_order_contiguous_when_it_had_gaps(teacher):
    # Copies of the seed lessons number from 0; hand-made data may have gaps or ties.
    lesson = LessonFactory(owner=teacher)
    a = PassageFactory(lesson=lesson, order=0, heading="A")
    PassageFactory(lesson=lesson, order=5, heading="B")
    PassageFactory(lesson=lesson, order=5, heading="C")
    move_passage(passage=a, direction="down")
    assert headings(lesson) == ["B", "A", "C"]
    assert orders(lesson) == [1, 2, 3]


def test_moving_with_htmx_focuses_the_moved_passages_button(teacher_client, lesson):
    second = passage(lesson, "Second")
    url = reverse("passage_move", args=[second.pk])
    response = teacher_client.post(url, {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#passages"
    html = response.text
    block = html[html.index(f'id="passage-{second.pk}"') :]
    block = block[: block.index("</section>")]
    # Now first: no "Move up" any more, so the focus goes to its "Move down".
    assert 'data-move="up"' not in block
    assert 'data-move="down" autofocus' in block
    assert html.count("autofocus") == 1
    assert "Passage moved up: now passage 1 of 3." in html


def test_a_move_in_no_direction_is_refused(teacher_client, lesson):
    first = passage(lesson, "First")
    url = reverse("passage_move", args=[first.pk])
    response = teacher_client.post(url, {"direction": "sideways"}, **HTMX)
    assert response.status_code == 422
    assert "Move a passage up or down." in response.text
    assert headings(lesson) == ["First", "Second", "Third"]


def test_the_first_and_last_passages_offer_only_the_moves_they_can_make(teacher_client, lesson):
    html = teacher_client.get(reverse("lesson_detail", args=[lesson.pk])).text
    first, last = passage(lesson, "First"), passage(lesson, "Third")
    assert html.count('data-move="up"') == 2
    assert html.count('data-move="down"') == 2
    first_block = html[html.index(f'id="passage-{first.pk}"') :]
    assert 'data-move="up"' not in first_block[: first_block.index("</section>")]
    last_block = html[html.index(f'id="passage-{last.pk}"') :]
    assert 'data-move="down"' not in last_block[: last_block.index("</section>")]


# Deleting --------------------------------------------------------------------------------


def test_the_owner_deletes_a_passage_and_its_notes_after_confirming(
    teacher_client, teacher, lesson
):
    second = passage(lesson, "Second")
    AnnotationFactory(passage=second, author=teacher, start=0, end=6, quote="Second")
    AnnotationFactory(passage=second, author=None, start=7, end=11, quote="text")
    url = reverse("passage_delete", args=[second.pk])
    page = teacher_client.get(url)
    assert page.status_code == 200
    assert "all 2 notes on it will be deleted" in page.text
    assert lesson.passages.count() == 3

    response = teacher_client.post(url)
    assert response["Location"] == reverse("lesson_detail", args=[lesson.pk])
    assert headings(lesson) == ["First", "Third"]
    assert orders(lesson) == [1, 2]
    assert not Annotation.objects.filter(passage_id=second.pk).exists()
    follow = teacher_client.get(response["Location"])
    assert "Passage deleted with its 2 notes." in follow.text


def test_deleting_with_htmx_returns_the_list_without_the_passage(teacher_client, lesson):
    first = passage(lesson, "First")
    response = teacher_client.post(reverse("passage_delete", args=[first.pk]), **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#passages"
    assert f'id="passage-{first.pk}"' not in response.text
    assert "Passage deleted." in response.text


def test_a_passage_a_tasks_question_links_to_is_not_deleted(teacher_client, teacher, lesson):
    second = passage(lesson, "Second")
    task = TaskFactory(owner=teacher, title="Why the Leap failed", lessons=[lesson])
    QuestionFactory(task=task, order=0)
    linked = QuestionFactory(task=task, order=1)
    linked.linked_passages.add(second)
    url = reverse("passage_delete", args=[second.pk])
    page = teacher_client.get(url)
    assert "Question 2 of the task “Why the Leap failed” links to it." in page.text
    assert "Delete the passage</button>" not in page.text

    response = teacher_client.post(url)
    assert response.status_code == 409
    assert "tasks would lose their source" in response.text
    assert lesson.passages.filter(pk=second.pk).exists()


def test_a_passage_students_quoted_is_not_deleted_and_says_why(teacher_client, teacher, lesson):
    second = passage(lesson, "Second")
    task = TaskFactory(owner=teacher, lessons=[lesson])
    for student in (StudentFactory(), StudentFactory()):
        answer = AnswerFactory(submission=SubmissionFactory(task=task, student=student))
        EvidenceLinkFactory(answer=answer, passage=second, start=0, end=6)
    KeyEvidenceFactory(question=QuestionFactory(task=task), passage=second, start=0, end=6)

    response = teacher_client.post(reverse("passage_delete", args=[second.pk]), **HTMX)
    assert response.status_code == 409
    # The refusal replaces the passage's block, not the whole list.
    assert response["HX-Retarget"] == f"#passage-{second.pk}"
    assert "2 students have quoted it as evidence." in response.text
    assert "1 piece of key evidence in a mark scheme quotes it." in response.text
    assert lesson.passages.filter(pk=second.pk).exists()
    with pytest.raises(PassageInUse):
        delete_passage(passage=second)


def test_a_bank_questions_link_does_not_stop_a_delete(teacher_client, teacher, lesson):
    second = passage(lesson, "Second")
    bank = QuestionFactory(task=None, lesson=lesson, owner=teacher)
    bank.linked_passages.add(second)
    response = teacher_client.post(reverse("passage_delete", args=[second.pk]))
    assert response.status_code == 302
    assert not bank.linked_passages.exists()


# Access ----------------------------------------------------------------------------------

ROUTES = [
    ("passage_create", "lesson", "GET"),
    ("passage_create", "lesson", "POST"),
    ("passage_move", "passage", "POST"),
    ("passage_delete", "passage", "GET"),
    ("passage_delete", "passage", "POST"),
]


def url_of(name, kind, lesson):
    target = lesson if kind == "lesson" else passage(lesson, "First")
    return reverse(name, args=[target.pk])


@pytest.mark.parametrize("name,kind,method", ROUTES)
def test_another_teachers_lesson_is_not_found(client, outsider_teacher, lesson, name, kind, method):
    client.force_login(outsider_teacher)
    url = url_of(name, kind, lesson)
    data = {"direction": "down", "kind": "text", "text": "Outsider's words."}
    response = client.post(url, data) if method == "POST" else client.get(url)
    assert response.status_code == 404
    assert headings(lesson) == ["First", "Second", "Third"]


@pytest.mark.parametrize("name,kind,method", ROUTES)
def test_students_are_refused(student_client, lesson, name, kind, method):
    url = url_of(name, kind, lesson)
    response = student_client.post(url, {}) if method == "POST" else student_client.get(url)
    assert response.status_code == 403
    assert lesson.passages.count() == 3


@pytest.mark.parametrize("name,kind,method", ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client, lesson, name, kind, method):
    url = url_of(name, kind, lesson)
    response = client.post(url, {}) if method == "POST" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert lesson.passages.count() == 3


def test_only_the_owner_sees_the_passage_controls(client, outsider_teacher, teacher, lesson):
    client.force_login(outsider_teacher)
    html = client.get(reverse("lesson_detail", args=[lesson.pk])).text
    assert reverse("passage_create", args=[lesson.pk]) not in html
    assert "data-move=" not in html
    client.force_login(teacher)
    html = client.get(reverse("lesson_detail", args=[lesson.pk])).text
    assert reverse("passage_create", args=[lesson.pk]) in html
    assert reverse("passage_delete", args=[passage(lesson, "First").pk]) in html


# Version check on edits ------------------------------------------------------------------


def edit(client, p, text, version, **headers):
    data = {"heading": p.heading, "kind": p.kind, "text": text, "version": version}
    return client.post(reverse("passage_edit", args=[p.pk]), data, **headers)


def test_the_edit_form_carries_the_passages_version(teacher_client, lesson):
    first = passage(lesson, "First")
    Passage.objects.filter(pk=first.pk).update(version=7)
    page = teacher_client.get(reverse("passage_edit", args=[first.pk]))
    assert 'name="version" value="7"' in page.text


def test_every_edit_bumps_the_version(teacher_client, lesson):
    first = passage(lesson, "First")
    assert edit(teacher_client, first, "Changed once.", 1).status_code == 302
    first.refresh_from_db()
    assert first.version == 2
    # A change of heading alone makes older forms stale too.
    data = {"heading": "Renamed", "kind": "text", "text": first.text, "version": 2}
    teacher_client.post(reverse("passage_edit", args=[first.pk]), data)
    first.refresh_from_db()
    assert (first.heading, first.version) == ("Renamed", 3)


def test_a_stale_edit_is_refused_showing_both_texts(teacher_client, lesson):
    first = passage(lesson, "First")
    assert edit(teacher_client, first, "Saved in the other tab.", 1).status_code == 302
    response = edit(teacher_client, first, "Typed in this tab.", 1)
    assert response.status_code == 422
    assert "Not saved: this passage was changed after you opened it" in response.text
    assert "Saved in the other tab." in response.text
    assert "Typed in this tab.</textarea>" in response.text
    # Saving again from here is a deliberate choice: the form is now based on version 2.
    assert 'name="version" value="2"' in response.text
    first.refresh_from_db()
    assert (first.text, first.version) == ("Saved in the other tab.", 2)


def test_a_stale_htmx_edit_is_a_409_with_the_form(teacher_client, lesson):
    first = passage(lesson, "First")
    edit(teacher_client, first, "Saved in the other tab.", 1)
    response = edit(teacher_client, first, "Typed in this tab.", 1, **HTMX)
    assert response.status_code == 409
    assert "<html" not in response.text
    assert f'id="passage-{first.pk}"' in response.text
    assert "Saved in the other tab." in response.text
    assert "Typed in this tab." in response.text
    first.refresh_from_db()
    assert first.text == "Saved in the other tab."


def test_an_edit_without_a_version_is_refused(teacher_client, lesson):
    first = passage(lesson, "First")
    data = {"heading": "First", "kind": "text", "text": "No version."}
    response = teacher_client.post(reverse("passage_edit", args=[first.pk]), data)
    assert response.status_code == 422
    assert "This form is out of date" in response.text
    first.refresh_from_db()
    assert first.text == "First text."


def test_update_passage_refuses_a_stale_version_and_saves_nothing(lesson):
    first = passage(lesson, "First")
    update_passage_text(passage=first, text="Newer words.")
    with pytest.raises(PassageConflict) as refused:
        update_passage(passage=first, heading="X", kind="text", text="Older words.", version=1)
    assert refused.value.current.text == "Newer words."
    first.refresh_from_db()
    assert (first.heading, first.text, first.version) == ("First", "Newer words.", 2)


def test_the_seed_loader_bumps_the_version_of_passages_it_changes(lesson):
    first, second, third = lesson.passages.order_by("order")
    seeds = [
        SeedPassage(heading="First", kind="text", text="First text, corrected."),
        SeedPassage(heading="Second, renamed", kind="text", text="Second text."),
        SeedPassage(heading="Third", kind="text", text="Third text."),
    ]
    _update_passages(lesson, seeds, SeedLessonResult(key="x"))
    versions = {p.heading: p.version for p in lesson.passages.all()}
    assert versions == {"First": 2, "Second, renamed": 2, "Third": 1}


def test_a_conflict_shows_both_texts_escaped(teacher_client, lesson):
    first = passage(lesson, "First")
    hostile = '<script>alert("current")</script>'
    update_passage_text(passage=first, text=hostile)
    response = edit(teacher_client, first, '<img src=x onerror="alert(1)">', 1)
    assert response.status_code == 422
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;script&gt;alert(&quot;current&quot;)&lt;/script&gt;" in response.text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in response.text


def test_the_admin_shows_passages_but_edits_them_only_on_the_lesson_page(admin_client, lesson):
    first = passage(lesson, "First")
    page = admin_client.get(reverse("admin:lessons_lesson_change", args=[lesson.pk]))
    assert page.status_code == 200
    assert "First text." in page.text
    assert 'name="passages-0-text"' not in page.text
    # Saving the lesson there leaves its passages (and their notes' anchors) as they were.
    fields = {k: v for k, v in model_to_dict(lesson).items() if v is not None}
    data = {
        **fields,
        "title": "The communes, renamed",
        "passages-TOTAL_FORMS": "3",
        "passages-INITIAL_FORMS": "3",
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "1000",
        **{f"passages-{n}-id": p.pk for n, p in enumerate(lesson.passages.order_by("order"))},
        "passages-0-text": "Overwritten in the admin.",
    }
    response = admin_client.post(reverse("admin:lessons_lesson_change", args=[lesson.pk]), data)
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.title == "The communes, renamed"
    first.refresh_from_db()
    assert first.text == "First text."
    assert first.version == 1
