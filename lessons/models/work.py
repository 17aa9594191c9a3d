from django.conf import settings
from django.db import models

from .library import AnchoredSpan
from .tasks import IndicativePoint, Level, Question, Task

MAX_ANSWER_CHARS = 20_000


class Submission(models.Model):
    """One student's work on one task: their answers, across attempts."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for another attempt"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    attempt = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_note = models.TextField(blank=True)
    overall_feedback = models.TextField(blank=True)
    # Guards the overall comment against two markers overwriting each other.
    feedback_version = models.PositiveIntegerField(default=0)
    # Marks and feedback are visible to the student only once released.
    released_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["task", "student"], name="one_submission_per_task")
        ]

    def __str__(self) -> str:
        return f"{self.student} – {self.task}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.IN_PROGRESS, self.Status.RETURNED)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class Answer(models.Model):
    """A student's answer to one question, with the teacher's marking of it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(blank=True)
    # Each save must name the version it was based on; a stale one is refused, not applied.
    version = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(null=True, blank=True)

    mark = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.ForeignKey(
        Level, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    credited_points = models.ManyToManyField(
        IndicativePoint, blank=True, related_name="credited_in"
    )
    # Why a points mark differs from the sum of the credited points.
    mark_adjustment_reason = models.TextField(blank=True)
    feedback = models.TextField(blank=True)
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answers_marked",
    )
    marked_at = models.DateTimeField(null=True, blank=True)
    # The marking's own version, so two markers (or two tabs) cannot overwrite each other.
    marking_version = models.PositiveIntegerField(default=0)
    # The question's scheme_version the mark was given under.
    marked_scheme_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id} by submission {self.submission_id}"

    @property
    def is_marked(self) -> bool:
        return self.mark is not None

    @property
    def needs_remark(self) -> bool:
        """Marked under an earlier version of the question's mark scheme."""
        return self.is_marked and self.marked_scheme_version != self.question.scheme_version


class AnswerRevision(models.Model):
    """History of an answer: the text of each submitted attempt, and marks given before a return."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for another attempt"

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    attempt = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    mark = models.PositiveSmallIntegerField(null=True, blank=True)
    level_number = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (attempt {self.attempt})"


class EvidenceLink(AnchoredSpan):
    """A quotation from a source that a student used as evidence in an answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "created_at", "id"]

    def __str__(self) -> str:
        return self.quote[:60]
