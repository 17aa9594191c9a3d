"""Field tampering: fields a form does not have are ignored or refused.

A student's autosave, save, submit and quotation requests carrying marking fields, times,
owners or versions change nothing the server decides; a teacher cannot give a mark outside
the question's range or hand a task to another teacher through a posted field; a student
cannot work on a task not set to their class or not published. And a question a student
left blank, or one added after they submitted, can still be marked.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import Answer, EvidenceLink, Submission, Task

from .security_world import build_world

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def spare_client(world):
    """The class's second student, who has not started the task yet."""
    client = Client()
    client.force_login(world.spare_student)
    return client


def forged_fields(world, question) -> dict:
    """Fields no student form has, plainly named and with the question's prefix."""
    other_level = world.levels_question.levels.order_by("number").last()
    forged = {
        "mark": "2",
        "marks": "2",
        "level": str(other_level.pk),
        "feedback": "Excellent work",
        "submitted_at": "2000-01-01T09:00",
        "due_at": "2099-01-01T09:00",
        "student": str(world.student.pk),
        "user": str(world.student.pk),
        "version": "99",
        "status": "submitted",
        "released": "1",
        "released_at": "2000-01-01T09:00",
        "is_late": "1",
        "attempt": "7",
        "task": str(world.other_task.pk),
        "question": str(world.levels_question.pk),
        "submission": str(world.submission.pk),
        "answer": str(world.answer.pk),
        "marker": str(world.owner.pk),
    }
    # q<id>-version is the form's own field (see the version tests below).
    prefixed = {f"q{question.pk}-{name}": value for name, value in forged.items()}
    del prefixed[f"q{question.pk}-version"]
    return {**forged, **prefixed}


def task_as_it_was(task: Task) -> tuple:
    return (task.owner_id, task.status, task.opens_at, task.due_at, task.title)


def assert_no_marking(submission: Submission) -> None:
    for answer in submission.answers.all():
        assert answer.mark is None
        assert answer.level_id is None
        assert answer.feedback == ""
        assert answer.marker_id is None
        assert answer.marked_at is None
        assert not answer.credited_points.exists()
    assert submission.released_at is None
    assert submission.overall_feedback == ""


def spare_submission(world) -> Submission:
    return Submission.objects.get(task=world.task, student=world.spare_student)


def test_student_autosave_ignores_forged_fields(world, spare_client):
    before = task_as_it_was(world.task)
    question = world.question
    data = {f"q{question.pk}-text": "My answer.", f"q{question.pk}-version": "0"}
    data.update(forged_fields(world, question))
    url = reverse("answer_save", args=[world.task.pk, question.pk])
    response = spare_client.post(url, data, headers=HTMX)

    assert response.status_code == 200
    submission = spare_submission(world)
    assert submission.status == Submission.Status.IN_PROGRESS
    assert submission.submitted_at is None
    assert (submission.attempt, submission.is_late) == (1, False)
    answer = submission.answers.get()
    assert (answer.question_id, answer.text, answer.version) == (question.pk, "My answer.", 1)
    assert_no_marking(submission)
    world.task.refresh_from_db()
    assert task_as_it_was(world.task) == before
    # Nothing landed in the work the forged ids named.
    assert not Submission.objects.filter(task=world.other_task).exists()
    world.answer.refresh_from_db()
    assert world.answer.text == "The communes merged cooperatives."


def test_student_autosave_naming_another_owner_is_refused(world, spare_client):
    question = world.question
    data = {
        f"q{question.pk}-text": "Typed on a shared computer.",
        f"q{question.pk}-version": "0",
        "owner": str(world.student.pk),
    }
    url = reverse("answer_save", args=[world.task.pk, question.pk])
    response = spare_client.post(url, data, headers=HTMX)

    assert response.status_code == 401
    assert not Submission.objects.filter(task=world.task, student=world.spare_student).exists()
    world.answer.refresh_from_db()
    assert world.answer.text == "The communes merged cooperatives."


@pytest.mark.parametrize("version", ["99", "-1", "1"])
def test_student_autosave_with_a_version_the_server_did_not_give_is_refused(
    world, spare_client, version
):
    question = world.question
    data = {f"q{question.pk}-text": "Forged version.", f"q{question.pk}-version": version}
    url = reverse("answer_save", args=[world.task.pk, question.pk])
    response = spare_client.post(url, data, headers=HTMX)

    assert response.status_code in (409, 422)
    assert not Answer.objects.filter(
        submission__student=world.spare_student, text="Forged version."
    ).exists()


def test_student_save_of_the_whole_page_ignores_forged_fields(world, spare_client):
    before = task_as_it_was(world.task)
    data = {}
    for question in (world.question, world.levels_question):
        data[f"q{question.pk}-text"] = f"Answer to {question.pk}."
        data[f"q{question.pk}-version"] = "0"
        data.update(forged_fields(world, question))
    response = spare_client.post(reverse("task_save", args=[world.task.pk]), data)

    assert response.status_code == 302
    submission = spare_submission(world)
    assert submission.status == Submission.Status.IN_PROGRESS
    assert submission.submitted_at is None
    assert sorted(submission.answers.values_list("version", flat=True)) == [1, 1]
    assert_no_marking(submission)
    world.task.refresh_from_db()
    assert task_as_it_was(world.task) == before


def test_student_submit_ignores_forged_times_status_and_marks(world, spare_client):
    before = task_as_it_was(world.task)
    empty = ",".join(str(q.pk) for q in world.task.questions.all())
    data = {"empty": empty, **forged_fields(world, world.question)}
    started = timezone.now()
    response = spare_client.post(reverse("task_submit", args=[world.task.pk]), data)

    assert response.status_code == 302
    submission = spare_submission(world)
    assert submission.status == Submission.Status.SUBMITTED
    assert started <= submission.submitted_at <= timezone.now()
    assert (submission.attempt, submission.is_late) == (1, False)
    assert_no_marking(submission)
    world.task.refresh_from_db()
    assert task_as_it_was(world.task) == before


def test_student_quotation_ignores_forged_fields(world, spare_client):
    question, passage = world.question, world.passage
    prefix = f"q{question.pk}-quote"
    data = {
        f"{prefix}-passage": str(passage.pk),
        f"{prefix}-start": str(world.annotation.start),
        f"{prefix}-end": str(world.annotation.end),
        **forged_fields(world, question),
    }
    url = reverse("evidence_add", args=[world.task.pk, question.pk])
    response = spare_client.post(url, data, headers=HTMX)

    assert response.status_code == 200
    submission = spare_submission(world)
    link = EvidenceLink.objects.get(answer__submission=submission)
    assert link.answer.question_id == question.pk
    assert_no_marking(submission)
    assert submission.status == Submission.Status.IN_PROGRESS
    # The student's quotation in the world is still the only one in their work.
    assert EvidenceLink.objects.filter(answer=world.answer).count() == 1


def test_student_removing_a_quotation_cannot_name_someone_elses(world, spare_client):
    url = reverse("evidence_remove", args=[world.evidence_link.pk])
    data = {"student": str(world.spare_student.pk), "user": str(world.spare_student.pk)}
    assert spare_client.post(url, data, headers=HTMX).status_code == 404
    assert EvidenceLink.objects.filter(pk=world.evidence_link.pk).exists()


@pytest.mark.parametrize("task_name", ["other_task", "draft_task"])
def test_student_cannot_work_on_a_task_not_set_or_not_published(world, task_name):
    task = getattr(world, task_name)
    question = task.questions.get()
    client = Client()
    client.force_login(world.student)
    save = reverse("answer_save", args=[task.pk, question.pk])
    data = {f"q{question.pk}-text": "Sneaked in.", f"q{question.pk}-version": "0"}

    assert client.post(save, data, headers=HTMX).status_code == 404
    assert client.post(reverse("task_save", args=[task.pk]), data).status_code == 404
    submit = reverse("task_submit", args=[task.pk])
    assert client.post(submit, {"empty": str(question.pk)}).status_code == 404
    assert client.get(reverse("student_task", args=[task.pk])).status_code == 404
    assert not Submission.objects.filter(task=task, student=world.student).exists()


# The teacher's side


def mark_payload(answer: Answer, **fields) -> dict:
    return {
        "base_marking_version": answer.marking_version,
        "answer_version": answer.version,
        "scheme_version": answer.question.scheme_version,
        "feedback": "",
        "mark": "",
        "adjustment_reason": "",
        **fields,
    }


@pytest.fixture
def owner_client(world):
    client = Client()
    client.force_login(world.owner)
    return client


@pytest.mark.parametrize("mark", ["3", "-1", "101"])
def test_teacher_cannot_give_a_mark_outside_the_questions_range(world, owner_client, mark):
    answer = world.answer  # the points question: 2 marks
    data = mark_payload(answer, mark=mark, adjustment_reason="Generous")
    response = owner_client.post(reverse("answer_mark", args=[answer.pk]), data, headers=HTMX)

    assert response.status_code == 422
    assert "The mark must be between 0 and 2." in response.content.decode()
    answer.refresh_from_db()
    assert answer.mark is None
    assert answer.marking_version == 0


def test_teacher_editing_a_task_cannot_hand_it_to_another_teacher(world, owner_client):
    task = world.task
    local = timezone.localtime
    data = {
        "title": "Communes homework, revised",
        "classes": [world.school_class.pk],
        "lessons": [world.lesson.pk],
        "opens_at": local(task.opens_at).strftime("%Y-%m-%dT%H:%M"),
        "due_at": local(task.due_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "late_policy": Task.LatePolicy.ACCEPT,
        "owner": str(world.other_teacher.pk),
        "status": Task.Status.DRAFT,
    }
    response = owner_client.post(reverse("task_edit", args=[task.pk]), data)

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Communes homework, revised"
    assert task.owner_id == world.owner.pk
    assert task.status == Task.Status.PUBLISHED
    other = Client()
    other.force_login(world.other_teacher)
    assert other.get(reverse("task_detail", args=[task.pk])).status_code == 404


def test_teacher_creating_a_task_owns_it_whatever_the_form_says(world, owner_client):
    now = timezone.localtime()
    data = {
        "title": "A new task",
        "classes": [world.school_class.pk],
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "due_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "late_policy": Task.LatePolicy.ACCEPT,
        "owner": str(world.other_teacher.pk),
        "status": Task.Status.PUBLISHED,
    }
    response = owner_client.post(reverse("task_create"), data)

    assert response.status_code == 302
    task = Task.objects.get(title="A new task")
    assert task.owner_id == world.owner.pk
    assert task.status == Task.Status.DRAFT


# Answers never typed


def test_a_question_left_blank_can_be_marked_zero(world, owner_client):
    blank = world.blank_answer
    assert blank.text == ""
    html = owner_client.get(
        reverse("mark_by_question", args=[world.task.pk, world.levels_question.pk])
    ).content.decode()
    assert f'id="answer-{blank.pk}' in html
    data = mark_payload(blank, mark="0", feedback="No answer: have a go next time.")
    response = owner_client.post(reverse("answer_mark", args=[blank.pk]), data, headers=HTMX)

    assert response.status_code == 200
    blank.refresh_from_db()
    assert (blank.mark, blank.marker_id) == (0, world.owner.pk)


def test_a_question_added_after_submitting_can_be_marked(world, owner_client):
    late = Answer.objects.get(submission=world.submission, question=world.late_question)
    assert late.text == ""
    html = owner_client.get(
        reverse("mark_by_student", args=[world.task.pk, world.submission.pk])
    ).content.decode()
    assert f'id="answer-{late.pk}' in html
    point = world.late_question.indicative_points.get()
    data = mark_payload(late, credited_points=[point.pk])
    response = owner_client.post(reverse("answer_mark", args=[late.pk]), data, headers=HTMX)

    assert response.status_code == 200
    late.refresh_from_db()
    assert late.mark == 1
