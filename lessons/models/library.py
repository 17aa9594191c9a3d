from django.conf import settings
from django.db import models
from django.db.models import Q

# How much text either side of a quoted span is kept to find it again after an edit.
ANCHOR_CONTEXT_CHARS = 32


class LessonQuerySet(models.QuerySet):
    def search(self, query: str) -> "LessonQuerySet":
        query = query.strip()
        if not query:
            return self
        matching_passages = Passage.objects.filter(
            Q(text__icontains=query) | Q(heading__icontains=query)
        ).values("lesson_id")
        return self.filter(
            Q(title__icontains=query)
            | Q(summary__icontains=query)
            | Q(author__icontains=query)
            | Q(id__in=matching_passages)
        )


class Lesson(models.Model):
    """A source text, split into passages, with its attribution. Shared by all teachers."""

    class SourceKind(models.TextChoices):
        ESSAY = "essay", "Essay"
        STUDY_NOTES = "study_notes", "Study notes"
        ACADEMIC_ESSAY = "academic_essay", "Academic essay"
        PRIMARY_SOURCE = "primary_source", "Primary source"
        TEXTBOOK = "textbook", "Textbook extract"
        ARTICLE = "article", "Article"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    publisher = models.CharField("publisher or site", max_length=200, blank=True)
    source_url = models.URLField("URL", max_length=500, blank=True)
    # Free text: history sources are dated "1959", "July 1959" or "2 June 2020".
    source_date = models.CharField("date", max_length=60, blank=True)
    source_kind = models.CharField(
        "kind of source", max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER
    )
    attribution_note = models.TextField(blank=True)
    # None for the install's shared lessons (the seeds); otherwise the teacher who may edit it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lessons",
    )
    # Identifies a lesson loaded from seeds/ so that re-loading updates instead of duplicating.
    seed_key = models.SlugField(max_length=100, unique=True, null=True, blank=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Passage(models.Model):
    """One block of a lesson's text: a section with an optional heading."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CAPTION = "caption", "Image caption"
        REFERENCES = "references", "References and notes"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="passages")
    order = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    # Bumped by every change of heading, kind or text, so an edit based on an older
    # version is refused instead of silently overwriting the newer one.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["lesson", "order", "id"]

    def __str__(self) -> str:
        return self.heading or self.text[:60]


class AnchoredSpan(models.Model):
    """An exact span of a passage's text, kept findable after the passage is edited.

    The offsets are where the span was last seen; the quote and a little context either
    side let services.anchoring find it again, or flag it as detached if it is gone.
    """

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="%(class)ss")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    prefix = models.CharField(max_length=ANCHOR_CONTEXT_CHARS * 2, blank=True)
    suffix = models.CharField(max_length=ANCHOR_CONTEXT_CHARS * 2, blank=True)
    detached = models.BooleanField(default=False)

    class Meta:
        abstract = True


class Topic(models.Model):
    """Something sources make claims about, e.g. "Famine deaths", to compare them side by side."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Annotation(AnchoredSpan):
    """A teacher's note on a span of a passage."""

    class Kind(models.TextChoices):
        KEY_TERM = "key_term", "Key term"
        CONTEXT = "context", "Context"
        INTERPRETATION = "interpretation", "Interpretation"
        CLAIM = "claim", "Claim or statistic"
        CITATION = "citation", "Citation"
        DISCUSSION = "discussion", "Discussion prompt"
        CORRECTION = "correction", "Factual slip"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField()
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["passage", "start", "end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="annotation_start_before_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.quote[:40]}"
