from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .classes import SchoolClass
from .library import AnchoredSpan, Lesson, Passage, Topic

MAX_QUESTION_MARKS = 100


class TaskQuerySet(models.QuerySet):
    def for_teacher(self, user) -> "TaskQuerySet":
        """Tasks the teacher set, or set for a class they teach."""
        taught = Task.classes.through.objects.filter(schoolclass__teachers=user)
        return self.filter(Q(owner=user) | Q(id__in=taught.values("task_id")))

    def visible_to_student(self, user, now) -> "TaskQuerySet":
        """Published (or closed) tasks of the student's classes that have opened."""
        enrolled = Task.classes.through.objects.filter(schoolclass__enrolments__student=user)
        return self.filter(
            id__in=enrolled.values("task_id"),
            status__in=[Task.Status.PUBLISHED, Task.Status.CLOSED],
            opens_at__lte=now,
        )


class Task(models.Model):
    """Homework: questions on one or more lessons, set for one or more classes."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    class LatePolicy(models.TextChoices):
        ACCEPT = "accept", "Accept late work (flagged as late)"
        REFUSE = "refuse", "Refuse submissions after the due time"

    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks_set"
    )
    classes = models.ManyToManyField(SchoolClass, related_name="tasks")
    lessons = models.ManyToManyField(Lesson, related_name="tasks", blank=True)
    opens_at = models.DateTimeField()
    due_at = models.DateTimeField()
    late_policy = models.CharField(
        max_length=10, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    show_mark_scheme = models.BooleanField(
        "show students the mark scheme once marks are released", default=False
    )
    anonymous_marking = models.BooleanField("hide names while marking", default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("due_at")), name="task_opens_before_due"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A question with its mark scheme: points-based or levels-based.

    A question with no task lives only in the question bank (the seed lessons' questions);
    adding a bank question to a task copies it.
    """

    class AnswerType(models.TextChoices):
        SHORT = "short", "Short answer"
        EXTENDED = "extended", "Extended writing"

    class SchemeKind(models.TextChoices):
        POINTS = "points", "Points-based"
        LEVELS = "levels", "Levels-based"

    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="questions"
    )
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="bank_questions"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions_written",
    )
    order = models.PositiveIntegerField(default=0)
    prompt = models.TextField()
    max_marks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUESTION_MARKS)]
    )
    answer_type = models.CharField(
        max_length=10, choices=AnswerType.choices, default=AnswerType.EXTENDED
    )
    scheme_kind = models.CharField(
        "mark scheme", max_length=10, choices=SchemeKind.choices, default=SchemeKind.POINTS
    )
    # Points schemes: "award N mark(s) for each valid point, up to the maximum".
    marks_per_point = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_QUESTION_MARKS)]
    )
    # General guidance; for levels schemes, the indicative content.
    guidance = models.TextField(blank=True)
    linked_passages = models.ManyToManyField(Passage, blank=True, related_name="questions")
    # A comparison question shows the topic's claims from the task's lessons side by side.
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    seed_key = models.SlugField(max_length=120, unique=True, null=True, blank=True)
    # Bumped whenever the maximum or the mark scheme changes, so marks given under an
    # earlier scheme can be flagged for re-marking instead of silently standing.
    scheme_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task", "order", "id"]

    def __str__(self) -> str:
        return self.prompt[:80]

    @property
    def is_points(self) -> bool:
        return self.scheme_kind == self.SchemeKind.POINTS

    @property
    def is_levels(self) -> bool:
        return self.scheme_kind == self.SchemeKind.LEVELS


class IndicativePoint(models.Model):
    """A creditable point of a points-based mark scheme."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="indicative_points"
    )
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()
    marks = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_QUESTION_MARKS)]
    )
    # Other wordings a marker should accept, one per line.
    alternatives = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def alternative_list(self) -> list[str]:
        return [line.strip() for line in self.alternatives.splitlines() if line.strip()]


class Level(models.Model):
    """A level of a levels-based mark scheme: a mark range and a descriptor."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField()
    min_marks = models.PositiveSmallIntegerField()
    max_marks = models.PositiveSmallIntegerField()
    descriptor = models.TextField()

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="one_level_number"),
            models.CheckConstraint(
                condition=Q(min_marks__lte=models.F("max_marks")), name="level_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.number} ({self.min_marks}–{self.max_marks})"

    def contains(self, mark: int) -> bool:
        return self.min_marks <= mark <= self.max_marks


class Exemplar(models.Model):
    """An example answer with the mark it earns (and, for levels schemes, its level)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="exemplars")
    level = models.ForeignKey(
        Level, null=True, blank=True, on_delete=models.CASCADE, related_name="exemplars"
    )
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()
    mark = models.PositiveSmallIntegerField()
    commentary = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return f"Exemplar ({self.mark} marks)"


class KeyEvidence(AnchoredSpan):
    """A span of a source the mark scheme credits using ("credit use of the Lushan Conference")."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="key_evidence")
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["question", "id"]
        verbose_name_plural = "key evidence"

    def __str__(self) -> str:
        return self.description or self.quote[:60]
