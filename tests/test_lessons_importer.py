"""The importer: reading uploads, removing page furniture, proposing passages."""

import io
from pathlib import Path

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from lessons.models import Passage
from lessons.services.importer import (
    DEFAULT_FURNITURE_RULES,
    MAX_PASSAGE_CHARS,
    MAX_UPLOAD_BYTES,
    parse_rules,
    propose_lesson,
    propose_passages,
    read_upload,
    remove_furniture,
)

RAW = Path(__file__).resolve().parent.parent / "seeds" / "raw"
RAW_FILES = sorted(RAW.glob("*.txt"))

# Page furniture in the raw seed documents (seeds/raw/README.md): none of it may survive.
FURNITURE = [
    "Download paper",
    "Top Experts",
    "Doctor Jennifer",
    "Verified expert",
    "hire verified expert",
    "5 (893)",
    "Cite this page",
    "Retrieved from",
    "Short Deadline",
    "Let’s chat",
    "online 24/7",
    "TutorChase logo",
    "Login",
    "Hire a tutor",
    "fill out the form",
    "Your details",
    "Alternatively contact us",
    "WhatsApp",
    "Written By",
]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def all_text(passages) -> str:
    return "\n\n".join(f"{p.heading}\n{p.text}" for p in passages)


def test_there_are_five_raw_seed_documents():
    assert len(RAW_FILES) == 5


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.stem[:3])
def test_no_page_furniture_is_left_in_a_raw_seed_document(path):
    passages = propose_passages(read(path), DEFAULT_FURNITURE_RULES)
    text = all_text(passages)
    for furniture in FURNITURE:
        assert furniture not in text, furniture
    for passage in passages:
        for line in passage.text.split("\n"):
            assert not line.rstrip().endswith(" Source"), line


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.stem[:3])
def test_a_raw_seed_document_splits_into_a_sensible_number_of_passages(path):
    passages = propose_passages(read(path), DEFAULT_FURNITURE_RULES)
    assert 8 <= len(passages) <= 25
    for passage in passages:
        assert passage.text.strip()
        # Never cut inside a paragraph, so a passage only exceeds the limit by one paragraph.
        longest_paragraph = max(len(p) for p in passage.text.split("\n\n"))
        assert len(passage.text) <= max(MAX_PASSAGE_CHARS * 1.3, longest_paragraph)
        assert len(passage.heading) <= 300


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.stem[:3])
def test_every_paragraph_of_body_text_is_kept(path):
    passages = propose_passages(read(path), DEFAULT_FURNITURE_RULES)
    text = all_text(passages)
    for line in read(path).split("\n"):
        line = line.replace("\u00a0", " ").strip()
        if len(line) > 120:
            line = line.removesuffix(" Source")
            assert line in text, line[:80]


def test_the_essay_takes_its_title_and_author_from_the_text():
    proposal = propose_lesson(read(RAW / "000_07e0603d7f093b63.txt"), DEFAULT_FURNITURE_RULES)
    assert proposal.metadata["title"] == (
        "The Great Leap Sideways – Chinese Industrialization Under Mao Zedong"
    )
    assert proposal.metadata["author"] == "Finn O’Connor"
    headings = [p.heading for p in proposal.passages if p.heading]
    assert headings[:2] == ["Industrialization Defined", "Mao’s Agricultural Policies"]
    # The poster's caption is recognised; the other caption reads like body text and is
    # left for the teacher to mark as a caption in the review.
    captions = [p for p in proposal.passages if p.kind == Passage.Kind.CAPTION]
    assert [c.text[:32] for c in captions] == ["A 1953 Chinese propaganda poster"]


def test_the_essay_sample_page_loses_its_advert_blocks_and_says_what_went():
    proposal = propose_lesson(read(RAW / "001_9fb3c92408195063.txt"), DEFAULT_FURNITURE_RULES)
    assert proposal.metadata["title"] == "The Great Leap Forward"
    assert "Download paper" in proposal.removed
    assert "Prof Evander" in proposal.removed
    assert proposal.passages[-1].text.endswith("was terminated.")


def test_study_notes_without_blank_lines_split_at_their_short_headings():
    passages = propose_passages(read(RAW / "002_097b4deb62806520.txt"), DEFAULT_FURNITURE_RULES)
    headings = [p.heading for p in passages]
    assert "Industrial Growth Targets" in headings
    assert "Resistance and Famine" in headings
    assert "FAQ" in headings
    # A heading directly above another is kept with it, not lost.
    assert "Agricultural Collectivisation — Voluntary Collectivisation (1951–1955)" in headings
    # Lines ending in a colon introduce lists; they are text, not headings.
    assert not any(h.endswith(":") for h in headings)


def test_a_reference_list_and_footnotes_become_references_passages():
    passages = propose_passages(read(RAW / "003_3635d65d2661526f.txt"), DEFAULT_FURNITURE_RULES)
    references = [p for p in passages if p.kind == Passage.Kind.REFERENCES]
    assert [p.heading for p in references] == ["References", "Notes"]
    assert references[0].text.startswith("Bachman, D. (1991)")
    assert references[1].text.startswith("[1] Collectivization")
    assert "[5] According to Bachman" in references[1].text
    body = "\n".join(p.text for p in passages if p.kind == Passage.Kind.TEXT)
    assert "Naughton, B. (2007). The Chinese economy" not in body


def test_the_tutorchase_page_loses_its_contact_form_and_caption_credits():
    proposal = propose_lesson(read(RAW / "004_fd7a10ef0619c546.txt"), DEFAULT_FURNITURE_RULES)
    assert proposal.metadata["title"] == "54.2.5 The Great Leap Forward and Later Maoist Policy"
    captions = [p for p in proposal.passages if p.kind == Passage.Kind.CAPTION]
    assert len(captions) == 2
    assert captions[0].text.endswith("discussed in the text.")
    # Bullet lists are kept as "• " lines, one item a line.
    consequences = next(
        p for p in proposal.passages if p.heading == "Consequences of Communalisation"
    )
    assert "\n• Work points replaced wages" in consequences.text


# The rules --------------------------------------------------------------------------------


def cleaned(text: str, rules: str) -> str:
    return remove_furniture(text, parse_rules(rules))[0]


def test_a_plain_rule_removes_whole_lines_in_any_case_only():
    text = "LOGIN\nPlease login to see the essay.\nThe essay."
    assert cleaned(text, "Login") == "Please login to see the essay.\nThe essay."


def test_a_rule_ignores_curly_quotes_and_spacing():
    assert cleaned("Let’s   chat?\nText", "Let's chat?") == "Text"


def test_star_rules_match_the_start_or_the_end_of_a_line():
    text = "Cite this page as: X\nAcme logo\nText about a logo design competition today"
    assert cleaned(text, "Cite this page*\n*logo") == ("Text about a logo design competition today")


def test_a_counted_rule_removes_the_following_lines_too():
    text = "Your details\n\nName\nEmail\nKept"
    assert cleaned(text, "Your details +2") == "Kept"


def test_a_rule_with_dots_removes_to_the_end_or_to_a_closing_line():
    text = "Intro\nTop Experts\nDr A\n4.9 (12)\nhire verified expert\nBody\nHire a tutor\nForm"
    assert cleaned(text, "Top Experts ... hire verified expert\nHire a tutor ...") == (
        "Intro\nBody"
    )


def test_a_leading_dots_rule_removes_words_at_the_end_of_a_line():
    text = "A photograph of a furnace. Source\nSource material matters."
    assert cleaned(text, "... Source") == "A photograph of a furnace.\nSource material matters."


def test_rules_never_remove_a_long_paragraph():
    paragraph = "Login " + "words " * 40
    assert cleaned(paragraph, "Login*") == paragraph


def test_comments_and_blank_lines_in_rules_are_ignored():
    assert parse_rules("# a comment\n\n  \nLogin\n") == parse_rules("Login")


def test_a_teacher_can_keep_a_line_by_deleting_its_rule():
    text = "Download paper\nThe essay."
    assert "Download paper" not in cleaned(text, DEFAULT_FURNITURE_RULES)
    rules = DEFAULT_FURNITURE_RULES.replace("Download paper\n", "")
    assert cleaned(text, rules) == text


# Markdown and the project's own format ---------------------------------------------------


def test_markdown_headings_start_passages_and_hard_wrapped_lines_are_joined():
    text = (
        "# The communes\n\nIntro paragraph.\n\n## Organisation\n\n"
        "A paragraph that was wrapped at a fixed width\n"
        "by the editor, as Markdown files often are\n"
        "in practice.\n\n## Results\n\n- one\n- two\n"
    )
    proposal = propose_lesson(text, "")
    assert proposal.metadata["title"] == "The communes"
    assert [(p.heading, p.text) for p in proposal.passages] == [
        ("", "Intro paragraph."),
        (
            "Organisation",
            "A paragraph that was wrapped at a fixed width by the editor, as Markdown files "
            "often are in practice.",
        ),
        ("Results", "• one\n• two"),
    ]


def test_the_lesson_file_format_is_read_with_its_front_matter_and_kinds():
    text = (
        '+++\ntitle = "The Leap"\nauthor = "A. Writer"\nkind = "essay"\ndate = "1959"\n+++\n\n'
        "## First\n\nOne.\n\n---\n\nNo heading.\n\n## Figure 1 {.caption}\n\nA caption.\n"
    )
    proposal = propose_lesson(text, DEFAULT_FURNITURE_RULES)
    assert proposal.metadata == {
        "title": "The Leap",
        "author": "A. Writer",
        "source_kind": "essay",
        "source_date": "1959",
    }
    assert [(p.heading, p.text, p.kind) for p in proposal.passages] == [
        ("First", "One.", "text"),
        ("", "No heading.", "text"),
        ("Figure 1", "A caption.", "caption"),
    ]


def test_a_long_section_is_split_at_paragraph_breaks_into_even_passages():
    paragraph = "A sentence of about sixty characters, give or take a few. " * 6
    text = "A heading\n\n" + "\n\n".join([paragraph.strip()] * 12) + "\n"
    passages = propose_passages(text, "")
    assert len(passages) >= 3
    assert passages[0].heading == ""  # the first heading became the title
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)


# Uploads --------------------------------------------------------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("The Great Leap Forward", level=0)
    document.add_paragraph("An introduction to the campaign.")
    document.add_heading("The communes", level=1)
    document.add_paragraph("Communes merged cooperatives.")
    document.add_paragraph("Private plots were abolished", style="List Bullet")
    document.add_paragraph("Work points replaced wages", style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "1958"
    table.rows[0].cells[1].text = "26,000 communes"
    document.add_heading("Famine", level=2)
    document.add_paragraph("Tens of millions died between 1959 and 1961.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_docx_file_is_read_with_its_headings_lists_and_tables():
    text = read_upload(upload("leap.docx", make_docx()))
    assert text.startswith("# The Great Leap Forward\n\nAn introduction")
    assert "## The communes" in text
    assert "• Private plots were abolished" in text
    assert "1958 | 26,000 communes" in text
    proposal = propose_lesson(text, DEFAULT_FURNITURE_RULES)
    assert proposal.metadata["title"] == "The Great Leap Forward"
    assert [p.heading for p in proposal.passages] == ["", "The communes", "Famine"]
    assert proposal.passages[1].text == (
        "Communes merged cooperatives.\n\n• Private plots were abolished\n"
        "• Work points replaced wages\n\n1958 | 26,000 communes"
    )


def test_text_files_are_read_as_utf8_or_windows_1252():
    assert read_upload(upload("a.txt", "Mao’s “Leap”".encode())) == "Mao’s “Leap”"
    assert read_upload(upload("a.md", "\ufeffBOM".encode())) == "BOM"
    assert read_upload(upload("a.txt", "Mao’s £5".encode("cp1252"))) == "Mao’s £5"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("essay.pdf", b"%PDF-1.4", "Upload a .txt, .md or .docx file"),
        ("essay.doc", b"\xd0\xcf\x11\xe0", "Upload a .txt, .md or .docx file"),
        ("essay", b"text", "Upload a .txt, .md or .docx file"),
        ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "does not look like a plain text file"),
        ("broken.docx", b"not a zip file", "could not be read as a Word document"),
        ("empty.txt", b"  \n ", "has no text in it"),
    ],
)
def test_unreadable_or_wrong_uploads_are_refused_with_a_message(name, content, message):
    with pytest.raises(ValidationError, match=message):
        read_upload(upload(name, content))


def test_an_upload_over_five_megabytes_is_refused():
    big = upload("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValidationError, match="at most 5 MB"):
        read_upload(big)
