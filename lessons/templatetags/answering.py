"""Template filters of the answering area: when an answer was saved, in the school's zone."""

from datetime import datetime

from django import template
from django.utils import timezone

from ..services.answering import format_when

register = template.Library()


@register.filter
def saved_time(moment: datetime | None) -> str:
    """ "14:02" today, "Tue 25 Nov, 14:02" another day, "" never."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


@register.filter
def long_time(moment: datetime | None) -> str:
    """ "Friday 28 November, 17:00" in the school's zone."""
    return format_when(moment) if moment else ""
