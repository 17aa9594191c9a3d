"""A small school with a row in every table, for backup, export and erasure tests."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from lessons.models import AnswerRevision, Question, SchoolClass, User
from lessons.services.school import update_school_settings

from .factories import (
    AnnotationFactory,
    AnswerFactory,
    AnswerRevisionFactory,
    CommentBankEntryFactory,
    EvidenceLinkFactory,
    ExemplarFactory,
    IndicativePointFactory,
    KeyEvidenceFactory,
    LessonFactory,
    LevelFactory,
    PassageFactory,
    QuestionFactory,
    SchoolClassFactory,
    StudentFactory,
    SubmissionFactory,
    TaskFactory,
    TeacherFactory,
    TopicFactory,
)


@dataclass
class School:
    teacher: User
    student: User
    classmate: User
    school_class: SchoolClass
    points_question: Question
    levels_question: Question


def build_school(*, teacher: User, student: User, school_class: SchoolClass) -> School:
    """Every model of the app gets at least one row, many-to-many tables included."""
    classmate = StudentFactory(username="cara_classmate", full_name="Cara Classmate")
    school_class.enrolments.create(student=classmate)
    SchoolClassFactory(
        name="Old class", teachers=[teacher], archived_at=timezone.now() - timedelta(days=30)
    )
    head = TeacherFactory(username="head_of_history", full_name="Head Of History", is_staff=True)
    group = Group.objects.create(name="Heads of department")
    group.permissions.add(Permission.objects.get(codename="change_lesson"))
    head.groups.add(group)
    head.user_permissions.add(Permission.objects.get(codename="view_task"))

    topic = TopicFactory(name="Famine deaths", slug="famine-deaths")
    lesson = LessonFactory(title="The Great Leap Forward", owner=teacher)
    copy = LessonFactory(title="A copy", owner=head, copied_from=lesson)
    passage = PassageFactory(lesson=lesson)
    PassageFactory(lesson=copy, heading="Copied passage")
    AnnotationFactory(passage=passage, topic=topic, author=teacher)

    task = TaskFactory(owner=teacher, classes=[school_class], lessons=[lesson])
    points_question = QuestionFactory(task=task, order=1, topic=topic, owner=teacher)
    points_question.linked_passages.add(passage)
    point_1 = IndicativePointFactory(question=points_question, text="Private plots abolished")
    point_2 = IndicativePointFactory(question=points_question, text="Work points, not wages")
    ExemplarFactory(question=points_question, text="Plots went.", mark=1)
    KeyEvidenceFactory(question=points_question, passage=passage)
    levels_question = QuestionFactory(
        task=task,
        order=2,
        prompt="How far do you agree?",
        max_marks=6,
        answer_type=Question.AnswerType.EXTENDED,
        scheme_kind=Question.SchemeKind.LEVELS,
    )
    LevelFactory(question=levels_question, number=1, min_marks=1, max_marks=3)
    level_2 = LevelFactory(
        question=levels_question, number=2, min_marks=4, max_marks=6, descriptor="Developed"
    )
    ExemplarFactory(question=levels_question, level=level_2, text="A developed answer.", mark=5)
    QuestionFactory(task=None, lesson=lesson, prompt="A bank question", seed_key="bank-q1")

    submission = SubmissionFactory(
        task=task,
        student=student,
        status="submitted",
        attempt=2,
        submitted_at=timezone.now(),
        is_late=True,
        overall_feedback="A thoughtful piece of work overall.",
        released_at=timezone.now(),
    )
    points_answer = AnswerFactory(
        submission=submission,
        question=points_question,
        text="Plots were abolished and work points replaced wages.",
        mark=2,
        feedback="Both points made clearly.",
        marker=teacher,
        marked_at=timezone.now(),
        credited_points=[point_1, point_2],
    )
    levels_answer = AnswerFactory(
        submission=submission,
        question=levels_question,
        text="I agree to a large extent because the sources show the famine.",
        mark=5,
        level=level_2,
        feedback="Well argued, use more evidence.",
        marker=teacher,
        marked_at=timezone.now(),
    )
    AnswerRevisionFactory(
        answer=points_answer, attempt=1, text="My first try at the communes answer.", mark=1
    )
    AnswerRevisionFactory(
        answer=levels_answer,
        kind=AnswerRevision.Kind.RETURNED,
        attempt=1,
        text="An early draft.",
        mark=2,
        level_number=1,
        feedback="Returned: add evidence.",
    )
    start = passage.text.index("People's Communes")
    EvidenceLinkFactory(answer=levels_answer, passage=passage, start=start, end=start + 17)
    classmate_submission = SubmissionFactory(task=task, student=classmate)
    AnswerFactory(
        submission=classmate_submission,
        question=points_question,
        text="Cara's own answer about communes.",
    )
    CommentBankEntryFactory(teacher=teacher, text="Good use of the source.")
    update_school_settings(
        allow_teacher_signup=False, school_name="Riverside School", time_zone="Europe/Dublin"
    )
    return School(
        teacher=teacher,
        student=student,
        classmate=classmate,
        school_class=school_class,
        points_question=points_question,
        levels_question=levels_question,
    )
