"""A typed confirmation for commands that delete data (or --yes for scripts)."""

from django.core.management.base import CommandError


def confirm(prompt: str, expected: str, *, assume_yes: bool) -> None:
    """Ask for `expected` to be typed; anything else (or no terminal) stops the command."""
    if assume_yes:
        return
    try:
        answer = input(f"{prompt}\nType {expected!r} to go ahead: ")
    except EOFError:
        raise CommandError(
            "No confirmation was typed; nothing was changed. Use --yes in scripts."
        ) from None
    if answer.strip() != expected:
        raise CommandError("Not confirmed; nothing was changed.")
