"""One complete school for the security tests: an object of the owner's for every URL.

build_world() makes, through the factories and the services as the app would: an owner
teacher with a class and a student in it, another teacher with their own class and student,
a staff user, spare accounts for the staff pages to act on, a lesson with a passage and a
note, a published task set to the class with both kinds of question, mark scheme, key
evidence and a comparison topic, the student's submitted work with a quotation and a
question left blank, a question added after it was submitted, a draft task, a bank question
and a comment bank entry.
"""

from types import SimpleNamespace

from lessons.services import answering as answering_services
from lessons.services import classes as class_services
from lessons.services import evidence as evidence_services
from lessons.services import marking as marking_services
from lessons.services import tasks as task_services
from lessons.services.mark_schemes import PointSpec, Scheme

from .factories import (
    AnnotationFactory,
    BankQuestionFactory,
    KeyEvidenceFactory,
    LessonFactory,
    PassageFactory,
    StudentFactory,
    TaskFactory,
    TeacherFactory,
    TopicFactory,
    make_levels_question,
    make_points_question,
)


def build_world() -> SimpleNamespace:
    """Every kind of object a URL can name, the owner's, and the people who ask for them."""
    owner = TeacherFactory(username="sec_owner", full_name="Ms Owner")
    other_teacher = TeacherFactory(username="sec_other_teacher", full_name="Mr Other")
    staff = TeacherFactory(username="sec_staff", full_name="IT Admin", is_staff=True)
    student = StudentFactory(username="sec_student", full_name="Sam Student")
    other_student = StudentFactory(username="sec_other_student", full_name="Olly Other")
    # The staff pages act on these, so that resetting or erasing spares the people above.
    spare_teacher = TeacherFactory(username="sec_spare_teacher", full_name="Spare Teacher")
    spare_student = StudentFactory(username="sec_spare_student", full_name="Spare Student")

    school_class = class_services.create_class(teacher=owner, name="12H History")
    class_services.join_class(student=student, code=school_class.join_code)
    class_services.join_class(student=spare_student, code=school_class.join_code)
    other_class = class_services.create_class(teacher=other_teacher, name="13K History")
    class_services.join_class(student=other_student, code=other_class.join_code)

    lesson = LessonFactory(title="The Great Leap Forward", owner=owner)
    passage = PassageFactory(lesson=lesson)
    annotation = AnnotationFactory(passage=passage, author=owner)
    topic = TopicFactory(name="Famine deaths", slug="famine-deaths")

    task = TaskFactory(title="Communes homework", owner=owner, classes=[school_class])
    task.lessons.add(lesson)
    points_question = make_points_question(task=task, owner=owner, order=1)
    points_question.linked_passages.add(passage)
    levels_question = make_levels_question(task=task, owner=owner, order=2, topic=topic)
    key_evidence = KeyEvidenceFactory(question=points_question, passage=passage)
    draft_task = TaskFactory(
        title="Draft homework", owner=owner, classes=[school_class], status="draft"
    )
    make_points_question(task=draft_task, owner=owner, order=1)
    other_task = TaskFactory(title="Other homework", owner=other_teacher, classes=[other_class])
    make_points_question(task=other_task, owner=other_teacher, order=1)
    bank_question = BankQuestionFactory(lesson=lesson, owner=owner, prompt="Owner's bank question")

    # The student answers the first question, quotes the source in it, leaves the second
    # blank, and submits.
    submission = answering_services.get_or_start_submission(task=task, student=student)
    answering_services.save_student_answer(
        task=task,
        student=student,
        question=points_question,
        text="The communes merged cooperatives.",
        base_version=0,
    )
    evidence_link = evidence_services.add_evidence(
        submission=submission,
        question=points_question,
        passage=passage,
        start=annotation.start,
        end=annotation.end,
    )
    submission = answering_services.submit(submission=submission)
    answer = submission.answers.get(question=points_question)
    blank_answer = submission.answers.get(question=levels_question)
    # The teacher adds a question after the student submitted: the work has no answer to it.
    late_question = task_services.add_question(
        task=task,
        owner=owner,
        prompt="Name one source of evidence for the famine.",
        scheme=Scheme(kind="points", max_marks=1, points=[PointSpec(text="Any named source")]),
    )

    comment = marking_services.add_comment(teacher=owner, text="Quote the source.")
    return SimpleNamespace(
        owner=owner,
        other_teacher=other_teacher,
        staff=staff,
        student=student,
        other_student=other_student,
        spare_teacher=spare_teacher,
        spare_student=spare_student,
        school_class=school_class,
        other_class=other_class,
        lesson=lesson,
        passage=passage,
        annotation=annotation,
        topic=topic,
        task=task,
        draft_task=draft_task,
        other_task=other_task,
        question=points_question,
        levels_question=levels_question,
        late_question=late_question,
        key_evidence=key_evidence,
        bank_question=bank_question,
        submission=submission,
        answer=answer,
        blank_answer=blank_answer,
        evidence_link=evidence_link,
        comment=comment,
    )
