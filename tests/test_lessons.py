"""The lessons area's pages: library, reader, annotations, passage edits, copies, glossary."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lessons.models import Annotation, Lesson, Passage
from lessons.services.importer import DEFAULT_FURNITURE_RULES as DEFAULT_RULES
from tests.factories import (
    AnnotationFactory,
    LessonFactory,
    PassageFactory,
    TaskFactory,
    TeacherFactory,
)

TEXT = (
    "In 1958 some 740,000 cooperatives were merged into about 26,000 People's Communes. "
    "Private plots were abolished and work points replaced wages."
)


def span(text: str, words: str, occurrence: int = 1) -> dict:
    start = -1
    for _ in range(occurrence):
        start = text.index(words, start + 1)
    end = start + len(words)
    return {
        "start": start,
        "end": end,
        "quote": words,
        "prefix": text[max(0, start - 32) : start],
        "suffix": text[end : end + 32],
    }


@pytest.fixture
def shared_lesson(db):
    """An install-wide lesson (like the seeds): no owner."""
    lesson = LessonFactory(title="The Great Leap Forward", owner=None)
    PassageFactory(lesson=lesson, order=1, heading="The communes", text=TEXT)
    return lesson


@pytest.fixture
def own_lesson(teacher):
    lesson = LessonFactory(title="My lesson on the communes", owner=teacher)
    PassageFactory(lesson=lesson, order=1, heading="The communes", text=TEXT)
    return lesson


@pytest.fixture
def others_lesson(outsider_teacher):
    lesson = LessonFactory(title="Mr Outsider's lesson", owner=outsider_teacher)
    PassageFactory(lesson=lesson, order=1, heading="Famine", text=TEXT)
    return lesson


def passage_of(lesson: Lesson) -> Passage:
    return lesson.passages.get()


# No access -------------------------------------------------------------------------------

TEACHER_GET_PAGES = [
    ("lesson_list", None),
    ("lesson_import", None),
    ("glossary", None),
    ("lesson_detail", "lesson"),
    ("lesson_glossary", "lesson"),
    ("lesson_edit", "lesson"),
    ("lesson_delete", "lesson"),
    ("passage_edit", "passage"),
    ("annotation_create", "passage"),
    ("annotation_detail", "annotation"),
    ("annotation_edit", "annotation"),
    ("annotation_reattach", "annotation"),
]
POST_ONLY = [
    ("lesson_copy", "lesson"),
    ("annotation_delete", "annotation"),
]


@pytest.fixture
def objects(own_lesson, teacher):
    passage = passage_of(own_lesson)
    note = AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "People's Communes"))
    return {"lesson": own_lesson.pk, "passage": passage.pk, "annotation": note.pk}


def url_for(name, kind, objects):
    return reverse(name, args=[objects[kind]] if kind else [])


@pytest.mark.parametrize("name,kind", TEACHER_GET_PAGES + POST_ONLY)
def test_anonymous_visitors_are_sent_to_log_in(client, objects, name, kind):
    url = url_for(name, kind, objects)
    response = client.post(url) if (name, kind) in POST_ONLY else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name,kind", TEACHER_GET_PAGES + POST_ONLY)
def test_students_cannot_use_lesson_pages(student_client, objects, name, kind):
    url = url_for(name, kind, objects)
    response = student_client.post(url) if (name, kind) in POST_ONLY else student_client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name,kind",
    [
        ("lesson_edit", "lesson"),
        ("lesson_delete", "lesson"),
        ("passage_edit", "passage"),
        ("annotation_edit", "annotation"),
        ("annotation_reattach", "annotation"),
    ],
)
def test_another_teacher_cannot_change_a_teachers_lesson_or_notes(
    client, outsider_teacher, objects, name, kind
):
    client.force_login(outsider_teacher)
    url = url_for(name, kind, objects)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_another_teacher_cannot_delete_a_teachers_note(client, outsider_teacher, objects):
    client.force_login(outsider_teacher)
    response = client.post(reverse("annotation_delete", args=[objects["annotation"]]))
    assert response.status_code == 404
    assert Annotation.objects.filter(pk=objects["annotation"]).exists()


def test_any_teacher_reads_any_lesson_and_its_notes(client, outsider_teacher, objects):
    client.force_login(outsider_teacher)
    response = client.get(reverse("lesson_detail", args=[objects["lesson"]]))
    assert response.status_code == 200
    assert "My lesson on the communes" in response.text
    assert client.get(reverse("annotation_detail", args=[objects["annotation"]])).status_code == 200


def test_a_missing_lesson_is_a_404(teacher_client, db):
    assert teacher_client.get(reverse("lesson_detail", args=[999999])).status_code == 404


# The library ----------------------------------------------------------------------------


def test_the_library_lists_every_teachers_lessons_and_shared_ones(
    teacher_client, shared_lesson, own_lesson, others_lesson
):
    response = teacher_client.get(reverse("lesson_list"))
    assert response.status_code == 200
    for lesson in (shared_lesson, own_lesson, others_lesson):
        assert lesson.title.replace("'", "&#x27;") in response.text
    assert "Shared" in response.text
    assert "Yours" in response.text


def test_the_library_searches_titles_and_passage_text(teacher_client, shared_lesson, db):
    other = LessonFactory(title="The Cultural Revolution", owner=None)
    PassageFactory(lesson=other, text="Red Guards attacked the Four Olds.")
    by_text = teacher_client.get(reverse("lesson_list"), {"q": "work points"})
    assert shared_lesson.title in by_text.text
    assert other.title not in by_text.text
    by_title = teacher_client.get(reverse("lesson_list"), {"q": "cultural"})
    assert other.title in by_title.text
    assert shared_lesson.title not in by_title.text


def test_htmx_search_returns_only_the_results(teacher_client, shared_lesson):
    response = teacher_client.get(
        reverse("lesson_list"), {"q": "communes"}, headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div id="lesson-results"')
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]


def test_the_library_takes_the_same_queries_for_few_or_many_lessons(
    teacher_client, teacher, django_assert_num_queries
):
    def make(count):
        for n in range(count):
            lesson = LessonFactory(owner=teacher if n % 2 else TeacherFactory())
            PassageFactory(lesson=lesson)

    make(2)
    # Warm up first: the school settings are cached after one request.
    teacher_client.get(reverse("lesson_list"))
    with django_assert_num_queries(4) as small:
        teacher_client.get(reverse("lesson_list"))
    make(20)
    with django_assert_num_queries(len(small.captured_queries)):
        teacher_client.get(reverse("lesson_list"))


# Reading --------------------------------------------------------------------------------


def test_the_reader_shows_passages_highlights_and_who_wrote_each_note(
    teacher_client, teacher, shared_lesson
):
    passage = passage_of(shared_lesson)
    note = AnnotationFactory(
        passage=passage, author=teacher, kind="key_term", **span(TEXT, "People's Communes")
    )
    seed_note = AnnotationFactory(
        passage=passage, author=None, kind="claim", **span(TEXT, "740,000 cooperatives")
    )
    response = teacher_client.get(reverse("lesson_detail", args=[shared_lesson.pk]))
    html = response.text
    assert f'href="#note-{note.pk}"' in html
    assert f'id="note-{note.pk}"' in html
    assert "hl hl--key_term" in html
    assert "Ms Teacher" in html  # the author of the note
    assert "shared note" in html  # the seed note has no author
    # The teacher may edit their own note but not the seed note on a shared lesson.
    assert reverse("annotation_edit", args=[note.pk]) in html
    assert reverse("annotation_edit", args=[seed_note.pk]) not in html
    # A shared lesson's text is changed in a copy.
    assert reverse("passage_edit", args=[passage.pk]) not in html
    assert "Copy to edit" in html


def passage_text_html(html: str, passage: Passage) -> str:
    match = re.search(
        rf'<div class="passage__text reading" id="passage-{passage.pk}-text"[^>]*>(.*?)</div>',
        html,
        re.S,
    )
    return match[1]


def text_content(fragment: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_text_element_holds_exactly_the_passage_text_with_notes_over_it(
    teacher_client, own_lesson, teacher
):
    passage = passage_of(own_lesson)
    AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "740,000 cooperatives"))
    AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "cooperatives were merged"))
    html = teacher_client.get(reverse("lesson_detail", args=[own_lesson.pk])).text
    assert text_content(passage_text_html(html, passage)) == TEXT


def test_the_reader_takes_the_same_queries_for_small_and_large_lessons(
    teacher_client, teacher, outsider_teacher, django_assert_num_queries
):
    lesson = LessonFactory(owner=teacher)

    def add_passages(count):
        for _ in range(count):
            passage = PassageFactory(lesson=lesson, text=TEXT)
            for n, author in enumerate([teacher, outsider_teacher, None]):
                AnnotationFactory(
                    passage=passage,
                    author=author,
                    detached=n == 2,
                    **span(TEXT, ["In 1958", "Private plots", "work points"][n]),
                )

    add_passages(1)
    url = reverse("lesson_detail", args=[lesson.pk])
    # Warm up first: the school settings are cached after one request.
    teacher_client.get(url)
    with django_assert_num_queries(7) as small:  # 7: with the list of topics for claims
        teacher_client.get(url)
    add_passages(15)
    with django_assert_num_queries(len(small.captured_queries)):
        response = teacher_client.get(url)
    assert response.text.count('class="note note--detached') == 16


# Annotating -----------------------------------------------------------------------------


def create_url(passage):
    return reverse("annotation_create", args=[passage.pk])


def note_data(passage, **values):
    prefix = f"new-{passage.pk}-"
    data = {"kind": "key_term", "note": "A large collective unit.", "quote": "", "occurrence": ""}
    data.update(values)
    return {prefix + key: value for key, value in data.items()}


def test_any_teacher_annotates_a_shared_lesson_with_a_selection(teacher_client, shared_lesson):
    passage = passage_of(shared_lesson)
    words = span(TEXT, "People's Communes")
    response = teacher_client.post(
        create_url(passage),
        note_data(passage, quote="People's Communes", start=words["start"], end=words["end"]),
    )
    note = Annotation.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/lessons/{shared_lesson.pk}/#note-{note.pk}")
    assert (note.start, note.end, note.quote) == (words["start"], words["end"], "People's Communes")
    assert note.prefix == words["prefix"] and note.suffix == words["suffix"]
    assert note.author.username == "ms_teacher"


def test_a_typed_quote_is_found_in_the_passage(teacher_client, own_lesson):
    passage = passage_of(own_lesson)
    teacher_client.post(create_url(passage), note_data(passage, quote="work points"))
    note = Annotation.objects.get()
    assert TEXT[note.start : note.end] == "work points"


def test_words_not_in_the_passage_are_refused_at_the_field_and_kept(teacher_client, own_lesson):
    passage = passage_of(own_lesson)
    response = teacher_client.post(
        create_url(passage), note_data(passage, quote="backyard furnaces", note="My note")
    )
    assert response.status_code == 422
    assert "These words are not in this passage" in response.text
    assert "backyard furnaces</textarea>" in response.text
    assert "My note</textarea>" in response.text
    assert not Annotation.objects.exists()


def test_ambiguous_words_need_an_occurrence(teacher_client, own_lesson):
    passage = passage_of(own_lesson)
    response = teacher_client.post(create_url(passage), note_data(passage, quote="were"))
    assert response.status_code == 422
    assert "appear 2 times" in response.text
    teacher_client.post(create_url(passage), note_data(passage, quote="were", occurrence="2"))
    note = Annotation.objects.get()
    assert note.start == TEXT.index("were", TEXT.index("were") + 1)


def test_an_htmx_annotation_returns_the_passage_block(teacher_client, own_lesson):
    passage = passage_of(own_lesson)
    response = teacher_client.post(
        create_url(passage),
        note_data(passage, quote="work points"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="passage-block')
    assert "Note added on" in response.text
    invalid = teacher_client.post(
        create_url(passage), note_data(passage, quote="nope"), headers={"HX-Request": "true"}
    )
    assert invalid.status_code == 422
    assert "not in this passage" in invalid.text
    assert "<html" not in invalid.text


def test_a_note_is_edited_by_its_author(teacher_client, teacher, shared_lesson):
    note = AnnotationFactory(
        passage=passage_of(shared_lesson), author=teacher, **span(TEXT, "work points")
    )
    url = reverse("annotation_edit", args=[note.pk])
    assert teacher_client.get(url).status_code == 200
    response = teacher_client.post(
        url, {f"edit-{note.pk}-kind": "context", f"edit-{note.pk}-note": "Paid by work done."}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.kind, note.note) == ("context", "Paid by work done.")
    empty = teacher_client.post(
        url, {f"edit-{note.pk}-kind": "context", f"edit-{note.pk}-note": ""}
    )
    assert empty.status_code == 422
    note.refresh_from_db()
    assert note.note == "Paid by work done."


def test_a_lessons_owner_may_change_other_teachers_notes_on_it(
    teacher_client, own_lesson, outsider_teacher
):
    note = AnnotationFactory(
        passage=passage_of(own_lesson), author=outsider_teacher, **span(TEXT, "work points")
    )
    response = teacher_client.post(reverse("annotation_delete", args=[note.pk]))
    assert response.status_code == 302
    assert not Annotation.objects.exists()


def test_seed_notes_are_changed_only_in_a_copy(teacher_client, shared_lesson):
    note = AnnotationFactory(passage=passage_of(shared_lesson), author=None, **span(TEXT, "1958"))
    assert teacher_client.post(reverse("annotation_delete", args=[note.pk])).status_code == 404
    copy_response = teacher_client.post(reverse("lesson_copy", args=[shared_lesson.pk]))
    copy = Lesson.objects.get(copied_from=shared_lesson)
    assert copy_response["Location"] == reverse("lesson_detail", args=[copy.pk])
    copied_note = Annotation.objects.get(passage__lesson=copy)
    response = teacher_client.post(reverse("annotation_delete", args=[copied_note.pk]))
    assert response.status_code == 302
    assert Annotation.objects.filter(pk=note.pk).exists()


def test_notes_and_text_are_escaped(teacher_client, teacher, db):
    lesson = LessonFactory(owner=teacher, title="<script>alert('title')</script>")
    text = "Before <b>bold</b> & <script>alert(1)</script> after."
    passage = PassageFactory(lesson=lesson, heading="<i>heading</i>", text=text)
    AnnotationFactory(
        passage=passage,
        author=teacher,
        note='<img src=x onerror="alert(2)">',
        **span(text, "<b>bold</b>"),
    )
    html = teacher_client.get(reverse("lesson_detail", args=[lesson.pk])).text
    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert "<img src=x" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;i&gt;heading&lt;/i&gt;" in html
    assert text_content(passage_text_html(html, passage)) == text


# Editing passages -----------------------------------------------------------------------


def test_the_owner_edits_a_passage_and_notes_follow_their_words(
    teacher_client, teacher, own_lesson
):
    passage = passage_of(own_lesson)
    moved = AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "work points"))
    lost = AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "Private plots"))
    new_text = "A new opening sentence.\r\n\r\n" + TEXT.replace(
        "Private plots were abolished", "Land was pooled"
    )
    response = teacher_client.post(
        reverse("passage_edit", args=[passage.pk]),
        {"heading": "Communes", "kind": "text", "text": new_text, "version": passage.version},
    )
    assert response.status_code == 302
    passage.refresh_from_db()
    moved.refresh_from_db()
    lost.refresh_from_db()
    assert passage.heading == "Communes"
    assert passage.text[moved.start : moved.end] == "work points"
    assert lost.detached

    page = teacher_client.get(response["Location"])
    assert "lost its place" in page.text
    assert "Notes that lost their place" in page.text
    assert reverse("annotation_reattach", args=[lost.pk]) in page.text


def test_an_empty_passage_is_refused_and_nothing_changes(teacher_client, own_lesson):
    passage = passage_of(own_lesson)
    response = teacher_client.post(
        reverse("passage_edit", args=[passage.pk]),
        {"heading": "New heading", "kind": "text", "text": "   ", "version": passage.version},
    )
    assert response.status_code == 422
    assert "A passage needs some text." in response.text
    assert "New heading" in response.text
    passage.refresh_from_db()
    assert passage.text == TEXT and passage.heading == "The communes"


def test_a_detached_note_is_reattached_to_words_the_teacher_types(
    teacher_client, teacher, own_lesson
):
    passage = passage_of(own_lesson)
    note = AnnotationFactory(
        passage=passage, author=teacher, detached=True, **span(TEXT, "work points")
    )
    url = reverse("annotation_reattach", args=[note.pk])
    refused = teacher_client.post(url, {f"reattach-{note.pk}-quote": "salaries"})
    assert refused.status_code == 422
    assert "not in this passage" in refused.text
    response = teacher_client.post(url, {f"reattach-{note.pk}-quote": "wages"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert not note.detached
    assert TEXT[note.start : note.end] == "wages"


# Lesson details, copies, deletion ------------------------------------------------------


def test_the_owner_edits_the_lessons_details(teacher_client, own_lesson):
    url = reverse("lesson_edit", args=[own_lesson.pk])
    data = {
        "title": "The communes, 1958",
        "summary": "",
        "author": "Finn O’Connor",
        "publisher": "",
        "source_url": "https://example.org/essay",
        "source_date": "2 June 2020",
        "source_kind": "essay",
        "attribution_note": "",
    }
    assert teacher_client.post(url, data).status_code == 302
    own_lesson.refresh_from_db()
    assert own_lesson.title == "The communes, 1958"
    assert own_lesson.source_date == "2 June 2020"
    bad = teacher_client.post(url, {**data, "title": "", "source_url": "not a url"})
    assert bad.status_code == 422
    assert "Enter a valid URL." in bad.text
    own_lesson.refresh_from_db()
    assert own_lesson.title == "The communes, 1958"


def test_copying_a_lesson_copies_passages_and_notes(
    teacher_client, outsider_teacher, shared_lesson
):
    passage = passage_of(shared_lesson)
    AnnotationFactory(passage=passage, author=outsider_teacher, **span(TEXT, "work points"))
    teacher_client.post(reverse("lesson_copy", args=[shared_lesson.pk]))
    copy = Lesson.objects.get(copied_from=shared_lesson)
    assert copy.owner.username == "ms_teacher"
    assert copy.title == shared_lesson.title
    copied = copy.passages.get()
    assert copied.text == passage.text and copied.pk != passage.pk
    note = Annotation.objects.get(passage=copied)
    assert note.author == outsider_teacher
    assert note.quote == "work points"


def test_a_lesson_a_task_uses_cannot_be_deleted(teacher_client, teacher, own_lesson):
    TaskFactory(owner=teacher, lessons=[own_lesson])
    response = teacher_client.post(reverse("lesson_delete", args=[own_lesson.pk]))
    assert response.status_code == 409
    assert Lesson.objects.filter(pk=own_lesson.pk).exists()


def test_the_owner_deletes_an_unused_lesson(teacher_client, own_lesson):
    assert teacher_client.get(reverse("lesson_delete", args=[own_lesson.pk])).status_code == 200
    response = teacher_client.post(reverse("lesson_delete", args=[own_lesson.pk]))
    assert response["Location"] == reverse("lesson_list")
    assert not Lesson.objects.filter(pk=own_lesson.pk).exists()


# Glossary -------------------------------------------------------------------------------


def test_glossaries_list_key_terms_alphabetically_with_their_lessons(
    teacher_client, teacher, shared_lesson, others_lesson
):
    AnnotationFactory(
        passage=passage_of(shared_lesson),
        kind="key_term",
        note="Collective farms of thousands of households.",
        **span(TEXT, "People's Communes"),
    )
    AnnotationFactory(
        passage=passage_of(others_lesson),
        kind="key_term",
        note="Credits for work done.",
        **span(TEXT, "work points"),
    )
    AnnotationFactory(
        passage=passage_of(others_lesson),
        kind="claim",
        note="Not a key term.",
        **span(TEXT, "740,000 cooperatives"),
    )
    library = teacher_client.get(reverse("glossary")).text
    assert library.index("People&#x27;s Communes") < library.index("work points")
    assert "Not a key term." not in library
    assert shared_lesson.title in library and others_lesson.title.replace("'", "&#x27;") in library

    one = teacher_client.get(reverse("lesson_glossary", args=[shared_lesson.pk])).text
    assert "Collective farms of thousands" in one
    assert "Credits for work done." not in one

    searched = teacher_client.get(reverse("glossary"), {"q": "credits"}).text
    assert "work points" in searched and "People&#x27;s Communes" not in searched


def test_the_glossary_takes_the_same_queries_for_few_or_many_terms(
    teacher_client, shared_lesson, django_assert_num_queries
):
    passage = passage_of(shared_lesson)
    AnnotationFactory(passage=passage, kind="key_term", **span(TEXT, "1958"))
    # Warm up first: the school settings are cached after one request.
    teacher_client.get(reverse("glossary"))
    with django_assert_num_queries(3) as small:
        teacher_client.get(reverse("glossary"))
    for _ in range(10):
        lesson = LessonFactory()
        AnnotationFactory(
            passage=PassageFactory(lesson=lesson, text=TEXT), kind="key_term", **span(TEXT, "1958")
        )
    with django_assert_num_queries(len(small.captured_queries)):
        teacher_client.get(reverse("glossary"))


def test_the_teacher_navigation_links_to_lessons_and_the_glossary(teacher_client):
    html = teacher_client.get(reverse("home")).text
    assert f'href="{reverse("lesson_list")}"' in html
    assert f'href="{reverse("glossary")}"' in html


# New lessons: paste or upload, review, save ---------------------------------------------

RAW_ESSAY = (
    "Download paper\n\nThe Great Leap Forward\n\nWritten By: A. Historian\n\n"
    "The first paragraph of the essay, long enough to be body text and not a heading.\n\n"
    "Communes\n\nThe communes paragraph.\n\nFamine\n\nThe famine paragraph.\n\n"
    "Cite this page\n\nThe Great Leap Forward. (2020). Retrieved from\n"
)


def review_data(response) -> dict:
    """The review form as the browser would submit it."""
    form = response.context["formset"]
    data = {
        "step": "review",
        "source": response.context["source_form"].initial["source"],
        "rules": response.context["source_form"].initial["rules"],
        "passages-TOTAL_FORMS": str(len(form.forms)),
        "passages-INITIAL_FORMS": str(len(form.forms)),
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "200",
    }
    for i, passage_form in enumerate(form.forms):
        for name in ("heading", "kind", "text"):
            data[f"passages-{i}-{name}"] = passage_form.initial.get(name, "")
    details = response.context["details_form"]
    for name in details.fields:
        data[name] = details.initial.get(name, "")
    return data


def propose(client, **data):
    return client.post(
        reverse("lesson_import"),
        {"step": "propose", "rules": DEFAULT_RULES, "text": "", **data},
    )


def test_the_import_page_shows_the_furniture_rules_to_edit(teacher_client):
    response = teacher_client.get(reverse("lesson_import"))
    assert response.status_code == 200
    assert "Download paper" in response.text
    assert 'type="file"' in response.text


def test_pasted_text_is_proposed_as_passages_for_review(teacher_client):
    response = propose(teacher_client, text=RAW_ESSAY)
    assert response.status_code == 200
    assert response.context["details_form"].initial["title"] == "The Great Leap Forward"
    assert response.context["details_form"].initial["author"] == "A. Historian"
    passages = [f.initial for f in response.context["formset"].forms]
    assert [p["heading"] for p in passages] == ["", "Communes", "Famine"]
    assert "Download paper" in response.context["removed"]
    assert not Lesson.objects.exists()  # nothing is saved before the review


def test_a_docx_upload_is_proposed_as_passages(teacher_client):
    from tests.test_lessons_importer import make_docx

    upload = SimpleUploadedFile("leap.docx", make_docx())
    response = propose(teacher_client, file=upload)
    assert response.status_code == 200
    assert response.context["details_form"].initial["title"] == "The Great Leap Forward"
    assert len(response.context["formset"].forms) == 3


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({}, "text", "Paste the text of the lesson, or upload a file."),
        ({"file": ("essay.pdf", b"%PDF")}, "file", "Upload a .txt, .md or .docx file"),
        ({"file": ("a.txt", b"x"), "text": "Some text"}, "text", "not both"),
    ],
)
def test_a_missing_or_wrong_source_is_refused_with_a_message(teacher_client, data, field, message):
    if "file" in data:
        data["file"] = SimpleUploadedFile(*data["file"])
    response = propose(teacher_client, **data)
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert message.split(".")[0] in response.text


def test_an_upload_over_5_mb_is_refused_without_a_temporary_file(teacher_client, monkeypatch):
    from django.core.files import uploadedfile

    def no_disk(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", no_disk)
    big = SimpleUploadedFile("big.txt", b"word " * (6 * 1024 * 1024 // 5))
    response = propose(teacher_client, file=big)
    assert response.status_code == 422
    assert "files can be at most 5 MB" in response.text


def review(client, data, action, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("lesson_import"), {**data, "action": action}, headers=headers)


def passages_in(response):
    return [(f.initial["heading"], f.initial["text"]) for f in response.context["formset"].forms]


def test_the_review_merges_splits_moves_and_deletes_passages(teacher_client):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))

    merged = review(teacher_client, data, "merge-1")
    assert passages_in(merged)[1] == (
        "Communes",
        "The communes paragraph.\n\nFamine\n\nThe famine paragraph.",
    )
    split = review(teacher_client, review_data(merged), "split-1")
    assert [p[1] for p in passages_in(split)][1:] == [
        "The communes paragraph.",
        "Famine",
        "The famine paragraph.",
    ]
    moved = review(teacher_client, data, "down-0")
    assert [p[0] for p in passages_in(moved)] == ["Communes", "", "Famine"]
    deleted = review(teacher_client, data, "delete-2")
    assert [p[0] for p in passages_in(deleted)] == ["", "Communes"]
    # Edits typed into a passage are kept when another passage is moved.
    data["passages-0-text"] = "My corrected first paragraph."
    kept = review(teacher_client, data, "up-2")
    assert ("", "My corrected first paragraph.") in passages_in(kept)
    assert not Lesson.objects.exists()


def test_an_htmx_review_action_returns_only_the_form(teacher_client):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))
    response = review(teacher_client, data, "merge-0", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form")
    assert "Passages 1 and 2 merged." in response.text


def test_saving_the_review_creates_the_lesson_in_order(teacher_client, teacher):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))
    data["source_kind"] = "essay"
    response = review(teacher_client, data, "save")
    lesson = Lesson.objects.get()
    assert response["Location"] == reverse("lesson_detail", args=[lesson.pk])
    assert lesson.owner == teacher
    assert (lesson.title, lesson.author, lesson.source_kind) == (
        "The Great Leap Forward",
        "A. Historian",
        "essay",
    )
    assert [(p.order, p.heading) for p in lesson.passages.all()] == [
        (1, ""),
        (2, "Communes"),
        (3, "Famine"),
    ]


def test_saving_with_htmx_redirects_the_browser(teacher_client):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))
    response = review(teacher_client, data, "save", htmx=True)
    lesson = Lesson.objects.get()
    assert response["HX-Redirect"] == reverse("lesson_detail", args=[lesson.pk])


def test_an_invalid_review_keeps_everything_typed_and_saves_nothing(teacher_client):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))
    data["title"] = ""
    data["passages-1-text"] = "   "
    data["passages-2-text"] = "My edited famine paragraph."
    response = review(teacher_client, data, "save")
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert "This passage has no text" in response.text
    assert "My edited famine paragraph." in response.text
    assert not Lesson.objects.exists()


def test_splitting_again_applies_edited_rules_to_the_original_text(teacher_client):
    data = review_data(propose(teacher_client, text=RAW_ESSAY))
    data["rules"] = DEFAULT_RULES.replace("Download paper\n", "")
    response = review(teacher_client, data, "resplit")
    # No longer removed as furniture, the line is now taken for a heading above the title.
    assert "Download paper" not in response.context["removed"]
    assert "Download paper (a heading above the title)" in response.context["removed"]


def test_the_import_still_checks_the_csrf_token(teacher):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(teacher)
    response = client.post(reverse("lesson_import"), {"step": "propose", "text": RAW_ESSAY})
    assert response.status_code == 403
    page = client.get(reverse("lesson_import"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("lesson_import"),
        {"step": "propose", "text": RAW_ESSAY, "rules": "", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200


def test_a_note_is_also_a_partial_and_a_passage_block_can_be_fetched_again(
    teacher_client, teacher, own_lesson
):
    passage = passage_of(own_lesson)
    note = AnnotationFactory(passage=passage, author=teacher, **span(TEXT, "work points"))
    partial = teacher_client.get(
        reverse("annotation_detail", args=[note.pk]), headers={"HX-Request": "true"}
    )
    assert partial.text.lstrip().startswith(f'<li class="note note--key_term" id="note-{note.pk}"')
    block = teacher_client.get(
        reverse("lesson_detail", args=[own_lesson.pk]),
        {"passage": passage.pk},
        headers={"HX-Request": "true"},
    )
    assert block.text.lstrip().startswith('<section class="passage-block')
    other = PassageFactory()
    missing = teacher_client.get(
        reverse("lesson_detail", args=[own_lesson.pk]),
        {"passage": other.pk},
        headers={"HX-Request": "true"},
    )
    assert missing.status_code == 404
