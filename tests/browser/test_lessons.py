"""Annotating in a real browser: select words, add a note, open it by mouse and keyboard."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import Annotation
from tests.factories import TEST_PASSWORD, AnnotationFactory, LessonFactory, PassageFactory

# Paragraph breaks, curly quotes and a character outside the Basic Multilingual Plane (one
# code point in Python, two UTF-16 units in JavaScript) before the words to select.
TEXT = (
    "The Great Leap Forward \U0001f4c5 began in 1958.\n\n"
    "Mao’s “People’s Communes” merged 740,000 cooperatives into about 26,000 communes.\n\n"
    "Private plots were abolished and work points replaced wages."
)


@pytest.fixture
def lesson(teacher):
    lesson = LessonFactory(owner=None, title="The communes")
    PassageFactory(lesson=lesson, order=1, heading="The communes", text=TEXT)
    return lesson


def select_words(page, passage_id: int, words: str) -> None:
    """Drag the mouse across the words, as a teacher would."""
    box = page.evaluate(
        """([id, words]) => {
            const el = document.getElementById('passage-' + id + '-text');
            const at = el.textContent.indexOf(words);
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let node, offset = 0, started = false;
            while ((node = walker.nextNode())) {
                const end = offset + node.data.length;
                if (!started && at < end) { range.setStart(node, at - offset); started = true; }
                if (started && at + words.length <= end) {
                    range.setEnd(node, at + words.length - offset); break;
                }
                offset = end;
            }
            const rects = range.getClientRects();
            const first = rects[0], last = rects[rects.length - 1];
            return {x1: first.left + 1, y1: first.top + first.height / 2,
                    x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        [passage_id, words],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def test_a_teacher_selects_words_annotates_them_and_a_reader_opens_the_note(
    page, log_in, teacher, outsider_teacher, lesson
):
    passage = lesson.passages.get()
    log_in(teacher)
    page.goto(f"/lessons/{lesson.pk}/")
    text_element = page.locator(f"#passage-{passage.pk}-text")
    # What the browser shows is exactly the passage's text, so offsets mean the same.
    assert text_element.evaluate("el => el.textContent") == TEXT

    select_words(page, passage.pk, "“People’s Communes”")
    block = page.locator(f"#passage-{passage.pk}")
    block.get_by_role("button", name="Annotate selection").click()
    expect(block.get_by_label("Words in the text:")).to_have_value("“People’s Communes”")
    block.get_by_label("Kind of note:").select_option("key_term")
    block.get_by_label("Note:", exact=True).fill("Huge collective farms <b>of</b> thousands.")
    block.get_by_role("button", name="Add note").click()
    expect(block.get_by_role("status")).to_contain_text("Note added")

    note = Annotation.objects.get()
    start = TEXT.index("“People’s Communes”")
    assert (note.start, note.end) == (start, start + len("“People’s Communes”"))
    assert note.quote == "“People’s Communes”"
    assert note.author == teacher
    assert text_element.evaluate("el => el.textContent") == TEXT
    page.context.clear_cookies()

    # Another teacher reads the lesson and opens the note with the mouse…
    log_in(outsider_teacher)
    page.goto(f"/lessons/{lesson.pk}/")
    highlight = page.locator(f"#passage-{passage.pk}-text a.hl")
    expect(highlight).to_have_text("“People’s Communes”")
    highlight.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Huge collective farms <b>of</b> thousands.")
    expect(dialog).to_contain_text("Ms Teacher")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(highlight).to_be_focused()

    # …and with the keyboard: Enter, then Space.
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    highlight.focus()
    page.keyboard.press(" ")
    expect(page.get_by_role("dialog")).to_contain_text("Huge collective farms")
    assert page.js_errors == []


def test_overlapping_notes_open_together_and_can_be_edited_from_the_popup(
    page, log_in, teacher, lesson
):
    passage = lesson.passages.get()
    words = "work points replaced wages"
    AnnotationFactory(
        passage=passage,
        author=teacher,
        kind="key_term",
        note="Credits for a day's labour.",
        start=TEXT.index("work points"),
        end=TEXT.index("work points") + len("work points"),
        quote="work points",
    )
    AnnotationFactory(
        passage=passage,
        author=teacher,
        kind="interpretation",
        note="Fairer than wages?",
        start=TEXT.index(words),
        end=TEXT.index(words) + len(words),
        quote=words,
    )
    log_in(teacher)
    page.goto(f"/lessons/{lesson.pk}/")
    text_element = page.locator(f"#passage-{passage.pk}-text")
    assert text_element.evaluate("el => el.textContent") == TEXT
    overlap = text_element.locator("a.hl--overlap")
    expect(overlap).to_have_text("work points")
    overlap.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("2 notes on these words")
    expect(dialog).to_contain_text("Credits for a day's labour.")
    expect(dialog).to_contain_text("Fairer than wages?")

    dialog.get_by_role("link", name=re.compile("^Edit")).last.click()
    edit = page.locator(".note--editing").get_by_label("Note:", exact=True)
    expect(edit).to_have_value("Fairer than wages?")
    expect(edit).to_be_focused()
    edit.fill("Fairer than wages, or less fair?")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("Note saved.")
    assert Annotation.objects.get(kind="interpretation").note == "Fairer than wages, or less fair?"
    assert page.js_errors == []


def test_without_javascript_a_teacher_types_the_words_and_follows_links_to_notes(
    browser, live_server, teacher, lesson
):
    passage = lesson.passages.get()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(teacher.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/lessons/{lesson.pk}/")
    block = page.locator(f"#passage-{passage.pk}")
    block.locator("summary", has_text="Add a note").click()
    block.get_by_label("Words in the text:").fill("People's Communes")  # straight quote
    block.get_by_label("Kind of note:").select_option("context")
    block.get_by_label("Note:", exact=True).fill("Set up in 1958.")
    block.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added on")).to_be_visible()
    note = Annotation.objects.get()
    assert note.quote == "People’s Communes"
    page.locator(f"#passage-{passage.pk}-text a.hl").click()
    assert page.url.endswith(f"#note-{note.pk}")
    expect(page.locator(f"#note-{note.pk}")).to_contain_text("Set up in 1958.")
    context.close()


def test_a_teacher_adds_a_passage_and_moves_it_up_with_the_keyboard(page, log_in, teacher):
    lesson = LessonFactory(owner=teacher, title="My communes lesson")
    PassageFactory(lesson=lesson, order=1, heading="Opening", text="The first words.")
    PassageFactory(lesson=lesson, order=2, heading="Closing", text="The last words.")
    log_in(teacher)
    page.goto(f"/lessons/{lesson.pk}/")

    page.get_by_role("link", name="Add a passage at the end").click()
    form = page.locator("form.passage-add")
    expect(form.get_by_label("Text:")).to_be_focused()
    form.get_by_label("Heading:").fill("Afterword")
    form.get_by_label("Text:").fill("Words added after the import.")
    form.get_by_role("button", name="Add passage").click()
    # The new passage's message takes the focus (after htmx settles: wait for it).
    status = page.get_by_role("status")
    expect(status).to_contain_text("Passage added as passage 3.")
    expect(status).to_be_focused()
    added = lesson.passages.get(heading="Afterword")
    block = page.locator(f"#passage-{added.pk}")
    expect(block.get_by_role("status")).to_be_focused()

    # Keyboard only: Tab to its "Move up" button and press Enter, twice.
    block.get_by_role("link", name="Edit passage").focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text(re.compile("^Move up"))
    page.keyboard.press("Enter")
    expect(page.locator(".passage-block").nth(1)).to_have_id(f"passage-{added.pk}")
    # The focus came back to the moved passage's button, so Enter moves it again.
    focused = page.locator(":focus")
    expect(focused).to_have_text(re.compile("^Move up"))
    expect(page.locator(f"#passage-{added.pk} :focus")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator(".passage-block").first).to_have_id(f"passage-{added.pk}")
    # At the top there is no "Move up": the focus is on its "Move down".
    expect(page.locator(f"#passage-{added.pk} :focus")).to_have_text(re.compile("^Move down"))
    assert list(lesson.passages.order_by("order").values_list("heading", flat=True)) == [
        "Afterword",
        "Opening",
        "Closing",
    ]
    assert not page.js_errors
