"""Evidence in a real browser: a student quotes two pieces of evidence from the source into an
answer (with the button beside the selection, and with the keyboard shortcut), submits, and
the teacher sees them highlighted while marking; quoting on a phone; choosing key evidence by
selecting words in the question editor."""

import re

import pytest
from playwright.sync_api import expect

from lessons.models import Answer, EvidenceLink, KeyEvidence
from tests.factories import LessonFactory, PassageFactory, TaskFactory, make_points_question

TEXT = (
    "The Lushan Conference of July 1959 turned on Peng Dehuai. Peng had written to Mao "
    "about the famine; Mao called the letter an attack.\n\nAfter Lushan the campaign "
    "against right opportunism silenced every critic, and the famine deepened."
)
SAVED = re.compile(r"^Saved \d\d:\d\d$")


@pytest.fixture
def passage(db):
    return PassageFactory(
        text=TEXT, heading="Lushan", lesson=LessonFactory(title="Political origins")
    )


@pytest.fixture
def task(teacher, school_class, passage):
    task = TaskFactory(
        owner=teacher, classes=[school_class], lessons=[passage.lesson], title="After Lushan"
    )
    make_points_question(task=task, prompt="Why did criticism of the Leap stop in 1959?")
    make_points_question(task=task, prompt="What happened to Peng Dehuai?")
    return task


def select_words(page, passage, words, scope="#task-source"):
    """Select words of a passage's text as a reader would (a range over its text nodes)."""
    page.evaluate(
        """([selector, words]) => {
          const el = document.querySelector(selector);
          const at = el.textContent.indexOf(words);
          if (at < 0) throw new Error("not in the text: " + words);
          const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          const range = document.createRange();
          let seen = 0, node, started = false;
          while ((node = walker.nextNode())) {
            const next = seen + node.textContent.length;
            if (!started && at < next) { range.setStart(node, at - seen); started = true; }
            if (started && at + words.length <= next) {
              range.setEnd(node, at + words.length - seen);
              break;
            }
            seen = next;
          }
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }""",
        [
            f"{scope} .passage__text[data-passage='{passage.pk}'], "
            f"{scope} .select-text[data-passage='{passage.pk}']",
            words,
        ],
    )


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_a_student_quotes_two_pieces_of_evidence_and_the_teacher_sees_them_highlighted(
    page, log_in, student, teacher, task, passage
):
    log_in(student)
    page.goto(f"/my/tasks/{task.pk}/")
    answer_box = page.get_by_label("Your answer to question 1")
    answer_box.click()
    answer_box.type("Mao turned on his critics at ")

    # With the mouse: select, then the button beside the selection.
    select_words(page, passage, "Lushan Conference of July 1959")
    button = page.get_by_role("button", name="Quote as evidence in question 1")
    expect(button).to_be_visible()
    button.click()
    expect(answer_box).to_have_value(
        "Mao turned on his critics at \u201cLushan Conference of July 1959\u201d "
        "(Political origins, Lushan)"
    )
    expect(page.locator(".answer__status").first).to_have_text(SAVED)

    # With the keyboard shortcut: the quotation goes where the cursor is.
    answer_box.press("End")
    answer_box.type(". Afterwards the campaign ")
    select_words(page, passage, "silenced every critic")
    page.keyboard.press("Alt+Shift+KeyQ")
    expect(
        page.locator(f"#answer-{task.questions.first().pk}-evidence .evidence-item")
    ).to_have_count(2)
    expect(answer_box).to_have_value(re.compile(r"campaign \u201csilenced every critic\u201d"))
    expect(page.locator(".answer__status").first).to_have_text(SAVED)
    # The student's own quotations are highlighted in the source once the page reloads.
    page.reload()
    expect(page.locator("#task-source mark.evidence")).to_have_count(2)

    page.get_by_role("link", name="Submit…").click()
    page.get_by_role("button", name=re.compile("^Submit")).click()
    expect(page.get_by_text("Your work is submitted.")).to_be_visible()
    answer = Answer.objects.get(submission__student=student, question=task.questions.first())
    assert answer.text.count("(Political origins, Lushan)") == 2
    assert EvidenceLink.objects.filter(answer=answer).count() == 2

    log_out(page)
    log_in(teacher)
    page.goto(f"/tasks/{task.pk}/mark/questions/{answer.question_id}/")
    expect(page.get_by_role("heading", name=re.compile("Evidence used: 2"))).to_be_visible()
    highlights = page.locator(".marking-passages .passage__text mark.evidence")
    expect(highlights).to_have_count(2)
    expect(highlights.first).to_have_text("Lushan Conference of July 1959")
    expect(highlights.nth(1)).to_have_text("silenced every critic")
    assert page.js_errors == []


def test_on_a_phone_quoting_from_the_source_pane_returns_to_the_answer(
    browser, live_server, log_in, student, task, passage
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto("/accounts/login/")
    phone.get_by_label("Username").fill(student.username)
    phone.get_by_label("Password").fill("correct-horse-battery")
    phone.get_by_role("button", name="Log in").click()
    phone.goto(f"/my/tasks/{task.pk}/")
    second = phone.get_by_label("Your answer to question 2")
    second.click()
    second.type("Peng was purged: ")
    phone.get_by_role("button", name="Source", exact=True).click()
    select_words(phone, passage, "Peng Dehuai")
    phone.get_by_role("button", name="Quote as evidence in question 2").click()
    expect(second).to_be_visible()
    expect(second).to_have_value(
        "Peng was purged: \u201cPeng Dehuai\u201d (Political origins, Lushan)"
    )
    expect(second).to_be_focused()
    assert phone.locator(".evidence-block").nth(1).locator(".evidence-item").count() == 1
    context.close()
    assert errors == []


def test_a_teacher_picks_key_evidence_by_selecting_words_in_the_question_editor(
    page, log_in, teacher, task, passage
):
    question = task.questions.first()
    log_in(teacher)
    page.goto(f"/tasks/{task.pk}/")
    page.get_by_role("link", name="Edit question 1").click()
    section = page.locator(f"#question-{question.pk}-evidence")
    section.locator("summary", has_text="Add key evidence").click()
    select_words(page, passage, "Peng Dehuai", scope=f"#question-{question.pk}-evidence")
    section.get_by_role("button", name="Use selected words").click()
    section.get_by_label("What it is evidence of").fill("Peng's fall")
    section.get_by_role("button", name="Add key evidence").click()
    expect(section.get_by_text("Key evidence added")).to_be_visible()
    key = KeyEvidence.objects.get()
    assert (key.quote, key.description, key.start) == (
        "Peng Dehuai",
        "Peng's fall",
        TEXT.index("Peng Dehuai"),
    )
    assert page.js_errors == []
