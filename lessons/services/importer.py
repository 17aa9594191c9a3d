"""New lessons from pasted text or an uploaded .txt, .md or .docx file.

The text is cleaned of page furniture (lines like "Login" or "Cite this page", by rules a
teacher can read and change for each import), then split into proposed passages at headings
(Markdown headings, or short title-like lines) and paragraph groups. Nothing is saved here:
the teacher reviews the proposal first. Uploaded files are read in memory and not kept.
"""

import io
import math
import re
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError

from ..models import Lesson, Passage

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A lesson is read in one sitting; this is a long book chapter. It also keeps the review
# form (which carries the text) well inside Django's request size limit.
MAX_LESSON_CHARS = 200_000
UPLOAD_TYPES = {".txt": "text", ".md": "text", ".markdown": "text", ".docx": "docx"}

# Passages longer than this are split at paragraph breaks (a paragraph is never cut).
MAX_PASSAGE_CHARS = 1800
# Whole-line rules only ever remove short lines, so a rule cannot eat a real paragraph.
MAX_FURNITURE_LINE = 120
# A line that could be a heading: short, no sentence punctuation at the end.
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 14

DEFAULT_FURNITURE_RULES = """\
# Lines removed before the text is split into passages. One rule per line:
#   Login                       a line that says exactly this (any case) is removed
#   Cite this page*             lines starting with this ("*word" for ending with it)
#   Your details +2             this line and the 2 lines after it
#   Hire a tutor ...            this line and everything after it
#   Top Experts ... hire verified expert    from this line to the next line saying that
#   ... Source                  these words where they end a line (the rest is kept)
# Lines starting with # are comments.

# Site navigation and accounts
Login
Log in
Log out
Sign in
Sign up
Register
Menu
Home
Search
Skip to content
Skip to main content
Back to top
*logo

# Sharing, printing, downloading
Share
Share this
Share this article
Print
Print this page
Download
Download paper
Download PDF
Download this essay
Cite this page ...
Copy citation

# Advertising and promotion
Advertisement
Advertisements
Sponsored
Sponsored content
Related articles
Related posts
Read more
Continue reading
Subscribe
Subscribe to our newsletter*
Top Experts ... hire verified expert
Verified expert
hire verified expert
Are you on a short deadline?*
Let's chat?*
We're online 24/7*
Order now
Get help*
Hire a tutor ...
Please fill out the form*
Alternatively contact us via*
Your details

# Cookies and legal
Accept cookies
Accept all cookies
Cookie settings
Cookie policy
Privacy policy
Terms and conditions
Terms of use

# Image credits at the end of captions
... Source
"""

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _norm(line: str) -> str:
    """A line as rules compare it: any case, plain quotes, single spaces."""
    return " ".join(line.translate(_QUOTES).casefold().split())


@dataclass(frozen=True)
class Rule:
    pattern: str
    # line, count (this line and `count` more), to_end, until (to a line matching `until`),
    # or trailing (the words at the end of a line)
    action: str = "line"
    count: int = 0
    until: str = ""
    source: str = ""

    def matches(self, line: str, pattern: str | None = None) -> bool:
        pattern = self.pattern if pattern is None else pattern
        norm = _norm(line)
        if not norm or not pattern:
            return False
        if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 2:
            return pattern[1:-1] in norm
        if pattern.endswith("*"):
            return norm.startswith(pattern[:-1].rstrip())
        if pattern.startswith("*"):
            return norm.endswith(pattern[1:].lstrip())
        return norm == pattern


def parse_rules(text: str) -> list[Rule]:
    """Rules from the textarea: one a line; blank lines and # comments are skipped."""
    rules = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.replace("\u2026", "...")
        if line.startswith("..."):
            phrase = _norm(line[3:])
            if phrase:
                rules.append(Rule(pattern=phrase, action="trailing", source=line))
            continue
        if "..." in line:
            start, _, until = line.partition("...")
            if _norm(start):
                until = _norm(until)
                action = "until" if until else "to_end"
                rules.append(Rule(pattern=_norm(start), action=action, until=until, source=line))
            continue
        counted = re.fullmatch(r"(.+?)\s+\+(\d{1,3})", line)
        if counted:
            rules.append(
                Rule(
                    pattern=_norm(counted[1]),
                    action="count",
                    count=int(counted[2]),
                    source=line,
                )
            )
            continue
        rules.append(Rule(pattern=_norm(line), source=line))
    return rules


def _strip_trailing(line: str, phrase: str) -> str | None:
    """line without phrase at its end (after a space), or None if it does not end so."""
    words = line.rstrip()
    norm_words = words.translate(_QUOTES).casefold()
    if not norm_words.endswith(phrase):
        return None
    cut = len(words) - len(phrase)
    if cut > 0 and not words[cut - 1].isspace():
        return None
    return words[:cut].rstrip()


def remove_furniture(text: str, rules: list[Rule]) -> tuple[str, list[str]]:
    """The text without the lines the rules match, and the lines that were removed."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    removed: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        short = 0 < len(line.strip()) <= MAX_FURNITURE_LINE
        for rule in rules:
            if rule.action == "trailing":
                stripped = _strip_trailing(line, rule.pattern)
                if stripped is not None:
                    removed.append(f"{rule.source[3:].strip()} (at the end of a line)")
                    lines[i] = line = stripped
                    if not stripped.strip():
                        keep[i] = False
                continue
            if not short or not keep[i] or not rule.matches(line):
                continue
            last = i
            if rule.action == "to_end":
                last = len(lines) - 1
            elif rule.action == "count":
                seen = 0
                while seen < rule.count and last + 1 < len(lines):
                    last += 1
                    seen += bool(lines[last].strip())
            elif rule.action == "until":
                for j in range(i + 1, len(lines)):
                    if rule.matches(lines[j], rule.until):
                        last = j
                        break
            for j in range(i, last + 1):
                if keep[j] and lines[j].strip():
                    removed.append(lines[j].strip())
                keep[j] = False
            break
        i += 1
    kept = "\n".join(line for line, k in zip(lines, keep, strict=True) if k)
    return kept, removed


# Splitting ------------------------------------------------------------------------------


@dataclass
class ProposedPassage:
    heading: str = ""
    text: str = ""
    kind: str = Passage.Kind.TEXT


@dataclass
class Proposal:
    """What the review step starts from."""

    passages: list[ProposedPassage]
    removed: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


@dataclass
class _Block:
    text: str
    heading: bool = False
    kind: str = Passage.Kind.TEXT
    is_break: bool = False
    bullet: bool = False


_BULLET_RE = re.compile(r"^\s*(?:[•·▪◦‣*]|-(?!-))\s+")
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_KIND_MARKER_RE = re.compile(r"\s*\{\.(caption|references)\}\s*$")
_BREAK_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_FOOTNOTE_RE = re.compile(r"^\[\d{1,3}\]\s+\S")
_CITATION_RE = re.compile(
    r"^[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+)*, (?:[A-Z]\.\s?){1,3}.{0,200}?\(\d{4}[a-z]?\)"
)
_REFERENCE_HEADINGS = {"references", "bibliography", "notes", "footnotes", "sources", "works cited"}
_CAPTION_RE = re.compile(
    r"^(?:(?:figure|fig\.|image|photo|illustration|plate)\s*\d*\s*[:.]"
    r"|an? (?:[\w’'-]+ ){0,3}(?:photograph|photo|poster|image|picture|painting|cartoon|map"
    r"|illustration|drawing)\b)",
    re.IGNORECASE,
)
# Footnotes are references too, but a run of them is kept apart from a reference list.
_NOTES = "notes"
_AUTHOR_RE = re.compile(r"^(?:written by|author|by)\s*:\s*(.+)$|^written by\s+(.+)$", re.I)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    if _BULLET_RE.match(line) or _FOOTNOTE_RE.match(line) or " | " in line:
        return False
    end = line.rstrip("’”'\")]")
    if not end or end[-1] in ".,;:!":
        return False
    first = line.lstrip("‘“'\"(")[:1]
    return bool(first) and (first.isupper() or first.isdigit()) and any(c.isalpha() for c in line)


def _is_hard_wrapped(lines: list[str]) -> bool:
    """Consecutive lines of one paragraph, wrapped at a fixed width (Markdown, e-mails)."""
    if len(lines) < 2 or any(_BULLET_RE.match(line) for line in lines):
        return False
    return all(len(line) >= 40 for line in lines[:-1])


def _blocks(text: str) -> list[_Block]:
    lines = text.split("\n")
    blank_separated = sum(1 for line in lines if not line.strip()) >= 2
    groups: list[list[str]] = []
    if blank_separated:
        current: list[str] = []
        for line in lines:
            if line.strip():
                current.append(line.strip())
            elif current:
                groups.append(current)
                current = []
        if current:
            groups.append(current)
    else:
        groups = [[line.strip()] for line in lines if line.strip()]

    blocks: list[_Block] = []
    for group in groups:
        # Markdown headings and breaks stand on their own line even inside a group.
        pending: list[str] = []

        def flush(pending: list[str] = pending) -> None:
            if not pending:
                return
            if _is_hard_wrapped(pending):
                blocks.append(_Block(" ".join(pending)))
            elif all(_BULLET_RE.match(line) for line in pending):
                for line in pending:
                    blocks.append(_Block(_BULLET_RE.sub("• ", line), bullet=True))
            else:
                blocks.append(_Block("\n".join(pending)))
            pending.clear()

        for line in group:
            heading = _MD_HEADING_RE.match(line)
            if heading or _BREAK_RE.match(line):
                flush()
                if heading:
                    title = heading[2]
                    kind = Passage.Kind.TEXT
                    marker = _KIND_MARKER_RE.search(title)
                    if marker:
                        kind = marker[1]
                        title = title[: marker.start()]
                    blocks.append(_Block(title.strip(), heading=True, kind=kind))
                else:
                    blocks.append(_Block("", is_break=True))
            else:
                pending.append(line)
        flush()

    # Short title-like paragraphs are headings when something follows them.
    for i, block in enumerate(blocks):
        if (
            not block.heading
            and not block.is_break
            and "\n" not in block.text
            and i + 1 < len(blocks)
            and _looks_like_heading(block.text)
        ):
            block.heading = True
        if _BULLET_RE.match(block.text) and not block.heading:
            block.bullet = True
            block.text = _BULLET_RE.sub("• ", block.text, count=1)
    return blocks


def _paragraph_kind(text: str) -> str:
    if _FOOTNOTE_RE.match(text):
        return _NOTES
    if _CITATION_RE.match(text):
        return Passage.Kind.REFERENCES
    if _CAPTION_RE.match(text):
        return Passage.Kind.CAPTION
    return Passage.Kind.TEXT


def _join(paragraphs: list[_Block]) -> str:
    out = ""
    for i, paragraph in enumerate(paragraphs):
        if i:
            tight = paragraph.bullet and paragraphs[i - 1].bullet
            out += "\n" if tight else "\n\n"
        out += paragraph.text
    return out


def _balanced(sizes: list[int], count: int) -> list[int]:
    """Where to cut sizes into `count` consecutive groups so the largest is smallest."""
    n = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    # best[k][i]: the smallest largest group cutting the first i sizes into k groups.
    best = [[math.inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for k in range(1, count + 1):
        for i in range(1, n + 1):
            for j in range(k - 1, i):
                cost = max(best[k - 1][j], prefix[i] - prefix[j])
                if cost < best[k][i]:
                    best[k][i], cut[k][i] = cost, j
    cuts, i = [], n
    for k in range(count, 0, -1):
        cuts.append(i)
        i = cut[k][i]
    return sorted(cuts)


def _chunks(paragraphs: list[_Block]) -> list[list[_Block]]:
    """Paragraphs in groups of a sensible length, as even as whole paragraphs allow."""
    # A list stays with the line introducing it.
    units: list[list[_Block]] = []
    for paragraph in paragraphs:
        if paragraph.bullet and units:
            units[-1].append(paragraph)
        else:
            units.append([paragraph])
    sizes = [sum(len(p.text) + 2 for p in unit) for unit in units]
    count = math.ceil(sum(sizes) / MAX_PASSAGE_CHARS)
    if count <= 1 or len(units) == 1:
        return [paragraphs]
    while True:
        count = min(count, len(units))
        ends = _balanced(sizes, count)
        starts = [0, *ends[:-1]]
        groups = [(a, b) for a, b in zip(starts, ends, strict=True)]
        too_long = any(sum(sizes[a:b]) > MAX_PASSAGE_CHARS and b - a > 1 for a, b in groups)
        if not too_long or count == len(units):
            return [[p for unit in units[a:b] for p in unit] for a, b in groups]
        count += 1


def _section_passages(heading: str, paragraphs: list[_Block], kind: str) -> list[ProposedPassage]:
    """One section (a heading and what follows it) as passages: body text in chunks of a
    sensible length, with captions and runs of references or footnotes on their own."""
    if heading.strip().casefold() in _REFERENCE_HEADINGS:
        kind = Passage.Kind.REFERENCES
    runs: list[tuple[str, list[_Block]]] = []
    for paragraph in paragraphs:
        paragraph_kind = kind if kind != Passage.Kind.TEXT else _paragraph_kind(paragraph.text)
        if runs and runs[-1][0] == paragraph_kind and paragraph_kind != Passage.Kind.CAPTION:
            runs[-1][1].append(paragraph)
        else:
            runs.append((paragraph_kind, [paragraph]))
    # A lone "reference" inside body text is more likely a sentence that looks like one.
    merged: list[tuple[str, list[_Block]]] = []
    for run_kind, run in runs:
        is_reference = run_kind in (Passage.Kind.REFERENCES, _NOTES)
        if is_reference and len(run) == 1 and kind == Passage.Kind.TEXT:
            run_kind = Passage.Kind.TEXT
        if merged and merged[-1][0] == run_kind == Passage.Kind.TEXT:
            merged[-1][1].extend(run)
        else:
            merged.append((run_kind, run))

    passages = []
    for run_kind, run in merged:
        run_heading = ""
        if not passages:
            run_heading = heading
        if run_kind == _NOTES:
            run_heading = run_heading or "Notes"
            run_kind = Passage.Kind.REFERENCES
        elif run_kind == Passage.Kind.REFERENCES:
            run_heading = run_heading or "References"
        for index, chunk in enumerate(_chunks(run)):
            passages.append(
                ProposedPassage(
                    heading=run_heading if index == 0 else "", text=_join(chunk), kind=run_kind
                )
            )
    return passages


def _split(blocks: list[_Block]) -> list[ProposedPassage]:
    passages: list[ProposedPassage] = []
    headings: list[str] = []
    kind = Passage.Kind.TEXT
    paragraphs: list[_Block] = []

    def close_section() -> None:
        if paragraphs:
            heading = " — ".join(headings)[: Passage._meta.get_field("heading").max_length]
            passages.extend(_section_passages(heading, list(paragraphs), kind))
            paragraphs.clear()
            headings.clear()

    for block in blocks:
        if block.is_break:
            close_section()
            headings.clear()
            kind = Passage.Kind.TEXT
        elif block.heading:
            if paragraphs:
                close_section()
                kind = Passage.Kind.TEXT
            headings.append(block.text)
            if block.kind != Passage.Kind.TEXT:
                kind = block.kind
        else:
            paragraphs.append(block)
    close_section()
    return passages


def propose_passages(text: str, rules: list[Rule] | str) -> list[ProposedPassage]:
    """The text, cleaned of page furniture by the rules, split into proposed passages."""
    return propose_lesson(text, rules).passages


def _front_matter(text: str) -> tuple[dict, str]:
    """TOML front matter between two +++ lines (the project's own lesson format)."""
    match = re.match(r"\A\+\+\+\n(.*?)\n\+\+\+\n", text, re.S)
    if not match:
        return {}, text
    try:
        data = tomllib.loads(match[1])
    except tomllib.TOMLDecodeError:
        return {}, text
    kinds = set(Lesson.SourceKind.values)
    metadata = {
        "title": str(data.get("title", "")),
        "summary": str(data.get("summary", "")),
        "author": str(data.get("author", "")),
        "publisher": str(data.get("publisher", "")),
        "source_url": str(data.get("url", "")),
        "source_date": str(data.get("date", "")),
        "attribution_note": str(data.get("attribution_note", "")),
    }
    if data.get("kind") in kinds:
        metadata["source_kind"] = data["kind"]
    return {k: v for k, v in metadata.items() if v}, text[match.end() :]


def propose_lesson(text: str, rules: list[Rule] | str) -> Proposal:
    """Passages, the lines removed, and what could be guessed of the lesson's details: the
    title from a first line that looks like one, the author from a "Written by:" line."""
    if isinstance(rules, str):
        rules = parse_rules(rules)
    metadata, text = _front_matter(_clean(text))
    text, removed = remove_furniture(text, rules)

    lines = text.split("\n")
    for i, line in enumerate(lines[:15]):
        author = _AUTHOR_RE.match(line.strip())
        if author and len(line.strip()) <= 80 and "author" not in metadata:
            metadata["author"] = (author[1] or author[2]).strip()
            removed.append(f"{line.strip()} (used as the author)")
            del lines[i]
            break
    blocks = _blocks("\n".join(lines))

    if "title" not in metadata:
        # Headings before any text are the title (and maybe a series name above it):
        # the longest is taken as the title.
        leading = []
        for block in blocks:
            if block.is_break or not block.heading:
                break
            leading.append(block)
        if leading:
            title = max(leading, key=lambda block: len(block.text))
            metadata["title"] = title.text[: Lesson._meta.get_field("title").max_length]
            for block in leading:
                blocks.remove(block)
                if block is not title:
                    removed.append(f"{block.text} (a heading above the title)")
    return Proposal(passages=_split(blocks), removed=removed, metadata=metadata)


# Reading uploads ------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ValidationError(
        f"“{name}” does not look like a plain text file. Save it as UTF-8 text, "
        "or paste the text instead.",
        code="unreadable",
    )


def _docx_text(data: bytes, name: str) -> str:
    """The document's paragraphs as plain text, Word headings as Markdown headings."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ValidationError(
            f"“{name}” could not be read as a Word document (.docx). Save it again from "
            "Word or LibreOffice as .docx, or paste the text instead.",
            code="unreadable",
        ) from error

    paragraphs: list[str] = []

    def add(paragraph) -> None:
        text = paragraph.text.strip()
        if not text:
            return
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = re.fullmatch(r"Heading (\d)", style)
        if style == "Title":
            paragraphs.append(f"# {text}")
        elif heading:
            paragraphs.append(f"{'#' * min(int(heading[1]) + 1, 6)} {text}")
        elif style.startswith("List"):
            paragraphs.append(f"• {text}")
        else:
            paragraphs.append(text)

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    paragraphs.append(" | ".join(cells))
        else:
            add(item)
    return "\n\n".join(paragraphs)


def read_upload(uploaded_file) -> str:
    """The text of an uploaded .txt, .md or .docx file, read in memory (nothing is kept).

    Raises ValidationError with a message for the teacher: wrong type, too large,
    unreadable.
    """
    name = PurePath(uploaded_file.name or "the file").name
    kind = UPLOAD_TYPES.get(PurePath(name).suffix.lower())
    if kind is None:
        raise ValidationError(
            f"“{name}” is not a file this importer reads. Upload a .txt, .md or .docx file "
            "(in Word: File › Save as › Word Document), or paste the text.",
            code="file_type",
        )
    size = uploaded_file.size or 0
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"“{name}” is {size / 1024 / 1024:.1f} MB; files can be at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB.",
            code="too_large",
        )
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"“{name}” is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB.", code="too_large"
        )
    text = _docx_text(data, name) if kind == "docx" else _decode(data, name)
    if not text.strip():
        raise ValidationError(f"“{name}” has no text in it.", code="empty")
    return text


def check_length(text: str) -> None:
    if len(text) > MAX_LESSON_CHARS:
        raise ValidationError(
            f"That text is {len(text):,} characters long; a lesson can hold at most "
            f"{MAX_LESSON_CHARS:,}. Split it into several lessons.",
            code="too_long",
        )
