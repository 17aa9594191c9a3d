from django.db import models
from django.db.models import Q


class SchoolSettings(models.Model):
    """The install's own settings, changed by an admin on the staff page (one row).

    Each blank or null field means "use the server's environment default", so a school that
    never opens the staff page runs exactly as its environment variables say.
    """

    SINGLE_ROW_ID = 1

    allow_teacher_signup = models.BooleanField(
        "let anyone create a teacher account", null=True, blank=True
    )
    school_name = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "school settings"
        verbose_name_plural = "school settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="school_settings_single_row"),
        ]

    def __str__(self) -> str:
        return "School settings"
