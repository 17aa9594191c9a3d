from django.conf import settings
from django.db import models


class CommentBankEntry(models.Model):
    """A feedback comment a teacher saved to reuse while marking."""

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_bank"
    )
    text = models.TextField()
    use_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-use_count", "id"]
        verbose_name = "comment bank entry"
        verbose_name_plural = "comment bank"

    def __str__(self) -> str:
        return self.text[:60]
