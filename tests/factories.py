"""Factories for tests: the smallest valid objects, with product-like defaults."""

from datetime import timedelta

import factory
from django.utils import timezone

from lessons.models import (
    Annotation,
    Answer,
    AnswerRevision,
    CommentBankEntry,
    Enrolment,
    EvidenceLink,
    Exemplar,
    IndicativePoint,
    KeyEvidence,
    Lesson,
    Level,
    Passage,
    Question,
    SchoolClass,
    Submission,
    Task,
    Topic,
    User,
)

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="en_GB")
    role = User.Role.STUDENT
    password = factory.django.Password(TEST_PASSWORD)


class TeacherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")
    role = User.Role.TEACHER


class StudentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"student{n}")
    role = User.Role.STUDENT


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Class {n}")

    @factory.post_generation
    def teachers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teachers.add(*extracted)

    @factory.post_generation
    def students(obj, create, extracted, **kwargs):
        if create and extracted:
            for student in extracted:
                Enrolment.objects.create(school_class=obj, student=student)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    title = factory.Sequence(lambda n: f"Lesson {n}")
    author = "A. Historian"
    source_kind = Lesson.SourceKind.ESSAY


class PassageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Passage

    lesson = factory.SubFactory(LessonFactory)
    order = factory.Sequence(lambda n: n)
    heading = "The communes"
    text = (
        "In 1958 some 740,000 cooperatives were merged into about 26,000 People's Communes. "
        "Private plots were abolished and work points replaced wages."
    )


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    passage = factory.SubFactory(PassageFactory)
    kind = Annotation.Kind.KEY_TERM
    start = 46
    end = 61
    quote = factory.LazyAttribute(lambda a: a.passage.text[a.start : a.end])
    prefix = factory.LazyAttribute(lambda a: a.passage.text[max(0, a.start - 32) : a.start])
    suffix = factory.LazyAttribute(lambda a: a.passage.text[a.end : a.end + 32])
    note = "A large collective unit combining farming, industry and local government."


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Homework {n}")
    owner = factory.SubFactory(TeacherFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    status = Task.Status.PUBLISHED

    @factory.post_generation
    def classes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.classes.add(*extracted)

    @factory.post_generation
    def lessons(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.lessons.add(*extracted)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    task = factory.SubFactory(TaskFactory)
    order = factory.Sequence(lambda n: n)
    prompt = "Identify two features of the People's Communes."
    max_marks = 2
    answer_type = Question.AnswerType.SHORT
    scheme_kind = Question.SchemeKind.POINTS


class BankQuestionFactory(QuestionFactory):
    """A question kept only in the bank, as the seed lessons' questions are."""

    task = None
    lesson = factory.SubFactory(LessonFactory)
    order = 0


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class IndicativePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicativePoint

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = "Communes merged cooperatives into large collective units."
    marks = 1


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level

    question = factory.SubFactory(QuestionFactory, scheme_kind=Question.SchemeKind.LEVELS)
    number = 1
    min_marks = 1
    max_marks = 2
    descriptor = "Simple statements with limited detail."


class ExemplarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exemplar

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = "There was a famine."
    mark = 1


def _span(obj, start: int, end: int) -> dict:
    text = obj.passage.text
    return {
        "quote": text[start:end],
        "prefix": text[max(0, start - 32) : start],
        "suffix": text[end : end + 32],
    }


class KeyEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyEvidence

    question = factory.SubFactory(QuestionFactory)
    passage = factory.SubFactory(PassageFactory)
    start = 0
    end = 7
    quote = factory.LazyAttribute(lambda k: _span(k, k.start, k.end)["quote"])
    suffix = factory.LazyAttribute(lambda k: _span(k, k.start, k.end)["suffix"])
    description = "The date the communes began"


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    task = factory.SubFactory(TaskFactory)
    student = factory.SubFactory(StudentFactory)


class SubmittedSubmissionFactory(SubmissionFactory):
    """Work the student has submitted: what a teacher marks."""

    status = Submission.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer
        skip_postgeneration_save = True

    submission = factory.SubFactory(SubmissionFactory)
    question = factory.SubFactory(QuestionFactory, task=factory.SelfAttribute("..submission.task"))
    text = "The communes merged cooperatives and abolished private plots."
    version = 1
    saved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def credited_points(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.credited_points.add(*extracted)


class AnswerRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnswerRevision

    answer = factory.SubFactory(AnswerFactory)
    kind = AnswerRevision.Kind.SUBMITTED
    attempt = 1
    text = factory.LazyAttribute(lambda r: r.answer.text)


class EvidenceLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceLink

    answer = factory.SubFactory(AnswerFactory)
    passage = factory.SubFactory(PassageFactory)
    start = 46
    end = 61
    quote = factory.LazyAttribute(lambda e: _span(e, e.start, e.end)["quote"])
    prefix = factory.LazyAttribute(lambda e: _span(e, e.start, e.end)["prefix"])
    suffix = factory.LazyAttribute(lambda e: _span(e, e.start, e.end)["suffix"])


class CommentBankEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommentBankEntry

    teacher = factory.SubFactory(TeacherFactory)
    text = "Use a quotation from the source to support this point."


# Seed 004's two practice questions, the two shapes of mark scheme.

AIMS_PROMPT = "Identify two key aims of Mao Zedong's Great Leap Forward (1958–1962)."
AIMS_POINTS = [
    "To rapidly industrialise China and transform it into a modern socialist economy.",
    "To increase agricultural production through collectivisation and the creation of "
    "People's Communes.",
    "To demonstrate the superiority of Chinese socialism and reduce reliance on the Soviet model.",
]
CONSEQUENCES_PROMPT = (
    "Explain two significant consequences of the Great Leap Forward for China's economy and "
    "society."
)
CONSEQUENCES_LEVELS = [
    (
        1,
        1,
        2,
        "Simple statements with limited detail.\nMay identify consequences without explanation.",
    ),
    (2, 3, 4, "Clear explanation of one consequence OR limited explanation of two."),
    (3, 5, 6, "Clear, developed explanation of two significant consequences."),
]


def make_points_question(**kwargs) -> Question:
    """Seed 004's question 1: 2 marks, 1 mark per aim, three indicative points."""
    kwargs.setdefault("prompt", AIMS_PROMPT)
    question = QuestionFactory(
        max_marks=2,
        answer_type=Question.AnswerType.SHORT,
        scheme_kind=Question.SchemeKind.POINTS,
        marks_per_point=1,
        **kwargs,
    )
    for order, text in enumerate(AIMS_POINTS):
        IndicativePointFactory(question=question, order=order, text=text, marks=1)
    return question


def make_levels_question(**kwargs) -> Question:
    """Seed 004's question 2: 6 marks in three levels, with exemplar answers."""
    kwargs.setdefault("prompt", CONSEQUENCES_PROMPT)
    question = QuestionFactory(
        max_marks=6,
        answer_type=Question.AnswerType.EXTENDED,
        scheme_kind=Question.SchemeKind.LEVELS,
        **kwargs,
    )
    levels = {
        number: LevelFactory(
            question=question, number=number, min_marks=low, max_marks=high, descriptor=text
        )
        for number, low, high, text in CONSEQUENCES_LEVELS
    }
    ExemplarFactory(question=question, level=levels[1], mark=1, text="There was a famine.")
    ExemplarFactory(
        question=question,
        level=levels[2],
        mark=3,
        text="The Great Leap Forward caused widespread famine, leading to millions of deaths "
        "between 1959 and 1962.",
    )
    return question
