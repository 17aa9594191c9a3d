"""The install's settings: the environment's defaults, overridden by the staff page.

Every page reads them (header, time zone), so they come from the Django cache rather than a
query each time. The default cache is per process: another app server sees a change when its
copy expires, so the timeout is short (SCHOOL_SETTINGS_CACHE_SECONDS, 30 s by default).
"""

import logging
import zoneinfo
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import DatabaseError, transaction

from ..models import SchoolSettings

CACHE_KEY = "glf:school-settings:v1"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchoolConfig:
    """The settings in force, with where each one comes from."""

    school_name: str
    allow_teacher_signup: bool
    time_zone: str
    # What the staff page saved (None/blank = the environment default is used).
    saved_allow_teacher_signup: bool | None
    saved_school_name: str
    saved_time_zone: str


@cache
def available_time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _saved_values() -> dict:
    """The saved row as plain values (an empty dict when never saved), cached."""
    values = django_cache.get(CACHE_KEY)
    if values is None:
        try:
            row = SchoolSettings.objects.filter(pk=SchoolSettings.SINGLE_ROW_ID).first()
        except DatabaseError:
            # The database is down: the health check and the 503 page still need a name and
            # a time zone, and must report the outage themselves.
            logger.warning("School settings unreadable; using the environment's", exc_info=True)
            return {}
        values = (
            {
                "allow_teacher_signup": row.allow_teacher_signup,
                "school_name": row.school_name,
                "time_zone": row.time_zone,
            }
            if row
            else {}
        )
        django_cache.set(CACHE_KEY, values, settings.SCHOOL_SETTINGS_CACHE_SECONDS)
    return values


def current_school_settings() -> SchoolConfig:
    """The settings in force: what the staff page saved, else the environment's defaults."""
    saved = _saved_values()
    signup = saved.get("allow_teacher_signup")
    name = saved.get("school_name", "")
    zone = saved.get("time_zone", "")
    # A zone saved on a server whose tz database lacks it must not take every page down.
    if zone and zone not in available_time_zones():
        zone = ""
    return SchoolConfig(
        school_name=name or settings.SCHOOL_NAME,
        allow_teacher_signup=settings.ALLOW_TEACHER_SIGNUP if signup is None else signup,
        time_zone=zone or settings.TIME_ZONE,
        saved_allow_teacher_signup=signup,
        saved_school_name=name,
        saved_time_zone=saved.get("time_zone", ""),
    )


def teacher_signup_allowed() -> bool:
    """Whether /accounts/signup/ may create teacher accounts on this install."""
    return current_school_settings().allow_teacher_signup


def update_school_settings(
    *, allow_teacher_signup: bool | None, school_name: str, time_zone: str
) -> SchoolSettings:
    """Save the staff page's settings (None/blank = use the environment default)."""
    if time_zone and time_zone not in available_time_zones():
        raise ValueError(f"Unknown time zone: {time_zone!r}")
    with transaction.atomic():
        row, _ = SchoolSettings.objects.select_for_update().get_or_create(
            pk=SchoolSettings.SINGLE_ROW_ID
        )
        row.allow_teacher_signup = allow_teacher_signup
        row.school_name = school_name.strip()
        row.time_zone = time_zone
        row.save()
        django_cache.delete(CACHE_KEY)
        # Again once committed: a request in between may have cached the old row.
        transaction.on_commit(lambda: django_cache.delete(CACHE_KEY))
    return row
