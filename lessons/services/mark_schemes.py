"""Mark schemes as plain values, and THE validator of them.

Two kinds of scheme, as UK history teachers write them:

- points-based: "award N mark(s) for each valid point, up to the maximum", with a list of
  indicative points (each with its marks and other wordings a marker should accept);
- levels-based: levels with contiguous mark ranges and descriptors, exemplar answers with
  the mark each earns (inside its level), and optional indicative content (`guidance`).

Everything here is pure: the task editor's forms, the seed loader and the marking area all
describe a scheme with these dataclasses and get back errors keyed to the field at fault, so
each caller can show a message where it belongs (next to a form field, or naming the seed
file's item).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..models.tasks import MAX_QUESTION_MARKS

POINTS = "points"
LEVELS = "levels"
SCHEME_KINDS = (POINTS, LEVELS)


@dataclass
class PointSpec:
    """An indicative point. `id` is the stored point it updates, if any."""

    text: str
    marks: int | None = 1
    alternatives: str = ""  # other wordings to accept, one per line
    id: int | None = None

    def content(self) -> tuple:
        return (self.text.strip(), self.marks, _lines(self.alternatives))


@dataclass
class LevelSpec:
    """A level of a levels-based scheme. Levels are numbered by position (1, 2, 3…);
    `number`, when given (as a seed file does), must agree with the position."""

    min_marks: int | None
    max_marks: int | None
    descriptor: str
    number: int | None = None
    id: int | None = None

    def content(self, position: int) -> tuple:
        return (position + 1, self.min_marks, self.max_marks, self.descriptor.strip())


@dataclass
class ExemplarSpec:
    """An example answer with its mark; `level` is a level number (levels schemes only)."""

    text: str
    mark: int | None
    level: int | None = None
    commentary: str = ""
    id: int | None = None

    def content(self, kind: str) -> tuple:
        level = self.level if kind == LEVELS else None
        return (level, self.mark, self.text.strip(), self.commentary.strip())


@dataclass
class Scheme:
    """A question's maximum marks and its mark scheme."""

    kind: str
    max_marks: int | None
    marks_per_point: int | None = 1
    guidance: str = ""  # general guidance; for levels schemes, the indicative content
    points: list[PointSpec] = field(default_factory=list)
    levels: list[LevelSpec] = field(default_factory=list)
    exemplars: list[ExemplarSpec] = field(default_factory=list)

    @property
    def is_points(self) -> bool:
        return self.kind == POINTS

    @property
    def is_levels(self) -> bool:
        return self.kind == LEVELS

    def content(self) -> tuple:
        """What a marker marks against, without database ids: equal content, equal scheme.

        Only the parts of the chosen kind count (a points scheme's leftover levels do not).
        """
        if self.is_points:
            body: tuple = (self.marks_per_point, tuple(p.content() for p in self.points))
        else:
            body = tuple(level.content(i) for i, level in enumerate(self.levels))
        return (
            self.kind,
            self.max_marks,
            self.guidance.strip(),
            body,
            tuple(e.content(self.kind) for e in self.exemplars),
        )


@dataclass(frozen=True)
class SchemeError:
    """One problem, keyed to where it is.

    section: "question" (max_marks, marks_per_point, kind), "points", "levels" or
    "exemplars"; index: the position in that list (None for the section as a whole);
    field: the field of that item (None for the item as a whole).
    """

    section: str
    index: int | None
    field: str | None
    message: str

    @property
    def location(self) -> str:
        where = self.section
        if self.index is not None:
            where += f"[{self.index + 1}]"
        if self.field:
            where += f".{self.field}"
        return where

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def validate_max_marks(max_marks: int | None) -> str | None:
    """The message for an invalid maximum, or None."""
    if max_marks is None:
        return "Enter the maximum marks for this question."
    if not 1 <= max_marks <= MAX_QUESTION_MARKS:
        return f"Maximum marks must be between 1 and {MAX_QUESTION_MARKS}."
    return None


def validate_scheme(scheme: Scheme) -> list[SchemeError]:
    """Every problem with the scheme, each keyed to its field; an empty list when valid."""
    errors: list[SchemeError] = []
    maximum_message = validate_max_marks(scheme.max_marks)
    if maximum_message:
        errors.append(SchemeError("question", None, "max_marks", maximum_message))
    maximum = None if maximum_message else scheme.max_marks

    if scheme.kind == POINTS:
        errors += _points_errors(scheme, maximum)
    elif scheme.kind == LEVELS:
        errors += _levels_errors(scheme, maximum)
    else:
        errors.append(
            SchemeError("question", None, "kind", "Choose a points-based or levels-based scheme.")
        )
        return errors
    errors += _exemplar_errors(scheme, maximum)
    return errors


def _points_errors(scheme: Scheme, maximum: int | None) -> list[SchemeError]:
    errors = []
    per_point = scheme.marks_per_point
    if per_point is None or per_point < 1:
        errors.append(
            SchemeError("question", None, "marks_per_point", "Award at least 1 mark per point.")
        )
    elif maximum is not None and per_point > maximum:
        errors.append(
            SchemeError(
                "question",
                None,
                "marks_per_point",
                f"Marks per point cannot be more than the question's maximum ({maximum}).",
            )
        )
    if not scheme.points:
        errors.append(
            SchemeError(
                "points",
                None,
                None,
                "A points-based mark scheme needs at least one indicative point.",
            )
        )
    for i, point in enumerate(scheme.points):
        if not point.text.strip():
            errors.append(SchemeError("points", i, "text", "Write the point a marker credits."))
        if point.marks is None:
            errors.append(SchemeError("points", i, "marks", "Enter the marks for this point."))
        elif point.marks < 1:
            errors.append(
                SchemeError("points", i, "marks", "A point must be worth at least 1 mark.")
            )
        elif maximum is not None and point.marks > maximum:
            errors.append(
                SchemeError(
                    "points",
                    i,
                    "marks",
                    f"A point cannot be worth more than the question's maximum ({maximum}).",
                )
            )
    return errors


def _levels_errors(scheme: Scheme, maximum: int | None) -> list[SchemeError]:
    errors = []
    levels = scheme.levels
    if not levels:
        errors.append(
            SchemeError(
                "levels", None, None, "A levels-based mark scheme needs at least one level."
            )
        )
        return errors

    # Ranges that are complete on their own; only those are compared with their neighbours.
    sound: list[bool] = []
    for i, level in enumerate(levels):
        name = f"Level {i + 1}"
        ok = True
        if level.number is not None and level.number != i + 1:
            errors.append(
                SchemeError(
                    "levels",
                    i,
                    "number",
                    f"Levels must be numbered 1, 2, 3… in order: this should be Level {i + 1}, "
                    f"not Level {level.number}.",
                )
            )
        if not level.descriptor.strip():
            errors.append(
                SchemeError("levels", i, "descriptor", f"Describe what an answer at {name} does.")
            )
        if level.min_marks is None:
            errors.append(SchemeError("levels", i, "min_marks", f"Enter {name}'s lowest mark."))
            ok = False
        elif level.min_marks < 0:
            errors.append(
                SchemeError("levels", i, "min_marks", "A level cannot start below 0 marks.")
            )
            ok = False
        if level.max_marks is None:
            errors.append(SchemeError("levels", i, "max_marks", f"Enter {name}'s highest mark."))
            ok = False
        elif maximum is not None and level.max_marks > maximum:
            errors.append(
                SchemeError(
                    "levels",
                    i,
                    "max_marks",
                    f"{name} goes up to {level.max_marks}, above the question's maximum "
                    f"of {maximum}.",
                )
            )
            ok = False
        if ok and level.min_marks > level.max_marks:
            errors.append(
                SchemeError(
                    "levels",
                    i,
                    "max_marks",
                    f"{name}'s highest mark ({level.max_marks}) is below its lowest "
                    f"({level.min_marks}).",
                )
            )
            ok = False
        sound.append(ok)

    first = levels[0]
    if sound[0] and first.min_marks > 1:
        errors.append(
            SchemeError(
                "levels",
                0,
                "min_marks",
                f"Level 1 must start at 0 or 1 mark (it starts at {first.min_marks}), so that "
                "every mark is in a level.",
            )
        )
    for i in range(1, len(levels)):
        if not (sound[i] and sound[i - 1]):
            continue
        previous, level = levels[i - 1], levels[i]
        expected = previous.max_marks + 1
        if level.min_marks < expected:
            errors.append(
                SchemeError(
                    "levels",
                    i,
                    "min_marks",
                    f"Level {i + 1} ({level.min_marks}–{level.max_marks}) overlaps Level {i} "
                    f"({previous.min_marks}–{previous.max_marks}): start it at {expected}.",
                )
            )
        elif level.min_marks > expected:
            errors.append(
                SchemeError(
                    "levels",
                    i,
                    "min_marks",
                    f"Level {i + 1} starts at {level.min_marks} but Level {i} ends at "
                    f"{previous.max_marks}: levels must be contiguous, so start it at "
                    f"{expected}.",
                )
            )
    last = levels[-1]
    if maximum is not None and sound[-1] and last.max_marks != maximum:
        errors.append(
            SchemeError(
                "levels",
                len(levels) - 1,
                "max_marks",
                f"The top level must end at the question's maximum ({maximum}); "
                f"Level {len(levels)} ends at {last.max_marks}.",
            )
        )
    return errors


def _exemplar_errors(scheme: Scheme, maximum: int | None) -> list[SchemeError]:
    errors = []
    for i, exemplar in enumerate(scheme.exemplars):
        if not exemplar.text.strip():
            errors.append(SchemeError("exemplars", i, "text", "Write the example answer."))
        if exemplar.mark is None:
            errors.append(SchemeError("exemplars", i, "mark", "Enter the mark this answer earns."))
            mark_ok = False
        elif exemplar.mark < 0 or (maximum is not None and exemplar.mark > maximum):
            top = maximum if maximum is not None else MAX_QUESTION_MARKS
            errors.append(
                SchemeError("exemplars", i, "mark", f"The mark must be between 0 and {top}.")
            )
            mark_ok = False
        else:
            mark_ok = True
        if not scheme.is_levels:
            continue
        if exemplar.level is None:
            errors.append(
                SchemeError("exemplars", i, "level", "Choose the level of this example answer.")
            )
        elif not 1 <= exemplar.level <= len(scheme.levels):
            errors.append(
                SchemeError(
                    "exemplars",
                    i,
                    "level",
                    f"There is no Level {exemplar.level} in this mark scheme.",
                )
            )
        elif mark_ok:
            level = scheme.levels[exemplar.level - 1]
            if (
                level.min_marks is not None
                and level.max_marks is not None
                and not level.min_marks <= exemplar.mark <= level.max_marks
            ):
                errors.append(
                    SchemeError(
                        "exemplars",
                        i,
                        "mark",
                        f"A Level {exemplar.level} answer earns {level.min_marks}–"
                        f"{level.max_marks} marks; this one is given {exemplar.mark}.",
                    )
                )
    return errors


def errors_at(errors: Sequence[SchemeError], section: str, index: int | None = None) -> list:
    """The errors of one section (index None: the section's own) or of one item of it."""
    return [e for e in errors if e.section == section and e.index == index]


def scheme_from_mapping(data: Mapping) -> Scheme:
    """A scheme from the shape of a seed file's question (seeds/FORMAT.md).

    Values of the wrong type become None, so the validator reports them at their field
    instead of this function raising.
    """

    def number(value) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(value) -> str:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return "" if value is None else str(value)

    levels = []
    for level in data.get("levels") or []:
        marks = level.get("marks")
        low, high = (marks + [None, None])[:2] if isinstance(marks, list) else (None, None)
        levels.append(
            LevelSpec(
                min_marks=number(low),
                max_marks=number(high),
                descriptor=text(level.get("descriptor")),
                number=number(level.get("level")),
            )
        )
    return Scheme(
        kind=str(data.get("scheme", POINTS)),
        max_marks=number(data.get("max_marks")),
        marks_per_point=number(data.get("marks_per_point", 1)),
        guidance=text(data.get("guidance")),
        points=[
            PointSpec(
                text=text(point.get("text")),
                marks=number(point.get("marks", 1)),
                alternatives=text(point.get("alternatives")),
            )
            for point in data.get("points") or []
        ],
        levels=levels,
        exemplars=[
            ExemplarSpec(
                text=text(exemplar.get("text")),
                mark=number(exemplar.get("mark")),
                level=number(exemplar.get("level")),
                commentary=text(exemplar.get("commentary")),
            )
            for exemplar in data.get("exemplars") or []
        ],
    )


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in value.splitlines() if line.strip())
