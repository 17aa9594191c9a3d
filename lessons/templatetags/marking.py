"""Template tags of the marking area."""

from django import template

from ..services import marking

register = template.Library()


@register.simple_tag
def released_results(submission):
    """A student's released marks and feedback (services.marking.Results), or None before
    release: templates that show results cannot show them early by mistake."""
    return marking.released_results(submission=submission)
