"""The task editor in a real browser: a teacher builds seed 004's two questions with htmx."""

from playwright.sync_api import expect

from lessons.models import Question, Task
from tests.factories import PassageFactory, TaskFactory, make_points_question

AIMS = [
    "To rapidly industrialise China and transform it into a modern socialist economy.",
    "To increase agricultural production through collectivisation and People's Communes.",
    "To demonstrate the superiority of Chinese socialism and reduce reliance on the Soviets.",
]
LEVELS = [
    ("1", "2", "Simple statements with limited detail."),
    ("3", "4", "Clear explanation of one consequence OR limited explanation of two."),
    ("5", "6", "Clear, developed explanation of two significant consequences."),
]


def fill(page, name: str, value: str) -> None:
    page.locator(f'[name="{name}"]').fill(value)


def open_editor(page, question) -> None:
    """Click a question's Edit and wait until htmx has swapped the form in and settled.

    Typing into the form before the swap settles can land in an element that is then
    replaced (seen on a loaded CI machine), losing what the test typed."""
    page.locator(f"#question-{question.pk}").get_by_role("link", name="Edit").click()
    expect(page.locator(f'[name="q{question.pk}-prompt"]')).to_be_editable()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_teacher_builds_a_points_and_a_levels_question_and_publishes(
    page, log_in, teacher, school_class
):
    PassageFactory(heading="Consequences of Communalisation", lesson__title="OCR notes")
    log_in(teacher)

    # The task's settings: a plain form.
    page.get_by_role("link", name="Tasks", exact=True).click()
    page.get_by_role("link", name="New task").first.click()
    page.get_by_label("Title").fill("The Great Leap Forward")
    page.get_by_label("12H History").check()
    page.get_by_label("OCR notes").check()
    page.get_by_label("Due:", exact=True).fill("2099-07-01T17:00")
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", name="The Great Leap Forward")).to_be_visible()
    task = Task.objects.get()
    editor_url = page.url

    # Question 1: points-based, as seed 004's.
    page.get_by_text("Add a question", exact=True).click()
    fill(page, "new-prompt", "Identify two key aims of Mao Zedong's Great Leap Forward.")
    fill(page, "new-max_marks", "2")
    page.locator('[name="new-answer_type"][value="short"]').check()
    expect(page.locator('[name="new-levels-0-descriptor"]')).to_be_hidden()
    for i, text in enumerate(AIMS):
        fill(page, f"new-points-{i}-text", text)
    page.get_by_role("button", name="Add question").click()
    first = page.locator("#question-list > .question").nth(0)
    expect(first).to_contain_text("Identify two key aims")
    expect(page.locator("#task-totals")).to_have_text("1 question · 2 marks in total")

    # Question 2: levels-based, first with an overlap to see the error in place.
    page.get_by_text("Add a question", exact=True).click()
    fill(page, "new-prompt", "Explain two significant consequences of the Great Leap Forward.")
    fill(page, "new-max_marks", "6")
    page.locator('[name="new-scheme_kind"][value="levels"]').check()
    expect(page.locator('[name="new-points-0-text"]')).to_be_hidden()
    for i, (low, high, descriptor) in enumerate(LEVELS):
        fill(page, f"new-levels-{i}-min_marks", low)
        fill(page, f"new-levels-{i}-max_marks", high)
        fill(page, f"new-levels-{i}-descriptor", descriptor)
    fill(page, "new-levels-1-min_marks", "2")
    page.locator('[name="new-exemplars-0-level"]').select_option("1")
    fill(page, "new-exemplars-0-mark", "1")
    fill(page, "new-exemplars-0-text", "There was a famine.")
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_text("Level 2 (2–4) overlaps Level 1 (1–2): start it at 3.")).to_be_visible()
    expect(page.locator('[name="new-levels-1-min_marks"]')).to_be_focused()
    # What was typed is still there, and question 1 is untouched.
    expect(page.locator('[name="new-levels-2-descriptor"]')).to_have_value(LEVELS[2][2])
    expect(page.locator("#question-list > .question")).to_have_count(1)

    fill(page, "new-levels-1-min_marks", "3")
    page.get_by_role("button", name="Add question").click()
    expect(page.locator("#question-list > .question")).to_have_count(2)
    expect(page.locator("#task-totals")).to_have_text("2 questions · 8 marks in total")
    second = page.locator("#question-list > .question").nth(1)
    second.locator("summary", has_text="Mark scheme").click()
    expect(second.get_by_role("cell", name="5–6")).to_be_visible()

    # Reorder in place: question 2 goes up and the numbers follow.
    second.get_by_role("button", name="Up").click()
    expect(page.locator("#question-list > .question").nth(0)).to_contain_text("consequences")
    expect(page.locator("#question-list .question__title").nth(0)).to_have_text("Question 1")

    # Publish without leaving the page.
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#task-status")).to_contain_text("Published")

    task.refresh_from_db()
    assert task.status == Task.Status.PUBLISHED
    points, levels = (
        Question.objects.get(task=task, scheme_kind="points"),
        Question.objects.get(task=task, scheme_kind="levels"),
    )
    assert [p.text for p in points.indicative_points.all()] == AIMS
    assert points.max_marks == 2 and points.answer_type == "short"
    assert [(lv.number, lv.min_marks, lv.max_marks) for lv in levels.levels.all()] == [
        (1, 1, 2),
        (2, 3, 4),
        (3, 5, 6),
    ]
    assert levels.exemplars.get().level.number == 1
    assert list(task.questions.order_by("order")) == [levels, points]
    assert page.url == editor_url
    assert page.js_errors == []


def test_an_error_in_one_question_keeps_the_edits_open_in_another(
    page, log_in, teacher, school_class
):
    task = TaskFactory(owner=teacher, classes=[school_class], status=Task.Status.DRAFT)
    first = make_points_question(task=task, order=0)
    second = make_points_question(task=task, order=1)
    log_in(teacher)
    page.goto(f"/tasks/{task.pk}/")

    open_editor(page, first)
    fill(page, f"q{first.pk}-prompt", "An edit not saved yet.")
    open_editor(page, second)
    fill(page, f"q{second.pk}-max_marks", "0")
    page.get_by_role("button", name="Save question 2").click()

    expect(page.locator(f"#question-{second.pk}")).to_contain_text(
        "Maximum marks must be between 1 and 100."
    )
    expect(page.locator(f'[name="q{first.pk}-prompt"]')).to_have_value("An edit not saved yet.")

    # Moving a question keeps the open form too.
    page.locator(f"#question-{second.pk}").get_by_role("button", name="Up").click()
    expect(page.locator("#question-list > .question").nth(0)).to_have_id(f"question-{second.pk}")
    expect(page.locator(f'[name="q{first.pk}-prompt"]')).to_have_value("An edit not saved yet.")

    # Saving the first shows it, saved, in place.
    page.locator(f"#question-{first.pk}").get_by_role("button", name="Save question 2").click()
    expect(page.locator(f"#question-{first.pk}")).to_contain_text("Saved.")
    first.refresh_from_db()
    assert first.prompt == "An edit not saved yet."
    assert page.js_errors == []


def test_deleting_a_question_asks_in_place(page, log_in, teacher, school_class):
    task = TaskFactory(owner=teacher, classes=[school_class], status=Task.Status.DRAFT)
    keep = make_points_question(task=task, order=0)
    gone = make_points_question(task=task, order=1)
    log_in(teacher)
    page.goto(f"/tasks/{task.pk}/")

    page.locator(f"#question-{gone.pk}").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Delete question 2?")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    expect(page.get_by_text("Delete question 2?")).to_have_count(0)

    page.locator(f"#question-{gone.pk}").get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Yes, delete question 2").click()
    expect(page.locator(f"#question-{gone.pk}")).to_have_count(0)
    expect(page.locator("#task-totals")).to_have_text("1 question · 2 marks in total")
    assert list(task.questions.all()) == [keep]
    assert page.js_errors == []
