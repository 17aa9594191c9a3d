"""The task pages: the editor (htmx and plain POST), settings, copy, delete, print, the bank,
and who may reach each URL."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import Answer, Level, Question, Task

from .factories import (
    AnswerFactory,
    BankQuestionFactory,
    LessonFactory,
    PassageFactory,
    QuestionFactory,
    SchoolClassFactory,
    SubmissionFactory,
    TaskFactory,
    TeacherFactory,
    make_levels_question,
    make_points_question,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def queries_for(client, url: str) -> int:
    # Warm up first: per-process caches (the school settings) fill on the first request.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def rows_data(prefix: str, section: str, rows, initial: int = 0) -> dict:
    data = {
        f"{prefix}-{section}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-{section}-INITIAL_FORMS": str(initial),
        f"{prefix}-{section}-MIN_NUM_FORMS": "0",
        f"{prefix}-{section}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{section}-{i}-{name}"] = value
    return data


def question_data(
    prefix="new",
    *,
    prompt="Identify two key aims of the Great Leap Forward.",
    max_marks="2",
    answer_type="short",
    kind="points",
    marks_per_point="1",
    guidance="",
    points=(),
    levels=(),
    exemplars=(),
    initial=(0, 0, 0),
    **extra,
) -> dict:
    data = {
        f"{prefix}-prompt": prompt,
        f"{prefix}-max_marks": max_marks,
        f"{prefix}-answer_type": answer_type,
        f"{prefix}-scheme_kind": kind,
        f"{prefix}-marks_per_point": marks_per_point,
        f"{prefix}-guidance": guidance,
        **rows_data(prefix, "points", list(points), initial[0]),
        **rows_data(prefix, "levels", list(levels), initial[1]),
        **rows_data(prefix, "exemplars", list(exemplars), initial[2]),
    }
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return data


AIMS = [
    {"text": "To rapidly industrialise China.", "marks": "1", "alternatives": ""},
    {"text": "To increase agricultural production.", "marks": "1", "alternatives": ""},
    {"text": "To show the superiority of Chinese socialism.", "marks": "1"},
]
LEVELS = [
    {"min_marks": "1", "max_marks": "2", "descriptor": "Simple statements."},
    {"min_marks": "3", "max_marks": "4", "descriptor": "One consequence explained."},
    {"min_marks": "5", "max_marks": "6", "descriptor": "Two consequences developed."},
]


@pytest.fixture
def task(teacher, school_class):
    return TaskFactory(
        owner=teacher, classes=[school_class], status=Task.Status.DRAFT, title="The communes"
    )


# Who may reach each URL


def teacher_urls(task, question, bank_question):
    return [
        ("get", reverse("task_detail", args=[task.pk])),
        ("get", reverse("task_edit", args=[task.pk])),
        ("post", reverse("task_edit", args=[task.pk])),
        ("post", reverse("task_set_status", args=[task.pk])),
        ("get", reverse("task_copy", args=[task.pk])),
        ("post", reverse("task_copy", args=[task.pk])),
        ("get", reverse("task_delete", args=[task.pk])),
        ("post", reverse("task_delete", args=[task.pk])),
        ("get", reverse("task_print", args=[task.pk])),
        ("get", reverse("task_print", args=[task.pk]) + "?scheme=1"),
        ("get", reverse("question_create", args=[task.pk])),
        ("post", reverse("question_create", args=[task.pk])),
        ("get", reverse("question_detail", args=[question.pk])),
        ("get", reverse("question_edit", args=[question.pk])),
        ("post", reverse("question_edit", args=[question.pk])),
        ("post", reverse("question_delete", args=[question.pk])),
        ("post", reverse("question_move", args=[question.pk])),
        ("post", reverse("question_add_from_bank", args=[bank_question.pk])),
    ]


GENERAL_URLS = [
    ("get", "task_list"),
    ("get", "task_create"),
    ("post", "task_create"),
    ("get", "question_bank"),
]


@pytest.fixture
def objects(task):
    return task, make_points_question(task=task), BankQuestionFactory()


def test_anonymous_visitors_are_sent_to_log_in_from_every_url(client, objects):
    urls = teacher_urls(*objects) + [(m, reverse(n)) for m, n in GENERAL_URLS]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_students_get_403_on_every_url(student_client, objects):
    urls = teacher_urls(*objects) + [(m, reverse(n)) for m, n in GENERAL_URLS]
    for method, url in urls:
        assert getattr(student_client, method)(url).status_code == 403, url


def test_another_teacher_gets_404_for_the_task_and_its_questions(client, outsider_teacher, objects):
    client.force_login(outsider_teacher)
    task, question, _ = objects
    for method, url in teacher_urls(*objects)[:-1]:
        assert getattr(client, method)(url).status_code == 404, url
    # Nor can they add to it from the bank.
    own = BankQuestionFactory()
    response = client.post(reverse("question_add_from_bank", args=[own.pk]), {"task": task.pk})
    assert response.status_code == 404
    assert task.questions.count() == 1
    assert Task.objects.get(pk=task.pk).status == Task.Status.DRAFT


def test_another_teachers_question_is_not_in_my_bank(teacher_client, task, outsider_teacher):
    theirs = QuestionFactory(task=TaskFactory(owner=outsider_teacher), owner=outsider_teacher)
    response = teacher_client.post(
        reverse("question_add_from_bank", args=[theirs.pk]), {"task": task.pk}
    )
    assert response.status_code == 404
    assert not task.questions.exists()


def test_a_bank_only_question_cannot_be_edited_in_place(teacher_client):
    bank = BankQuestionFactory()
    assert teacher_client.get(reverse("question_edit", args=[bank.pk])).status_code == 404


def test_a_co_teacher_of_the_class_may_edit_the_task(client, task, school_class):
    colleague = TeacherFactory(username="colleague")
    school_class.teachers.add(colleague)
    client.force_login(colleague)
    assert client.get(reverse("task_detail", args=[task.pk])).status_code == 200


def test_write_methods_are_refused_on_get(teacher_client, objects):
    task, question, bank = objects
    for url in [
        reverse("task_set_status", args=[task.pk]),
        reverse("question_move", args=[question.pk]),
        reverse("question_delete", args=[question.pk]),
        reverse("question_add_from_bank", args=[bank.pk]),
    ]:
        assert teacher_client.get(url).status_code == 405, url


# Task settings


def test_teacher_creates_a_task_with_times_read_in_the_schools_zone(
    teacher_client, school_class, settings
):
    settings.TIME_ZONE = "Europe/London"
    lesson = LessonFactory()
    response = teacher_client.post(
        reverse("task_create"),
        {
            "title": "The communes",
            "instructions": "Read the source first.",
            "classes": [school_class.pk],
            "lessons": [lesson.pk],
            "opens_at": "2099-06-30T08:00",
            "due_at": "2099-07-01T17:00",
            "late_policy": "refuse",
            "show_mark_scheme": "on",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[task.pk])
    # British Summer Time: 17:00 in London is 16:00 UTC.
    assert task.due_at == datetime(2099, 7, 1, 16, 0, tzinfo=UTC)
    assert task.status == Task.Status.DRAFT
    assert task.late_policy == "refuse" and task.show_mark_scheme
    page = teacher_client.get(response["Location"]).content.decode()
    assert "Wed 1 Jul 2099, 17:00 BST" in page


def test_a_due_time_before_the_open_time_is_an_error_at_the_field(teacher_client, school_class):
    response = teacher_client.post(
        reverse("task_create"),
        {
            "title": "My <b>title</b>",
            "classes": [school_class.pk],
            "opens_at": "2099-07-02T09:00",
            "due_at": "2099-07-01T17:00",
            "late_policy": "accept",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The due time must be after the open time." in html
    assert 'value="My &lt;b&gt;title&lt;/b&gt;"' in html
    assert not Task.objects.exists()


def test_a_task_needs_a_class_of_the_teacher(teacher_client, school_class, other_class):
    response = teacher_client.post(
        reverse("task_create"),
        {
            "title": "X",
            "classes": [other_class.pk],
            "opens_at": "2099-07-01T09:00",
            "due_at": "2099-07-02T09:00",
            "late_policy": "accept",
        },
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Task.objects.exists()


def test_a_time_that_does_not_exist_in_the_schools_zone_is_an_error(teacher_client, school_class):
    # The clocks go forward at 01:00 on 29 March 2099 in London: 01:30 never happens.
    response = teacher_client.post(
        reverse("task_create"),
        {
            "title": "X",
            "classes": [school_class.pk],
            "opens_at": "2099-03-29T01:30",
            "due_at": "2099-04-02T17:00",
            "late_policy": "accept",
        },
    )
    assert response.status_code == 422
    assert "couldn’t be interpreted in time zone Europe/London" in response.content.decode()
    assert not Task.objects.exists()


def test_removing_a_lesson_that_questions_link_is_an_error_at_the_field(teacher_client, task):
    passage = PassageFactory(lesson__title="OCR notes")
    task.lessons.add(passage.lesson)
    make_points_question(task=task).linked_passages.add(passage)
    response = teacher_client.post(
        reverse("task_edit", args=[task.pk]),
        {
            "title": task.title,
            "classes": [c.pk for c in task.classes.all()],
            "opens_at": "2099-07-01T09:00",
            "due_at": "2099-07-02T09:00",
            "late_policy": "accept",
        },
    )
    assert response.status_code == 422
    assert "Question 1 links passages of “OCR notes”" in response.content.decode()
    assert list(task.lessons.all()) == [passage.lesson]


def test_the_create_form_opens_now_by_default(teacher_client, school_class):
    html = teacher_client.get(reverse("task_create")).content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:")
    assert f'value="{now}' in html
    assert 'type="datetime-local"' in html
    assert "Times are in Europe/London." in html


def test_editing_settings_keeps_another_teachers_class(client, task, school_class):
    colleague = TeacherFactory(username="colleague")
    colleague_class = SchoolClassFactory(name="Colleague's", teachers=[colleague])
    task.classes.add(colleague_class)
    client.force_login(task.owner)
    response = client.post(
        reverse("task_edit", args=[task.pk]),
        {
            "title": "Renamed",
            "classes": [school_class.pk, colleague_class.pk],
            "opens_at": "2099-07-01T09:00",
            "due_at": "2099-07-02T09:00",
            "late_policy": "accept",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Renamed"
    assert set(task.classes.all()) == {school_class, colleague_class}


# The editor page


def test_editor_shows_questions_with_their_schemes(teacher_client, task):
    make_points_question(task=task, order=0)
    make_levels_question(task=task, order=1)
    html = teacher_client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "2 questions · 8 marks in total" in html
    assert "Award 1 mark for each valid point, up to 2." in html
    assert "To rapidly industrialise China" in html
    assert "Level 3" in html and "5–6" in html
    assert "Students see nothing until you publish it." in html
    assert 'src="/static/js/tasks.js"' in html


def test_editor_page_queries_do_not_grow_with_questions(
    teacher_client, task, django_assert_num_queries
):
    task.lessons.add(PassageFactory().lesson)
    url = reverse("task_detail", args=[task.pk])
    make_points_question(task=task)
    small = queries_for(teacher_client, url)
    for _ in range(4):
        make_points_question(task=task)
        make_levels_question(task=task)
    AnswerFactory(question=task.questions.first(), submission=SubmissionFactory(task=task))
    with django_assert_num_queries(small):
        teacher_client.get(url)


def test_task_list_queries_do_not_grow_with_tasks(
    teacher_client, teacher, school_class, django_assert_num_queries
):
    TaskFactory(owner=teacher, classes=[school_class])
    small = queries_for(teacher_client, reverse("task_list"))
    for status in Task.Status.values * 3:
        make_points_question(task=TaskFactory(owner=teacher, classes=[school_class], status=status))
    with django_assert_num_queries(small):
        teacher_client.get(reverse("task_list"))


def test_dashboard_queries_do_not_grow_with_tasks(
    teacher_client, teacher, school_class, django_assert_num_queries
):
    for status in Task.Status.values:
        TaskFactory(owner=teacher, classes=[school_class], status=status)
    small = queries_for(teacher_client, reverse("home"))
    for status in Task.Status.values * 4:
        TaskFactory(owner=teacher, classes=[school_class, SchoolClassFactory()], status=status)
    with django_assert_num_queries(small):
        teacher_client.get(reverse("home"))


# Adding questions


def test_adding_a_points_question_with_htmx_returns_the_card_out_of_band(teacher_client, task):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(points=AIMS + [{"text": "", "marks": "1", "alternatives": ""}]),
        **HTMX,
    )
    assert response.status_code == 200
    question = Question.objects.get()
    assert question.task == task and question.owner == task.owner
    assert question.indicative_points.count() == 3
    html = response.content.decode()
    assert 'id="new-question"' in html
    assert 'hx-swap-oob="beforeend:#question-list"' in html
    assert f'id="question-{question.pk}"' in html
    assert 'id="task-totals" class="task-totals" hx-swap-oob="true"' in html


def test_adding_a_levels_question_without_javascript_redirects_to_it(teacher_client, task):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(
            prompt="Explain two consequences.",
            max_marks="6",
            answer_type="extended",
            kind="levels",
            levels=LEVELS,
            exemplars=[{"level": "1", "mark": "1", "text": "There was a famine."}],
            guidance="Famine; steel of poor quality.",
        ),
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[task.pk]) + (
        f"#question-{question.pk}"
    )
    assert question.is_levels and question.guidance == "Famine; steel of poor quality."
    assert question.exemplars.get().level.number == 1


def test_overlapping_levels_are_shown_at_the_field_and_nothing_is_saved(teacher_client, task):
    levels = [dict(level) for level in LEVELS]
    levels[1]["min_marks"] = "2"
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(prompt="Explain <two>.", max_marks="6", kind="levels", levels=levels),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Level 2 (2–4) overlaps Level 1 (1–2): start it at 3." in html
    # The message sits with Level 2's lowest mark (between its legend and its input).
    legend = html.index("<legend>Level 2")
    message = html.index("overlaps Level 1 (1–2)")
    field = html.index('name="new-levels-1-min_marks"')
    assert legend < message < field
    assert "aria-invalid" in html[field - 200 : field + 200]
    assert "Explain &lt;two&gt;." in html
    assert not Question.objects.exists() and not Level.objects.exists()


def test_an_exemplar_outside_its_level_is_an_error_at_its_mark(teacher_client, task):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(
            max_marks="6",
            kind="levels",
            levels=LEVELS,
            exemplars=[{"level": "3", "mark": "3", "text": "One developed consequence."}],
        ),
    )
    assert response.status_code == 422
    assert "A Level 3 answer earns 5–6 marks; this one is given 3." in response.content.decode()
    assert not Question.objects.exists()


@pytest.mark.parametrize("max_marks", ["0", "101", "", "two"])
def test_maximum_marks_must_be_1_to_100(teacher_client, task, max_marks):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(max_marks=max_marks, points=AIMS[:1]),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        "Maximum marks must be between 1 and 100." in html
        or "Enter the maximum marks" in html
        or "Enter a whole number of marks." in html
    )
    assert not Question.objects.exists()


def test_a_point_worth_no_marks_is_refused(teacher_client, task):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(points=[{"text": "A point", "marks": "0"}]),
    )
    assert response.status_code == 422
    assert "A point must be worth at least 1 mark." in response.content.decode()


def test_a_points_question_without_points_is_refused(teacher_client, task):
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]), question_data(points=[])
    )
    assert response.status_code == 422
    assert "needs at least one indicative point" in response.content.decode()


def test_the_other_kinds_rows_do_not_block_a_save(teacher_client, task):
    """A teacher who switched to levels is not stopped by a half-written point."""
    response = teacher_client.post(
        reverse("question_create", args=[task.pk]),
        question_data(
            max_marks="6",
            kind="levels",
            levels=LEVELS,
            points=[{"text": "", "marks": "0"}],
        ),
    )
    assert response.status_code == 302
    assert not Question.objects.get().indicative_points.exists()


def test_add_another_row_keeps_what_was_typed_and_shows_no_errors(teacher_client, task):
    data = question_data(prompt="", points=AIMS[:1])
    data["add_row"] = "points"
    response = teacher_client.post(reverse("question_create", args=[task.pk]), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "To rapidly industrialise China." in html
    assert 'name="new-points-1-text"' in html
    assert "autofocus" in html
    assert "errorlist" not in html
    assert not Question.objects.exists()


def test_rows_added_and_left_blank_are_ignored_on_save(teacher_client, task):
    data = question_data(points=AIMS[:2])
    data["add_row"] = "points"
    html = teacher_client.post(reverse("question_create", args=[task.pk]), data).content.decode()
    # The re-shown form says three rows, none of them stored yet.
    assert 'name="new-points-TOTAL_FORMS" value="3"' in html
    assert 'name="new-points-INITIAL_FORMS" value="0"' in html
    data = question_data(points=AIMS[:2] + [{"text": "", "marks": "1", "alternatives": ""}])
    response = teacher_client.post(reverse("question_create", args=[task.pk]), data)
    assert response.status_code == 302
    assert Question.objects.get().indicative_points.count() == 2


def test_linked_passages_are_limited_to_the_tasks_lessons(teacher_client, task):
    inside, outside = PassageFactory(heading="The communes"), PassageFactory(heading="Elsewhere")
    task.lessons.add(inside.lesson)
    page = teacher_client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "The communes" in page and "Elsewhere" not in page
    url = reverse("question_create", args=[task.pk])
    response = teacher_client.post(
        url, question_data(points=AIMS, linked_passages=[str(outside.pk)])
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    response = teacher_client.post(url, question_data(points=AIMS, linked_passages=[inside.pk]))
    assert response.status_code == 302
    assert list(Question.objects.get().linked_passages.all()) == [inside]


# Editing questions


def edit_data(question, **changes) -> dict:
    """The edit form as the page shows it for this question, with changes."""
    prefix = f"q{question.pk}"
    points = [
        {"id": str(p.id), "text": p.text, "marks": str(p.marks), "alternatives": p.alternatives}
        for p in question.indicative_points.all()
    ]
    levels = [
        {
            "id": str(lv.id),
            "min_marks": str(lv.min_marks),
            "max_marks": str(lv.max_marks),
            "descriptor": lv.descriptor,
        }
        for lv in question.levels.order_by("number")
    ]
    exemplars = [
        {
            "id": str(e.id),
            "level": str(e.level.number) if e.level else "",
            "mark": str(e.mark),
            "text": e.text,
            "commentary": e.commentary,
        }
        for e in question.exemplars.all()
    ]
    values = {
        "prompt": question.prompt,
        "max_marks": str(question.max_marks),
        "answer_type": question.answer_type,
        "kind": question.scheme_kind,
        "marks_per_point": str(question.marks_per_point),
        "points": points,
        "levels": levels,
        "exemplars": exemplars,
        "initial": (len(points), len(levels), len(exemplars)),
    }
    values.update(changes)
    return question_data(prefix, **values)


def test_the_edit_form_comes_in_place_for_htmx(teacher_client, task):
    question = make_levels_question(task=task)
    response = teacher_client.get(reverse("question_edit", args=[question.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article class="question question--editing" id="question-')
    assert "<html" not in html
    assert f'name="q{question.pk}-levels-INITIAL_FORMS" value="3"' in html
    full = teacher_client.get(reverse("question_edit", args=[question.pk])).content.decode()
    assert "<html" in full and "Edit question 1" in full


def test_saving_an_edit_with_htmx_swaps_only_that_question(teacher_client, task):
    question = make_points_question(task=task)
    data = edit_data(question, prompt="Name two aims of the Great Leap Forward.")
    data["save"] = "1"
    response = teacher_client.post(reverse("question_edit", args=[question.pk]), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article class="question" id="question-{question.pk}"')
    assert "Saved." in html
    question.refresh_from_db()
    assert question.prompt == "Name two aims of the Great Leap Forward."
    assert question.scheme_version == 1


def test_an_error_in_one_question_leaves_the_others_alone(teacher_client, task):
    first = make_points_question(task=task, order=0)
    second = make_points_question(task=task, order=1)
    data = edit_data(second, max_marks="0")
    response = teacher_client.post(reverse("question_edit", args=[second.pk]), data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="question-{second.pk}"' in html
    assert f'id="question-{first.pk}"' not in html
    assert "Maximum marks must be between 1 and 100." in html


def test_removing_a_point_keeps_the_others_rows(teacher_client, task):
    question = make_points_question(task=task)
    keep = list(question.indicative_points.values_list("id", flat=True))[:2]
    data = edit_data(question)
    data[f"q{question.pk}-points-2-DELETE"] = "on"
    response = teacher_client.post(reverse("question_edit", args=[question.pk]), data)
    assert response.status_code == 302
    assert list(question.indicative_points.values_list("id", flat=True)) == keep
    assert Question.objects.get(pk=question.pk).scheme_version == 2


def test_removing_a_level_that_an_exemplar_names_asks_for_another_level(teacher_client, task):
    question = make_levels_question(task=task)
    data = edit_data(question)
    data[f"q{question.pk}-levels-1-DELETE"] = "on"
    response = teacher_client.post(reverse("question_edit", args=[question.pk]), data)
    assert response.status_code == 422
    assert "Level 2 is not in the scheme you are saving" in response.content.decode()
    assert question.levels.count() == 3


def test_changing_the_scheme_after_answers_asks_for_confirmation(teacher_client, task, student):
    question = make_points_question(task=task)
    AnswerFactory(
        question=question,
        submission=SubmissionFactory(task=task, student=student),
        mark=2,
        marked_scheme_version=1,
    )
    AnswerFactory(question=question, submission=SubmissionFactory(task=task), text="Started")
    url = reverse("question_edit", args=[question.pk])
    data = edit_data(question, max_marks="3")

    response = teacher_client.post(url, data, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "2 answers started, of which 1 already marked" in html
    assert "flags the 1 answer already marked for re-marking" in html
    assert f'name="q{question.pk}-confirm_scheme_change"' in html
    question.refresh_from_db()
    assert question.max_marks == 2

    data[f"q{question.pk}-confirm_scheme_change"] = "on"
    response = teacher_client.post(url, data, **HTMX)
    assert response.status_code == 200
    assert "1 marked answer flagged for re-marking." in response.content.decode()
    question.refresh_from_db()
    assert question.max_marks == 3 and question.scheme_version == 2
    marked = Answer.objects.get(mark__isnull=False)
    assert marked.mark == 2 and marked.needs_remark


def test_without_javascript_the_confirmation_is_a_full_page(teacher_client, task):
    question = make_points_question(task=task)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task))
    response = teacher_client.post(
        reverse("question_edit", args=[question.pk]), edit_data(question, max_marks="3")
    )
    assert response.status_code == 409
    assert "<html" in response.content.decode()


def test_the_new_question_form_folds_away_on_cancel_and_opens_on_error(teacher_client, task):
    url = reverse("question_create", args=[task.pk])
    closed = teacher_client.get(url + "?closed=1", **HTMX).content.decode()
    assert closed.lstrip().startswith('<div id="new-question"')
    assert '<details class="panel new-question__panel">' in closed
    failed = teacher_client.post(url, question_data(prompt=""), **HTMX).content.decode()
    assert '<details class="panel new-question__panel" open>' in failed
    assert "Write the question students answer." in failed


def test_a_tampered_formset_is_refused_with_a_message(teacher_client, task):
    data = question_data(points=AIMS)
    del data["new-points-TOTAL_FORMS"]
    response = teacher_client.post(reverse("question_create", args=[task.pk]), data)
    assert response.status_code == 422
    assert "ManagementForm data is missing" in response.content.decode()
    assert not Question.objects.exists()


def test_cancel_shows_the_question_card_again(teacher_client, task):
    question = make_points_question(task=task)
    response = teacher_client.get(reverse("question_detail", args=[question.pk]), **HTMX)
    assert response.content.decode().lstrip().startswith('<article class="question" id=')
    page = teacher_client.get(reverse("question_detail", args=[question.pk]))
    assert "Award 1 mark for each valid point" in page.content.decode()


# Moving and deleting questions


def test_moving_with_htmx_answers_with_the_new_order(teacher_client, task):
    first, second = (
        make_points_question(task=task, order=0),
        make_points_question(task=task, order=1),
    )
    response = teacher_client.post(
        reverse("question_move", args=[second.pk]), {"direction": "up"}, **HTMX
    )
    assert response.status_code == 204
    event = json.loads(response["HX-Trigger"])["questions-reordered"]
    assert event["order"] == [second.pk, first.pk]


def test_moving_without_javascript_redirects_to_the_question(teacher_client, task):
    first, second = (
        make_points_question(task=task, order=0),
        make_points_question(task=task, order=1),
    )
    response = teacher_client.post(reverse("question_move", args=[first.pk]), {"direction": "down"})
    assert response["Location"].endswith(f"#question-{first.pk}")
    assert list(task.questions.order_by("order")) == [second, first]


def test_a_bad_direction_is_refused(teacher_client, task):
    question = make_points_question(task=task)
    response = teacher_client.post(
        reverse("question_move", args=[question.pk]), {"direction": "sideways"}, **HTMX
    )
    assert response.status_code == 422


def test_deleting_a_question_asks_first_and_says_what_goes_with_it(teacher_client, task):
    question = make_points_question(task=task)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task))
    url = reverse("question_delete", args=[question.pk])

    response = teacher_client.post(url, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#question-{question.pk}-notice"
    assert "1 student has answered it" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()

    page = teacher_client.post(url)
    assert page.status_code == 200 and "Delete question 1?" in page.content.decode()

    response = teacher_client.post(url, {"confirm": "1"}, **HTMX)
    assert response.status_code == 200
    assert "question-deleted" in response["HX-Trigger-After-Settle"]
    assert "0 questions · 0 marks" in response.content.decode()
    assert not Question.objects.exists() and not Answer.objects.exists()


def test_deleting_a_question_without_javascript(teacher_client, task):
    question = make_points_question(task=task)
    response = teacher_client.post(reverse("question_delete", args=[question.pk]), {"confirm": "1"})
    assert response["Location"] == reverse("task_detail", args=[task.pk])
    assert not task.questions.exists()


# Status


def test_publishing_with_htmx_updates_the_status_panel(teacher_client, task):
    url = reverse("task_set_status", args=[task.pk])
    response = teacher_client.post(url, {"action": "publish"}, **HTMX)
    assert response.status_code == 422
    assert "Add at least one question before publishing." in response.content.decode()

    make_points_question(task=task)
    response = teacher_client.post(url, {"action": "publish"}, **HTMX)
    assert response.status_code == 200
    assert 'id="task-status"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.PUBLISHED


def test_status_changes_without_javascript_redirect_with_a_message(teacher_client, task):
    make_points_question(task=task)
    url = reverse("task_set_status", args=[task.pk])
    response = teacher_client.post(url, {"action": "publish"}, follow=True)
    assert "The task is now published." in response.content.decode()
    response = teacher_client.post(url, {"action": "reopen"}, follow=True)
    assert "Only a closed task can be reopened." in response.content.decode()
    response = teacher_client.post(url, {"action": "close"})
    assert Task.objects.get(pk=task.pk).status == Task.Status.CLOSED


# Copy, delete, print


def test_copying_a_task_to_another_class_next_year(teacher_client, task, teacher):
    make_levels_question(task=task)
    other = SchoolClassFactory(name="13H", teachers=[teacher])
    response = teacher_client.post(
        reverse("task_copy", args=[task.pk]),
        {"title": "The communes (2026)", "classes": [other.pk], "shift_days": "364"},
    )
    copy = Task.objects.exclude(pk=task.pk).get()
    assert response["Location"] == reverse("task_detail", args=[copy.pk])
    assert copy.title == "The communes (2026)" and copy.status == Task.Status.DRAFT
    assert copy.due_at - task.due_at == timedelta(days=364)
    assert list(copy.classes.all()) == [other]
    assert copy.questions.get().levels.count() == 3


def test_copying_needs_a_class(teacher_client, task):
    response = teacher_client.post(
        reverse("task_copy", args=[task.pk]), {"title": "X", "shift_days": "0"}
    )
    assert response.status_code == 422
    assert "Choose at least one class." in response.content.decode()


def test_deleting_a_task_with_answers_needs_its_title_typed(teacher_client, task):
    question = make_points_question(task=task)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task))
    url = reverse("task_delete", args=[task.pk])
    page = teacher_client.get(url).content.decode()
    assert "Type the task" in page and "1 answer" in page

    response = teacher_client.post(url, {"confirmation": "the communes"})
    assert response.status_code == 422
    assert "That is not the task&#x27;s title." in response.content.decode()
    assert Task.objects.filter(pk=task.pk).exists()

    response = teacher_client.post(url, {"confirmation": "The communes"})
    assert response["Location"] == reverse("task_list")
    assert not Task.objects.exists()


def test_deleting_a_task_without_answers_is_a_confirmed_post(teacher_client, task):
    page = teacher_client.get(reverse("task_delete", args=[task.pk])).content.decode()
    assert "No student has answered it." in page
    teacher_client.post(reverse("task_delete", args=[task.pk]))
    assert not Task.objects.exists()


def test_print_view_has_questions_and_marks_but_the_scheme_only_when_asked(teacher_client, task):
    make_points_question(task=task, order=0)
    make_levels_question(task=task, order=1)
    task.lessons.add(PassageFactory(heading="Organisation of agriculture").lesson)
    url = reverse("task_print", args=[task.pk])

    html = teacher_client.get(url).content.decode()
    assert "[2 marks]" in html and "[6 marks]" in html
    assert "Identify two key aims" in html
    assert "Award 1 mark" not in html and "Level 3" not in html
    assert "answer-line" in html
    assert "Organisation of agriculture" not in html

    html = teacher_client.get(url + "?scheme=1").content.decode()
    assert "Award 1 mark for each valid point, up to 2." in html
    assert "Level 3" in html and "There was a famine." in html

    html = teacher_client.get(url + "?sources=1").content.decode()
    assert "Organisation of agriculture" in html


# The question bank


def test_bank_search_and_lesson_filter(teacher_client, task):
    communes, famine = LessonFactory(title="Communes"), LessonFactory(title="Famine")
    BankQuestionFactory(lesson=communes, prompt="Describe the People's Communes.")
    BankQuestionFactory(lesson=famine, prompt="Explain the causes of the famine.")
    url = reverse("question_bank")

    html = teacher_client.get(url).content.decode()
    assert "2 questions" in html

    html = teacher_client.get(url, {"q": "communes"}).content.decode()
    assert "Describe the People&#x27;s Communes." in html and "causes of the famine" not in html

    html = teacher_client.get(url, {"lesson": famine.pk}).content.decode()
    assert "causes of the famine" in html and "People&#x27;s Communes" not in html

    response = teacher_client.get(url, {"q": "famine"}, HTTP_HX_TARGET="bank-results", **HTMX)
    partial = response.content.decode()
    assert partial.lstrip().startswith('<section id="bank-results"')
    assert "1 question matching" in partial


def test_bank_page_queries_do_not_grow_with_questions(
    teacher_client, task, django_assert_num_queries
):
    lesson = LessonFactory()
    make_points_question(task=None, lesson=lesson)
    small = queries_for(teacher_client, reverse("question_bank"))
    for _ in range(5):
        make_points_question(task=None, lesson=lesson)
        make_levels_question(task=None, lesson=lesson)
        make_points_question(task=task, owner=task.owner)
    with django_assert_num_queries(small):
        teacher_client.get(reverse("question_bank"))


def test_adding_from_the_bank_with_htmx(teacher_client, task):
    lesson = LessonFactory(title="OCR notes")
    original = make_levels_question(task=None, lesson=lesson)
    response = teacher_client.post(
        reverse("question_add_from_bank", args=[original.pk]), {"task": task.pk}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "as question 1" in html
    assert "The task now also reads “OCR notes”." in html
    copy = task.questions.get()
    assert copy.copied_from == original and copy.levels.count() == 3


def test_adding_from_the_bank_without_javascript_returns_to_the_bank(teacher_client, task):
    original = make_points_question(task=None, lesson=LessonFactory())
    back = reverse("question_bank") + f"?task={task.pk}&q=aims"
    response = teacher_client.post(
        reverse("question_add_from_bank", args=[original.pk]), {"task": task.pk, "next": back}
    )
    assert response["Location"] == back
    assert task.questions.get().copied_from == original
    response = teacher_client.post(
        reverse("question_add_from_bank", args=[original.pk]),
        {"task": task.pk, "next": "https://elsewhere.example/"},
    )
    assert response["Location"].startswith(reverse("task_detail", args=[task.pk]))


def test_bank_with_a_target_task_offers_one_button(teacher_client, task):
    make_points_question(task=None, lesson=LessonFactory())
    html = teacher_client.get(reverse("question_bank"), {"task": task.pk}).content.decode()
    assert "Add to “The communes”" in html
    assert f'name="task" value="{task.pk}"' in html


def test_bank_with_another_teachers_task_is_404(teacher_client, outsider_teacher):
    theirs = TaskFactory(owner=outsider_teacher)
    response = teacher_client.get(reverse("question_bank"), {"task": theirs.pk})
    assert response.status_code == 404


# Dashboard and navigation


def test_teacher_dashboard_lists_tasks_with_class_and_due_time(teacher_client, task, teacher):
    TaskFactory(owner=teacher, classes=list(task.classes.all()), title="Backyard furnaces")
    html = teacher_client.get(reverse("home")).content.decode()
    assert "Backyard furnaces" in html and "12H History" in html
    assert "The communes" in html and "Drafts" in html
    assert reverse("task_list") in html and reverse("question_bank") in html


def test_student_dashboard_has_no_teacher_links(student_client):
    html = student_client.get(reverse("home")).content.decode()
    assert reverse("task_list") not in html


def test_user_text_is_escaped_everywhere(teacher_client, task):
    task.title = "<script>alert(1)</script>"
    task.save()
    question = make_points_question(task=task, prompt="<img src=x onerror=alert(1)>")
    question.indicative_points.update(alternatives="<b>bold</b>")
    for url in [
        reverse("task_detail", args=[task.pk]),
        reverse("task_print", args=[task.pk]) + "?scheme=1",
        reverse("task_list"),
        reverse("question_bank"),
        reverse("home"),
    ]:
        html = teacher_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
        assert "<img src=x" not in html, url
        assert "<b>bold</b>" not in html, url


def test_student_cannot_reach_the_print_view_even_of_a_visible_task(student_client, task):
    task.status = Task.Status.PUBLISHED
    task.save()
    make_points_question(task=task)
    response = student_client.get(reverse("task_print", args=[task.pk]) + "?scheme=1")
    assert response.status_code == 403
