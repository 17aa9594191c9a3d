"""The seed lessons: reading seeds/NAME.md + NAME.toml (see seeds/FORMAT.md) and loading them.

Reading turns a pair of files into plain data and checks it, so that a typo in a quote or a
mark scheme is reported with the file and the item instead of becoming a misplaced note.
Loading upserts each lesson in its own transaction. It must be safe to run on a school's
live database at every upgrade: passages are updated in place because teachers'
annotations, students' evidence and questions point at them, and nothing a teacher made
(their own annotations, their copies of a seed lesson, their tasks) is replaced.
"""

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from ..models import (
    Annotation,
    EvidenceLink,
    Exemplar,
    IndicativePoint,
    KeyEvidence,
    Lesson,
    Level,
    Passage,
    Question,
    Topic,
)
from .anchoring import make_anchor, normalise_passage_text, update_passage_text
from .mark_schemes import ExemplarSpec, LevelSpec, PointSpec, Scheme, validate_scheme

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MARKER_RE = re.compile(r"^## +(?P<heading>.*?)(?: *\{\.(?P<kind>[A-Za-z_-]+)\})? *$")
FRONT_MATTER_FENCE = "+++"
NO_HEADING_MARKER = "---"

FRONT_MATTER_FIELDS = {
    # key in the file: (Lesson field, maximum length or None)
    "title": ("title", 200),
    "summary": ("summary", None),
    "author": ("author", 200),
    "publisher": ("publisher", 200),
    "url": ("source_url", 500),
    "date": ("source_date", 60),
    "kind": ("source_kind", None),
    "attribution_note": ("attribution_note", None),
}
TOPIC_KEYS = {"slug", "name", "description"}
ANNOTATION_KEYS = {"passage", "quote", "occurrence", "kind", "topic", "note"}
QUESTION_KEYS = {
    "key",
    "prompt",
    "max_marks",
    "answer_type",
    "scheme",
    "marks_per_point",
    "guidance",
    "passages",
    "topic",
    "points",
    "levels",
    "exemplars",
}
POINT_KEYS = {"text", "marks", "alternatives"}
LEVEL_KEYS = {"level", "marks", "descriptor"}
EXEMPLAR_KEYS = {"level", "mark", "text", "commentary"}


class SeedError(Exception):
    """A seed lesson that cannot be loaded; `problems` names each file and item at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# --- Plain data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedPassage:
    heading: str
    kind: str
    text: str


@dataclass(frozen=True)
class SeedTopic:
    slug: str
    name: str
    description: str
    defined_in: str


@dataclass(frozen=True)
class SeedAnnotation:
    passage_index: int
    start: int
    end: int
    kind: str
    note: str
    topic: str  # a topic slug, or ""


@dataclass(frozen=True)
class SeedPoint:
    text: str
    marks: int
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedLevel:
    number: int
    min_marks: int
    max_marks: int
    descriptor: str


@dataclass(frozen=True)
class SeedExemplar:
    level: int | None
    mark: int
    text: str
    commentary: str


@dataclass(frozen=True)
class SeedQuestion:
    key: str
    prompt: str
    max_marks: int
    answer_type: str
    scheme: str
    marks_per_point: int
    guidance: str
    passage_indexes: tuple[int, ...]
    topic: str
    points: tuple[SeedPoint, ...]
    levels: tuple[SeedLevel, ...]
    exemplars: tuple[SeedExemplar, ...]


@dataclass
class SeedLesson:
    key: str
    lesson_fields: dict
    passages: list[SeedPassage]
    annotations: list[SeedAnnotation]
    questions: list[SeedQuestion]
    topics: list[SeedTopic]


# --- Mark schemes -------------------------------------------------------------------------


def mark_scheme_problems(
    *,
    max_marks: int,
    scheme: str,
    marks_per_point: int = 1,
    points: Iterable[SeedPoint] = (),
    levels: Iterable[SeedLevel] = (),
    exemplars: Iterable[SeedExemplar] = (),
) -> list[str]:
    """What is wrong with a seed question's mark scheme; [] when it is sound.

    The rules are the shared validator's (services.mark_schemes), so a seed question is held
    to exactly what a teacher's question is held to in the task editor.
    """
    points, levels = list(points), list(levels)
    if scheme == Question.SchemeKind.POINTS and levels:
        return ["a points-based scheme has no levels"]
    if scheme == Question.SchemeKind.LEVELS and points:
        return ["a levels-based scheme has no points"]
    errors = validate_scheme(
        Scheme(
            kind=scheme,
            max_marks=max_marks,
            marks_per_point=marks_per_point,
            points=[
                PointSpec(text=p.text, marks=p.marks, alternatives="\n".join(p.alternatives))
                for p in points
            ],
            levels=[
                LevelSpec(
                    min_marks=level.min_marks,
                    max_marks=level.max_marks,
                    descriptor=level.descriptor,
                    number=level.number,
                )
                for level in levels
            ],
            exemplars=[
                ExemplarSpec(text=e.text, mark=e.mark, level=e.level, commentary=e.commentary)
                for e in exemplars
            ],
        )
    )
    return [str(error) for error in errors]


# --- Reading ------------------------------------------------------------------------------


def parse_lesson_text(text: str, *, filename: str) -> tuple[dict, list[SeedPassage]]:
    """The front matter (as read by tomllib) and the passages of a NAME.md file."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise SeedError([f"{filename}: must start with front matter between two +++ lines"])
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE)
    except StopIteration:
        raise SeedError([f"{filename}: the front matter has no closing +++ line"]) from None
    try:
        front = tomllib.loads("\n".join(lines[1:close]))
    except tomllib.TOMLDecodeError as error:
        raise SeedError([f"{filename}: the front matter is not valid TOML ({error})"]) from None

    problems = []
    passages = []
    heading, kind, body = "", Passage.Kind.TEXT.value, []
    started = False  # a marker has been seen, so even an empty body is a passage

    def finish(line_number: int) -> None:
        passage_text = _passage_text(body)
        if passage_text:
            passages.append(SeedPassage(heading=heading, kind=kind, text=passage_text))
        elif started:
            problems.append(f"{filename}: the passage ending at line {line_number} is empty")

    for number, line in enumerate(lines[close + 1 :], close + 2):
        marker = MARKER_RE.match(line)
        if marker or line.strip() == NO_HEADING_MARKER:
            finish(number - 1)
            started, body = True, []
            heading = marker["heading"].strip() if marker else ""
            kind = (marker["kind"] if marker else None) or Passage.Kind.TEXT.value
            if kind not in Passage.Kind.values:
                problems.append(
                    f"{filename}, line {number}: unknown passage kind {{.{kind}}} "
                    f"(use {', '.join('{.' + k + '}' for k in Passage.Kind.values)})"
                )
            if marker and not heading:
                problems.append(f"{filename}, line {number}: a ## marker needs a heading")
            if len(heading) > 300:
                problems.append(f"{filename}, line {number}: the heading is over 300 characters")
        else:
            body.append(line)
    finish(len(lines))
    if not passages:
        problems.append(f"{filename}: the lesson has no passages")
    if problems:
        raise SeedError(problems)
    return front, passages


def _passage_text(lines: list[str]) -> str:
    """Paragraphs separated by exactly one blank line; trailing spaces dropped."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def _lesson_fields(front: dict, *, filename: str) -> tuple[dict, list[str]]:
    problems = []
    fields = {}
    for key in sorted(set(front) - set(FRONT_MATTER_FIELDS)):
        problems.append(f"{filename}: unknown front matter field {key!r}")
    for key, (model_field, max_length) in FRONT_MATTER_FIELDS.items():
        value = front.get(key, "")
        if not isinstance(value, str):
            problems.append(f"{filename}: front matter {key!r} must be a string")
            continue
        value = value.strip()
        if max_length and len(value) > max_length:
            problems.append(f"{filename}: front matter {key!r} is over {max_length} characters")
        fields[model_field] = value
    if not fields.get("title"):
        problems.append(f"{filename}: the front matter needs a title")
    kind = fields.get("source_kind") or Lesson.SourceKind.OTHER.value
    if kind not in Lesson.SourceKind.values:
        problems.append(
            f"{filename}: unknown kind {kind!r} (use {', '.join(Lesson.SourceKind.values)})"
        )
    fields["source_kind"] = kind
    if fields.get("source_url"):
        try:
            URLValidator(schemes=["http", "https"])(fields["source_url"])
        except ValidationError:
            problems.append(f"{filename}: the url is not a web address")
    return fields, problems


def read_seed_lesson(md_path: Path, toml_path: Path) -> SeedLesson:
    """One lesson's files as plain data; raises SeedError listing every problem found."""
    key = md_path.stem
    md_name, toml_name = md_path.name, toml_path.name
    if not SLUG_RE.match(key) or len(key) > 100:
        raise SeedError([f"{md_name}: the file name must be a slug (a-z, 0-9 and dashes)"])
    front, passages = parse_lesson_text(md_path.read_text(encoding="utf-8"), filename=md_name)
    fields, problems = _lesson_fields(front, filename=md_name)
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SeedError([*problems, f"{toml_name}: not valid TOML ({error})"]) from None

    reader = _TomlReader(toml_name, passages)
    for extra in sorted(set(data) - {"topics", "annotations", "questions"}):
        reader.problem(f"unknown table {extra!r} (use topics, annotations, questions)")
    topics = [
        topic
        for number, item in enumerate(reader.tables(data, "topics"), 1)
        if (topic := reader.topic(number, item))
    ]
    annotations = [
        annotation
        for number, item in enumerate(reader.tables(data, "annotations"), 1)
        if (annotation := reader.annotation(number, item))
    ]
    questions = [
        question
        for number, item in enumerate(reader.tables(data, "questions"), 1)
        if (question := reader.question(number, item))
    ]
    problems += reader.problems
    if problems:
        raise SeedError(problems)
    return SeedLesson(
        key=key,
        lesson_fields=fields,
        passages=passages,
        annotations=annotations,
        questions=questions,
        topics=topics,
    )


class _TomlReader:
    """Checks the tables of one NAME.toml, collecting problems instead of stopping at one."""

    def __init__(self, filename: str, passages: list[SeedPassage]):
        self.filename = filename
        self.passages = passages
        self.problems: list[str] = []

    def problem(self, message: str, item: str = "") -> None:
        where = f"{self.filename}, {item}" if item else self.filename
        self.problems.append(f"{where}: {message}")

    def tables(self, data: dict, name: str) -> list[dict]:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            self.problem(f"{name} must be written as [[{name}]] tables")
            return []
        return items

    def text(
        self, item: dict, key: str, where: str, *, required: bool = True, prose: bool = False
    ) -> str:
        value = item.get(key, "")
        if not isinstance(value, str):
            self.problem(f"{key} must be a string", where)
            return ""
        value = unwrap_prose(value) if prose else value.strip()
        if required and not value:
            self.problem(f"{key} is missing", where)
        return value

    def integer(self, item: dict, key: str, where: str, default: int | None = None) -> int:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{key} must be a whole number", where)
            return 0
        return value

    def unknown_keys(self, item: dict, allowed: set[str], where: str) -> None:
        for key in sorted(set(item) - allowed):
            self.problem(f"unknown field {key!r}", where)

    def passage_index(self, reference, where: str) -> int | None:
        """A passage named by its heading or its 1-based number."""
        if isinstance(reference, bool) or not isinstance(reference, int | str):
            self.problem("passage must be a heading or a number", where)
            return None
        if isinstance(reference, int):
            if 1 <= reference <= len(self.passages):
                return reference - 1
            self.problem(f"there is no passage {reference}", where)
            return None
        matches = [i for i, p in enumerate(self.passages) if p.heading == reference.strip()]
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.problem(f"several passages are headed “{reference}”: use its number", where)
        else:
            self.problem(f"no passage is headed “{reference}”", where)
        return None

    def topic(self, number: int, item: dict) -> SeedTopic | None:
        where = f"topic {number}"
        self.unknown_keys(item, TOPIC_KEYS, where)
        slug = self.text(item, "slug", where)
        name = self.text(item, "name", where)
        description = self.text(item, "description", where, required=False, prose=True)
        if slug and (not SLUG_RE.match(slug) or len(slug) > 120):
            self.problem(f"slug {slug!r} must be lower case words joined by dashes", where)
            return None
        if len(name) > 120:
            self.problem("name is over 120 characters", where)
            return None
        if not (slug and name):
            return None
        return SeedTopic(slug, name, description, defined_in=self.filename)

    def annotation(self, number: int, item: dict) -> SeedAnnotation | None:
        quote = item.get("quote")
        where = f"annotation {number}"
        if isinstance(quote, str) and quote:
            where += f" (“{quote[:40]}”)"
        self.unknown_keys(item, ANNOTATION_KEYS, where)
        kind = self.text(item, "kind", where)
        note = self.text(item, "note", where, prose=True)
        topic = self.text(item, "topic", where, required=False)
        if kind and kind not in Annotation.Kind.values:
            self.problem(f"unknown kind {kind!r} (use {', '.join(Annotation.Kind.values)})", where)
        if topic and kind != Annotation.Kind.CLAIM:
            self.problem("only a claim can be about a topic", where)
        if not isinstance(quote, str) or not quote:
            self.problem("quote is missing", where)
            return None
        index = self.passage_index(item.get("passage"), where)
        if index is None:
            return None
        passage_text = self.passages[index].text
        starts = _occurrences(passage_text, quote)
        occurrence = item.get("occurrence")
        passage_name = self.passages[index].heading or f"passage {index + 1}"
        if not starts:
            self.problem(f"quote not found in the passage “{passage_name}”", where)
            return None
        if occurrence is None:
            if len(starts) > 1:
                self.problem(
                    f"the quote occurs {len(starts)} times in “{passage_name}”: "
                    "say which with occurrence = N",
                    where,
                )
                return None
            occurrence = 1
        if isinstance(occurrence, bool) or not isinstance(occurrence, int):
            self.problem("occurrence must be a whole number", where)
            return None
        if not 1 <= occurrence <= len(starts):
            self.problem(
                f"occurrence {occurrence} asked for, but the quote occurs {len(starts)} "
                f"time(s) in “{passage_name}”",
                where,
            )
            return None
        if not (kind and note) or kind not in Annotation.Kind.values:
            return None
        start = starts[occurrence - 1]
        return SeedAnnotation(index, start, start + len(quote), kind, note, topic)

    def question(self, number: int, item: dict) -> SeedQuestion | None:
        key = item.get("key")
        where = f"question {number}" + (f" ({key})" if isinstance(key, str) and key else "")
        problems_before = len(self.problems)
        self.unknown_keys(item, QUESTION_KEYS, where)
        key = self.text(item, "key", where)
        if key and (not SLUG_RE.match(key) or len(key) > 120):
            self.problem("key must be lower case words joined by dashes", where)
        prompt = self.text(item, "prompt", where, prose=True)
        max_marks = self.integer(item, "max_marks", where)
        answer_type = self.text(item, "answer_type", where, required=False) or "extended"
        if answer_type not in Question.AnswerType.values:
            self.problem('answer_type must be "short" or "extended"', where)
        scheme = self.text(item, "scheme", where)
        marks_per_point = self.integer(item, "marks_per_point", where, default=1)
        guidance = self.text(item, "guidance", where, required=False, prose=True)
        topic = self.text(item, "topic", where, required=False)
        passage_refs = item.get("passages", [])
        if not isinstance(passage_refs, list):
            self.problem("passages must be a list", where)
            passage_refs = []
        passage_indexes = tuple(
            index for ref in passage_refs if (index := self.passage_index(ref, where)) is not None
        )
        points = tuple(
            point
            for n, sub in enumerate(self.tables(item, "points"), 1)
            if (point := self._point(sub, f"{where}, point {n}"))
        )
        levels = tuple(
            level
            for n, sub in enumerate(self.tables(item, "levels"), 1)
            if (level := self._level(sub, f"{where}, level {n}"))
        )
        exemplars = tuple(
            exemplar
            for n, sub in enumerate(self.tables(item, "exemplars"), 1)
            if (exemplar := self._exemplar(sub, f"{where}, exemplar {n}"))
        )
        if len(self.problems) > problems_before:
            return None
        for problem in mark_scheme_problems(
            max_marks=max_marks,
            scheme=scheme,
            marks_per_point=marks_per_point,
            points=points,
            levels=levels,
            exemplars=exemplars,
        ):
            self.problem(f"bad mark scheme: {problem}", where)
        if len(self.problems) > problems_before:
            return None
        return SeedQuestion(
            key=key,
            prompt=prompt,
            max_marks=max_marks,
            answer_type=answer_type,
            scheme=scheme,
            marks_per_point=marks_per_point,
            guidance=guidance,
            passage_indexes=passage_indexes,
            topic=topic,
            points=points,
            levels=levels,
            exemplars=exemplars,
        )

    def _point(self, item: dict, where: str) -> SeedPoint | None:
        self.unknown_keys(item, POINT_KEYS, where)
        alternatives = item.get("alternatives", [])
        if not isinstance(alternatives, list) or not all(
            isinstance(a, str) and a.strip() and "\n" not in a for a in alternatives
        ):
            self.problem("alternatives must be a list of one-line strings", where)
            alternatives = []
        return SeedPoint(
            text=self.text(item, "text", where, prose=True),
            marks=self.integer(item, "marks", where, default=1),
            alternatives=tuple(a.strip() for a in alternatives),
        )

    def _level(self, item: dict, where: str) -> SeedLevel | None:
        self.unknown_keys(item, LEVEL_KEYS, where)
        marks = item.get("marks")
        if not (
            isinstance(marks, list)
            and len(marks) == 2
            and all(isinstance(m, int) and not isinstance(m, bool) and m >= 0 for m in marks)
        ):
            self.problem("marks must be a range like [3, 4]", where)
            return None
        return SeedLevel(
            number=self.integer(item, "level", where),
            min_marks=marks[0],
            max_marks=marks[1],
            descriptor=self.text(item, "descriptor", where, prose=True),
        )

    def _exemplar(self, item: dict, where: str) -> SeedExemplar | None:
        self.unknown_keys(item, EXEMPLAR_KEYS, where)
        level = item.get("level")
        if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
            self.problem("level must be a level's number", where)
            level = None
        mark = self.integer(item, "mark", where)
        if mark < 0:
            self.problem("mark cannot be negative", where)
        return SeedExemplar(
            level=level,
            mark=mark,
            text=self.text(item, "text", where, prose=True),
            commentary=self.text(item, "commentary", where, required=False, prose=True),
        )


def unwrap_prose(value: str) -> str:
    """Text wrapped for a readable diff, as stored: blank lines separate paragraphs, a line
    starting with "• " is a list item, and any other line break is only a wrap (a space)."""
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", value.strip()):
        lines = []
        for line in block.split("\n"):
            line = line.strip()
            if line and lines and not line.startswith("• "):
                lines[-1] += " " + line
            elif line:
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _occurrences(text: str, quote: str) -> list[int]:
    starts, position = [], text.find(quote)
    while position != -1:
        starts.append(position)
        position = text.find(quote, position + 1)
    return starts


def read_seed_directory(
    directory: Path,
) -> tuple[list[SeedLesson], dict[str, list[str]], list[SeedTopic]]:
    """Every lesson pair in the folder, checked together (topics and question keys are shared).

    Returns the lessons that can be loaded, by seed key the problems of those that cannot,
    and the topics defined. Topics belong to no lesson, so a topic defined in a file with
    other problems still counts; an .md file without a .toml file (like FORMAT.md) is not a
    lesson.
    """
    directory = Path(directory)
    errors: dict[str, list[str]] = {}
    topics, topic_problems = _read_topics(sorted(directory.glob("*.toml")))
    for key, problems in topic_problems.items():
        errors.setdefault(key, []).extend(problems)
    lessons: list[SeedLesson] = []
    for toml_path in sorted(directory.glob("*.toml")):
        if not toml_path.with_suffix(".md").exists():
            errors.setdefault(toml_path.stem, []).append(
                f"{toml_path.name}: there is no {toml_path.stem}.md"
            )
    for md_path in sorted(directory.glob("*.md")):
        toml_path = md_path.with_suffix(".toml")
        if not toml_path.exists():
            continue
        try:
            lessons.append(read_seed_lesson(md_path, toml_path))
        except SeedError as error:
            errors.setdefault(md_path.stem, []).extend(
                problem for problem in error.problems if problem not in errors.get(md_path.stem, [])
            )

    question_keys: dict[str, str] = {}
    for lesson in lessons:
        problems = errors.setdefault(lesson.key, [])
        for question in lesson.questions:
            if question.key in question_keys:
                problems.append(
                    f"{lesson.key}.toml, question {question.key}: the key is already used in "
                    f"{question_keys[question.key]}.toml"
                )
            else:
                question_keys[question.key] = lesson.key
        for number, annotation in enumerate(lesson.annotations, 1):
            if annotation.topic and annotation.topic not in topics:
                problems.append(
                    f"{lesson.key}.toml, annotation {number}: unknown topic {annotation.topic!r}"
                )
        for question in lesson.questions:
            if question.topic and question.topic not in topics:
                problems.append(
                    f"{lesson.key}.toml, question {question.key}: unknown topic {question.topic!r}"
                )
    loadable = [lesson for lesson in lessons if not errors.get(lesson.key)]
    errors = {key: problems for key, problems in errors.items() if problems}
    return loadable, errors, list(topics.values())


def _read_topics(toml_paths: list[Path]) -> tuple[dict[str, SeedTopic], dict[str, list[str]]]:
    """The topics defined across the files; a file that is not valid TOML defines none."""
    topics: dict[str, SeedTopic] = {}
    problems: dict[str, list[str]] = {}
    for path in toml_paths:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue  # reported with the rest of the lesson's problems
        reader = _TomlReader(path.name, [])
        for number, item in enumerate(reader.tables(data, "topics"), 1):
            topic = reader.topic(number, item)
            if topic is None:
                continue
            if topic.slug in topics:
                reader.problem(
                    f"topic {topic.slug!r} is already defined in {topics[topic.slug].defined_in}",
                    f"topic {number}",
                )
            else:
                topics[topic.slug] = topic
        if reader.problems:
            problems[path.stem] = reader.problems
    return topics, problems


# --- Loading ------------------------------------------------------------------------------


@dataclass
class SeedLessonResult:
    key: str
    title: str = ""
    created: bool = False
    passages: int = 0
    passages_changed: int = 0
    passages_kept: int = 0
    annotations: int = 0
    questions: int = 0
    spans_detached: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if not self.loaded:
            return f"{self.key}: NOT loaded, {len(self.problems)} problem(s)"
        passages = f"{self.passages} passages"
        if not self.created:
            passages += f" ({self.passages_changed} changed)"
        line = (
            f"{self.key}: {'created' if self.created else 'updated'} “{self.title}”: "
            f"{passages}, {self.annotations} annotations, {self.questions} questions"
        )
        if self.spans_detached:
            line += f"; {self.spans_detached} teacher or student span(s) detached"
        if self.passages_kept:
            line += (
                f"; {self.passages_kept} passage(s) no longer in the file kept because "
                "work points at them"
            )
        return line


@dataclass
class SeedLoadSummary:
    lessons: list[SeedLessonResult]
    topics: int

    @property
    def problems(self) -> list[str]:
        return [problem for result in self.lessons for problem in result.problems]


def load_seed_lessons(*, directory: Path) -> SeedLoadSummary:
    """Create or update every seed lesson in the folder, one transaction per lesson.

    A lesson with any problem is reported and left exactly as it was; the others load.
    """
    lessons, errors, topics = read_seed_directory(Path(directory))
    results = [SeedLessonResult(key=key, problems=problems) for key, problems in errors.items()]
    topic_ids, topic_problems = _upsert_topics(topics)
    for lesson in lessons:
        problems = [
            problem
            for annotation_topic in {a.topic for a in lesson.annotations if a.topic}
            | {q.topic for q in lesson.questions if q.topic}
            if (problem := topic_problems.get(annotation_topic))
        ]
        if problems:
            results.append(SeedLessonResult(key=lesson.key, problems=problems))
            continue
        try:
            results.append(_load_one(lesson, topic_ids))
        except SeedError as error:
            results.append(SeedLessonResult(key=lesson.key, problems=error.problems))
    results.sort(key=lambda result: result.key)
    return SeedLoadSummary(lessons=results, topics=len(topic_ids))


def _upsert_topics(topics: list[SeedTopic]) -> tuple[dict[str, int], dict[str, str]]:
    ids, problems = {}, {}
    with transaction.atomic():
        for topic in topics:
            clash = Topic.objects.filter(name=topic.name).exclude(slug=topic.slug).first()
            if clash:
                problems[topic.slug] = (
                    f"{topic.defined_in}: topic {topic.slug!r} has the name “{topic.name}”, "
                    f"already used by the topic {clash.slug!r}"
                )
                continue
            saved, _ = Topic.objects.update_or_create(
                slug=topic.slug, defaults={"name": topic.name, "description": topic.description}
            )
            ids[topic.slug] = saved.id
    return ids, problems


@transaction.atomic
def _load_one(seed: SeedLesson, topic_ids: dict[str, int]) -> SeedLessonResult:
    result = SeedLessonResult(key=seed.key, title=seed.lesson_fields["title"])
    lesson = Lesson.objects.select_for_update().filter(seed_key=seed.key).first()
    if lesson is not None and lesson.owner_id is not None:
        raise SeedError(
            [f"{seed.key}: a lesson with this seed key belongs to a teacher; not touching it"]
        )
    if lesson is None:
        lesson = Lesson.objects.create(seed_key=seed.key, owner=None, **seed.lesson_fields)
        result.created = True
    else:
        for name, value in seed.lesson_fields.items():
            setattr(lesson, name, value)
        lesson.save()

    # Seed annotations are rewritten from the file; everything else on the lesson stays.
    Annotation.objects.filter(passage__lesson=lesson, author__isnull=True).delete()
    Question.linked_passages.through.objects.filter(
        question__lesson=lesson, question__task__isnull=True, question__seed_key__isnull=False
    ).delete()

    passages = _update_passages(lesson, seed.passages, result)

    Annotation.objects.bulk_create(
        Annotation(
            passage=passages[a.passage_index],
            kind=a.kind,
            note=a.note,
            topic_id=topic_ids[a.topic] if a.topic else None,
            author=None,
            **make_anchor(passages[a.passage_index].text, a.start, a.end).as_fields(),
        )
        for a in seed.annotations
    )
    result.annotations = len(seed.annotations)

    keys = [question.key for question in seed.questions]
    Question.objects.filter(lesson=lesson, task__isnull=True, seed_key__isnull=False).exclude(
        seed_key__in=keys
    ).delete()
    for order, question in enumerate(seed.questions):
        _upsert_question(question, lesson=lesson, order=order, passages=passages, topics=topic_ids)
    result.questions = len(seed.questions)
    result.passages = len(seed.passages)
    return result


def _update_passages(
    lesson: Lesson, seeds: list[SeedPassage], result: SeedLessonResult
) -> list[Passage]:
    """The lesson's passages, matched by position and edited in place (never recreated)."""
    existing = list(lesson.passages.order_by("order", "id"))
    passages = []
    for order, seed in enumerate(seeds):
        if order < len(existing):
            passage = existing[order]
            text_changed = passage.text != normalise_passage_text(seed.text)
            if (passage.heading, passage.kind, passage.order) != (seed.heading, seed.kind, order):
                if (passage.heading, passage.kind) != (seed.heading, seed.kind):
                    # A changed heading or kind makes open edit forms stale, as text does.
                    passage.version += 1
                passage.heading, passage.kind, passage.order = seed.heading, seed.kind, order
                passage.save(update_fields=["heading", "kind", "order", "version"])
                if not text_changed:
                    result.passages_changed += 1
            if text_changed:
                # Teachers' notes, students' evidence and key evidence follow the words.
                report = update_passage_text(passage=passage, text=seed.text)
                result.passages_changed += 1
                result.spans_detached += report.detached
        else:
            passage = Passage.objects.create(
                lesson=lesson, order=order, heading=seed.heading, kind=seed.kind, text=seed.text
            )
            result.passages_changed += 1
        passages.append(passage)

    next_order = len(seeds)
    for passage in existing[len(seeds) :]:
        if _work_points_at(passage):
            passage.order = next_order
            passage.save(update_fields=["order"])
            next_order += 1
            result.passages_kept += 1
        else:
            passage.delete()
            result.passages_changed += 1
    return passages


def _work_points_at(passage: Passage) -> bool:
    return (
        Annotation.objects.filter(passage=passage).exists()
        or EvidenceLink.objects.filter(passage=passage).exists()
        or KeyEvidence.objects.filter(passage=passage).exists()
        or passage.questions.exists()
    )


def _scheme_fingerprint(question: Question) -> tuple:
    return (
        question.max_marks,
        question.scheme_kind,
        question.marks_per_point,
        tuple(question.indicative_points.values_list("text", "marks", "alternatives")),
        tuple(question.levels.values_list("number", "min_marks", "max_marks", "descriptor")),
    )


def _upsert_question(
    seed: SeedQuestion,
    *,
    lesson: Lesson,
    order: int,
    passages: list[Passage],
    topics: dict[str, int],
) -> Question:
    question = Question.objects.filter(seed_key=seed.key).first()
    if question is not None and question.task_id is not None:
        raise SeedError([f"{lesson.seed_key}.toml, question {seed.key}: the key is used by a task"])
    before = _scheme_fingerprint(question) if question else None
    if question is None:
        question = Question(seed_key=seed.key)
    question.task = None
    question.owner = None
    question.lesson = lesson
    question.order = order
    question.prompt = seed.prompt
    question.max_marks = seed.max_marks
    question.answer_type = seed.answer_type
    question.scheme_kind = seed.scheme
    question.marks_per_point = seed.marks_per_point
    question.guidance = seed.guidance
    question.topic_id = topics[seed.topic] if seed.topic else None
    question.save()

    # A bank question has no answers (tasks hold copies), so its scheme can be rebuilt.
    question.indicative_points.all().delete()
    question.exemplars.all().delete()
    question.levels.all().delete()
    IndicativePoint.objects.bulk_create(
        IndicativePoint(
            question=question,
            order=n,
            text=p.text,
            marks=p.marks,
            alternatives="\n".join(p.alternatives),
        )
        for n, p in enumerate(seed.points)
    )
    levels = {
        level.number: Level.objects.create(
            question=question,
            number=level.number,
            min_marks=level.min_marks,
            max_marks=level.max_marks,
            descriptor=level.descriptor,
        )
        for level in seed.levels
    }
    Exemplar.objects.bulk_create(
        Exemplar(
            question=question,
            level=levels.get(e.level) if e.level is not None else None,
            order=n,
            text=e.text,
            mark=e.mark,
            commentary=e.commentary,
        )
        for n, e in enumerate(seed.exemplars)
    )
    question.linked_passages.set([passages[i] for i in seed.passage_indexes])
    if before is not None and before != _scheme_fingerprint(question):
        question.scheme_version += 1
        question.save(update_fields=["scheme_version"])
    return question
