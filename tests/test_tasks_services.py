"""The task services: tasks and their states, questions and schemes, copies, the bank."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from lessons.access import get_task_for_student
from lessons.models import Answer, Exemplar, IndicativePoint, Level, Question, Submission, Task
from lessons.services import tasks as services
from lessons.services.mark_schemes import ExemplarSpec, LevelSpec, PointSpec, Scheme
from lessons.services.tasks import (
    SchemeChangeNeedsConfirmation,
    SchemeInvalid,
    TaskDeletionNeedsConfirmation,
    TaskRuleError,
)

from .factories import (
    AnswerFactory,
    BankQuestionFactory,
    LessonFactory,
    PassageFactory,
    QuestionFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
    TeacherFactory,
    make_levels_question,
    make_points_question,
)

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def points_scheme(max_marks=2) -> Scheme:
    return Scheme(
        kind="points",
        max_marks=max_marks,
        points=[PointSpec("Rapid industrialisation.", 1), PointSpec("Collectivisation.", 1)],
    )


def levels_scheme() -> Scheme:
    return Scheme(
        kind="levels",
        max_marks=6,
        levels=[
            LevelSpec(1, 2, "Simple statements."),
            LevelSpec(3, 4, "One consequence explained."),
            LevelSpec(5, 6, "Two consequences developed."),
        ],
        exemplars=[ExemplarSpec("There was a famine.", 1, level=1)],
    )


@pytest.fixture
def task(teacher, school_class):
    return TaskFactory(owner=teacher, classes=[school_class], status=Task.Status.DRAFT)


# Visibility to students, by state and time (frozen clock)


@pytest.mark.parametrize(
    "status, opens_in_hours, visible",
    [
        (Task.Status.DRAFT, -1, False),
        (Task.Status.PUBLISHED, 2, False),
        (Task.Status.PUBLISHED, 0, True),
        (Task.Status.PUBLISHED, -1, True),
        (Task.Status.CLOSED, -1, True),
    ],
)
def test_students_see_a_task_only_once_published_and_open(
    teacher, student, school_class, status, opens_in_hours, visible
):
    task = TaskFactory(
        owner=teacher,
        classes=[school_class],
        status=status,
        opens_at=NOW + timedelta(hours=opens_in_hours),
        due_at=NOW + timedelta(days=3),
    )
    with time_machine.travel(NOW, tick=False):
        assert (task in Task.objects.visible_to_student(student, timezone.now())) is visible
        if visible:
            assert get_task_for_student(student, task.pk) == task
        else:
            with pytest.raises(Http404):
                get_task_for_student(student, task.pk)


def test_a_scheduled_task_appears_when_its_open_time_comes(teacher, student, school_class):
    opens = NOW + timedelta(hours=1)
    task = TaskFactory(
        owner=teacher, classes=[school_class], opens_at=opens, due_at=opens + timedelta(days=2)
    )
    with time_machine.travel(opens - timedelta(seconds=1), tick=False):
        assert not Task.objects.visible_to_student(student, timezone.now()).exists()
    with time_machine.travel(opens, tick=False):
        assert list(Task.objects.visible_to_student(student, timezone.now())) == [task]


def test_students_of_other_classes_never_see_the_task(teacher, school_class, outsider_student):
    TaskFactory(owner=teacher, classes=[school_class])
    assert not Task.objects.visible_to_student(outsider_student, timezone.now()).exists()


# Tasks


def test_create_task_is_a_draft_for_the_teachers_classes(teacher, school_class):
    lesson = LessonFactory()
    task = services.create_task(
        owner=teacher,
        title="  The communes ",
        classes=[school_class],
        lessons=[lesson],
        due_at=timezone.now() + timedelta(days=7),
    )
    assert task.status == Task.Status.DRAFT
    assert task.title == "The communes"
    assert list(task.classes.all()) == [school_class]
    assert list(task.lessons.all()) == [lesson]
    assert task.opens_at <= timezone.now()


def test_create_task_refuses_another_teachers_class(teacher, other_class):
    with pytest.raises(TaskRuleError) as refused:
        services.create_task(
            owner=teacher, title="X", classes=[other_class], due_at=timezone.now() + timedelta(1)
        )
    assert refused.value.field == "classes"
    assert not Task.objects.exists()


def test_the_due_time_must_follow_the_open_time(teacher, school_class):
    with pytest.raises(TaskRuleError) as refused:
        services.create_task(
            owner=teacher,
            title="X",
            classes=[school_class],
            opens_at=NOW,
            due_at=NOW,
        )
    assert refused.value.field == "due_at"


def test_publish_needs_a_question_then_close_and_reopen(task):
    with pytest.raises(TaskRuleError, match="at least one question"):
        services.publish_task(task=task)
    QuestionFactory(task=task)
    services.publish_task(task=task)
    assert task.status == Task.Status.PUBLISHED
    services.close_task(task=task)
    assert Task.objects.get(pk=task.pk).status == Task.Status.CLOSED
    with pytest.raises(TaskRuleError):
        services.close_task(task=task)
    services.reopen_task(task=task)
    assert Task.objects.get(pk=task.pk).status == Task.Status.PUBLISHED


def test_a_task_past_its_due_time_is_not_published(task):
    QuestionFactory(task=task)
    with pytest.raises(TaskRuleError, match="already passed"):
        services.publish_task(task=task, now=task.due_at + timedelta(minutes=1))


def test_back_to_draft_only_before_any_student_starts(task, student):
    QuestionFactory(task=task)
    services.publish_task(task=task)
    services.unpublish_task(task=task)
    assert task.status == Task.Status.DRAFT
    services.publish_task(task=task)
    SubmissionFactory(task=task, student=student)
    with pytest.raises(TaskRuleError, match="close it instead"):
        services.unpublish_task(task=task)


def test_removing_a_lesson_whose_passages_a_question_links_is_refused(task, school_class):
    passage = PassageFactory()
    task.lessons.add(passage.lesson)
    question = QuestionFactory(task=task)
    question.linked_passages.add(passage)
    with pytest.raises(TaskRuleError, match="Question 1 links passages") as refused:
        services.update_task(
            task=task,
            title=task.title,
            classes=[school_class],
            opens_at=task.opens_at,
            due_at=task.due_at,
            lessons=[],
        )
    assert refused.value.field == "lessons"
    assert list(task.lessons.all()) == [passage.lesson]


# Questions and their schemes


def test_add_question_stores_a_points_scheme(task, teacher):
    question = services.add_question(
        task=task, owner=teacher, prompt="Identify two aims.", scheme=points_scheme()
    )
    assert question.is_points and question.max_marks == 2
    assert list(question.indicative_points.values_list("text", "marks")) == [
        ("Rapid industrialisation.", 1),
        ("Collectivisation.", 1),
    ]


def test_add_question_stores_a_levels_scheme_with_its_exemplars(task, teacher):
    question = services.add_question(
        task=task, owner=teacher, prompt="Explain two consequences.", scheme=levels_scheme()
    )
    assert list(question.levels.values_list("number", "min_marks", "max_marks")) == [
        (1, 1, 2),
        (2, 3, 4),
        (3, 5, 6),
    ]
    exemplar = question.exemplars.get()
    assert exemplar.level.number == 1 and exemplar.mark == 1


def test_an_invalid_scheme_saves_nothing(task, teacher):
    scheme = levels_scheme()
    scheme.levels[1].min_marks = 2
    with pytest.raises(SchemeInvalid) as refused:
        services.add_question(task=task, owner=teacher, prompt="Q", scheme=scheme)
    assert [e.location for e in refused.value.errors] == ["levels[2].min_marks"]
    assert not Question.objects.exists() and not Level.objects.exists()


def test_questions_link_only_passages_of_the_tasks_lessons(task, teacher):
    inside, outside = PassageFactory(), PassageFactory()
    task.lessons.add(inside.lesson)
    question = services.add_question(
        task=task, owner=teacher, prompt="Q", scheme=points_scheme(), linked_passages=[inside]
    )
    assert list(question.linked_passages.all()) == [inside]
    with pytest.raises(TaskRuleError) as refused:
        services.add_question(
            task=task, owner=teacher, prompt="Q", scheme=points_scheme(), linked_passages=[outside]
        )
    assert refused.value.field == "linked_passages"


def test_changing_only_the_prompt_keeps_the_scheme_version(task):
    question = make_points_question(task=task)
    changed = services.update_question(
        question=question, prompt="A clearer prompt.", scheme=services.scheme_of(question)
    )
    question.refresh_from_db()
    assert not changed
    assert question.prompt == "A clearer prompt."
    assert question.scheme_version == 1


def test_changing_the_scheme_bumps_its_version(task):
    question = make_points_question(task=task)
    scheme = services.scheme_of(question)
    scheme.points[0].text = "To industrialise rapidly."
    assert services.update_question(question=question, prompt=question.prompt, scheme=scheme)
    question.refresh_from_db()
    assert question.scheme_version == 2
    assert question.indicative_points.first().text == "To industrialise rapidly."


def test_after_answers_a_scheme_change_needs_confirmation_and_keeps_marks(task, student):
    question = make_points_question(task=task)
    point = question.indicative_points.first()
    answer = AnswerFactory(
        submission=SubmissionFactory(task=task, student=student),
        question=question,
        mark=1,
        marked_scheme_version=1,
    )
    answer.credited_points.add(point)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task), text="Begun")
    scheme = services.scheme_of(question)
    scheme.max_marks = 3

    with pytest.raises(SchemeChangeNeedsConfirmation) as needed:
        services.update_question(question=question, prompt=question.prompt, scheme=scheme)
    assert (needed.value.answers_started, needed.value.answers_marked) == (2, 1)
    question.refresh_from_db()
    assert question.max_marks == 2 and question.scheme_version == 1

    services.update_question(
        question=question, prompt=question.prompt, scheme=scheme, confirm_scheme_change=True
    )
    answer = Answer.objects.get(pk=answer.pk)
    assert answer.question.max_marks == 3
    assert answer.mark == 1
    assert answer.needs_remark
    # Points are updated in place, so what the marker credited still points at them.
    assert list(answer.credited_points.all()) == [point]


def test_empty_answers_need_no_confirmation(task):
    question = make_points_question(task=task)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task), text="")
    scheme = services.scheme_of(question)
    scheme.max_marks = 3
    assert services.update_question(question=question, prompt=question.prompt, scheme=scheme)


def test_removing_and_adding_levels_renumbers_them_in_place(task):
    question = make_levels_question(task=task)
    old = {level.number: level.id for level in question.levels.all()}
    scheme = services.scheme_of(question)
    scheme.levels = [
        LevelSpec(0, 3, "Limited.", id=old[2]),
        LevelSpec(4, 6, "Developed.", id=old[3]),
    ]
    scheme.exemplars = [ExemplarSpec("A developed answer.", 5, level=2)]
    services.update_question(question=question, prompt=question.prompt, scheme=scheme)
    levels = list(question.levels.order_by("number"))
    assert [(lv.id, lv.number, lv.min_marks, lv.max_marks) for lv in levels] == [
        (old[2], 1, 0, 3),
        (old[3], 2, 4, 6),
    ]
    assert Exemplar.objects.get(question=question).level_id == old[3]


def test_switching_a_question_to_levels_removes_its_points(task):
    question = make_points_question(task=task)
    scheme = levels_scheme()
    services.update_question(question=question, prompt=question.prompt, scheme=scheme)
    question.refresh_from_db()
    assert question.is_levels and question.max_marks == 6
    assert not question.indicative_points.exists()
    assert question.levels.count() == 3


def test_move_question_swaps_with_its_neighbour(task):
    first, second, third = (QuestionFactory(task=task, order=i) for i in range(3))
    assert services.move_question(question=third, direction="up") == [
        first.id,
        third.id,
        second.id,
    ]
    assert services.move_question(question=first, direction="up") == [
        first.id,
        third.id,
        second.id,
    ]
    assert list(task.questions.order_by("order").values_list("id", flat=True)) == [
        first.id,
        third.id,
        second.id,
    ]


def test_delete_question_renumbers_the_rest(task):
    first, second, third = (QuestionFactory(task=task, order=i * 5) for i in range(3))
    assert services.delete_question(question=second) == [first.id, third.id]
    assert list(task.questions.values_list("order", flat=True)) == [0, 1]


# The bank and copies


def test_adding_a_bank_question_copies_it_deeply(task, teacher):
    passage = PassageFactory()
    original = make_levels_question(task=None, lesson=passage.lesson, seed_key="ocr-q2")
    original.linked_passages.add(passage)
    copy = services.copy_question_to_task(question=original, task=task, owner=teacher)

    assert copy.pk != original.pk and copy.copied_from == original
    assert copy.task == task and copy.seed_key is None and copy.owner == teacher
    assert copy.prompt == original.prompt
    assert list(copy.levels.values_list("number", "min_marks", "max_marks", "descriptor")) == list(
        original.levels.values_list("number", "min_marks", "max_marks", "descriptor")
    )
    assert {e.level.question_id for e in copy.exemplars.all()} == {copy.id}
    assert list(copy.linked_passages.all()) == [passage]
    # The task now reads the lesson the question is about.
    assert list(task.lessons.all()) == [passage.lesson]


def test_editing_a_copy_never_changes_the_original(task, teacher):
    original = make_points_question(task=None, lesson=LessonFactory())
    copy = services.copy_question_to_task(question=original, task=task, owner=teacher)
    scheme = services.scheme_of(copy)
    scheme.points[0].text = "Changed in the copy."
    scheme.max_marks = 3
    services.update_question(question=copy, prompt="Changed prompt", scheme=scheme)

    original.refresh_from_db()
    assert original.prompt.startswith("Identify two key aims")
    assert original.max_marks == 2 and original.scheme_version == 1
    assert original.indicative_points.first().text.startswith("To rapidly industrialise")
    assert IndicativePoint.objects.filter(question=original).count() == 3


def test_bank_has_shared_questions_and_the_teachers_own_not_others_nor_copies(
    teacher, outsider_teacher, task
):
    lesson = LessonFactory(title="Communes")
    shared = BankQuestionFactory(lesson=lesson, prompt="Describe the communes.")
    mine = QuestionFactory(task=task, owner=teacher, prompt="Explain the famine.")
    QuestionFactory(task=TaskFactory(owner=outsider_teacher), owner=outsider_teacher)
    assert list(services.bank_questions(teacher=teacher, lesson=lesson)) == [shared]

    # The copy is not listed again; the task now reads the lesson, so its questions count
    # as being about that lesson.
    services.copy_question_to_task(question=shared, task=task, owner=teacher)
    assert set(services.bank_questions(teacher=teacher)) == {shared, mine}
    assert list(services.bank_questions(teacher=teacher, query="FAMINE")) == [mine]
    assert set(services.bank_questions(teacher=teacher, lesson=lesson)) == {shared, mine}


def test_copy_task_to_another_class_next_year(task, teacher, school_class):
    task.lessons.add(LessonFactory())
    make_points_question(task=task, order=0)
    make_levels_question(task=task, order=1)
    task.status = Task.Status.CLOSED
    task.save()
    SubmissionFactory(task=task)
    next_year = SchoolClassFactory(name="13H History", teachers=[teacher])

    copy = services.copy_task(
        task=task, to_classes=[next_year], shift_dates_by=timedelta(weeks=52), owner=teacher
    )
    assert copy.status == Task.Status.DRAFT
    assert list(copy.classes.all()) == [next_year]
    assert set(copy.lessons.all()) == set(task.lessons.all())
    assert copy.due_at == task.due_at + timedelta(weeks=52)
    assert copy.due_at.weekday() == task.due_at.weekday()
    assert not copy.submissions.exists()
    questions = list(copy.questions.order_by("order"))
    assert [q.scheme_kind for q in questions] == ["points", "levels"]
    assert [q.copied_from.task for q in questions] == [task, task]
    assert questions[0].indicative_points.count() == 3
    assert questions[1].levels.count() == 3 and questions[1].exemplars.count() == 2


def test_deleting_a_task_with_answers_needs_its_title(task, student):
    question = make_points_question(task=task)
    AnswerFactory(question=question, submission=SubmissionFactory(task=task, student=student))
    with pytest.raises(TaskDeletionNeedsConfirmation):
        services.delete_task(task=task, confirmation="yes")
    assert Task.objects.filter(pk=task.pk).exists()
    services.delete_task(task=task, confirmation=task.title)
    assert not Task.objects.filter(pk=task.pk).exists()
    assert not Answer.objects.exists()


def test_a_task_without_answers_is_deleted_without_typing(task):
    QuestionFactory(task=task)
    services.delete_task(task=task)
    assert not Task.objects.exists()


def test_a_demo_task_is_built_from_bank_questions(teacher, student, school_class):
    lesson = LessonFactory(title="OCR notes")
    aims = make_points_question(task=None, lesson=lesson, seed_key="ocr-glf-q1-aims")
    consequences = make_levels_question(task=None, lesson=lesson, seed_key="ocr-glf-q2-cons")
    task = services.create_task_from_bank(
        owner=teacher,
        title="The Great Leap Forward",
        classes=[school_class],
        questions=[aims, consequences],
        due_at=timezone.now() + timedelta(days=4),
        publish=True,
    )
    assert task.status == Task.Status.PUBLISHED
    assert list(task.lessons.all()) == [lesson]
    assert [q.copied_from for q in task.questions.order_by("order")] == [aims, consequences]
    assert list(Task.objects.visible_to_student(student, timezone.now())) == [task]
    # The bank questions themselves are untouched.
    assert Question.objects.filter(task=None).count() == 2


def test_dashboard_lists_open_drafts_and_recent(teacher, school_class, outsider_teacher):
    with time_machine.travel(NOW, tick=False):
        open_task = TaskFactory(owner=teacher, classes=[school_class])
        draft = TaskFactory(owner=teacher, status=Task.Status.DRAFT)
        past = TaskFactory(
            owner=teacher,
            classes=[school_class],
            opens_at=NOW - timedelta(days=9),
            due_at=NOW - timedelta(days=2),
        )
        TaskFactory(owner=outsider_teacher)
        overview = services.dashboard_tasks(teacher=teacher)
    assert overview.open == [open_task]
    assert overview.drafts == [draft]
    assert overview.recent == [past]


def test_dashboard_counts_the_submitted_work_waiting_for_the_teacher(
    teacher, school_class, student
):
    task = TaskFactory(owner=teacher, classes=[school_class])
    SubmissionFactory(task=task, student=student, status=Submission.Status.SUBMITTED)
    for n in range(2):
        SubmissionFactory(task=task, student=StudentFactory(username=f"still_writing_{n}"))
    [listed] = services.dashboard_tasks(teacher=teacher).open
    assert listed == task
    assert listed.submitted_count == 1


def test_teacher_dashboard_links_each_task_to_its_submissions(
    teacher_client, teacher, school_class, student
):
    task = TaskFactory(owner=teacher, classes=[school_class])
    SubmissionFactory(task=task, student=student, status=Submission.Status.SUBMITTED)
    html = teacher_client.get("/").content.decode()
    assert f'href="/tasks/{task.pk}/submissions/">1 submitted</a>' in html


def test_a_co_teacher_of_the_class_can_reach_the_task(teacher, school_class):
    colleague = TeacherFactory(username="co_teacher")
    school_class.teachers.add(colleague)
    task = TaskFactory(owner=teacher, classes=[school_class])
    assert list(Task.objects.for_teacher(colleague)) == [task]
