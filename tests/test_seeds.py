"""The seed lessons in seeds/ and the loader behind `manage.py load_seeds`."""

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lessons.models import (
    Annotation,
    EvidenceLink,
    Exemplar,
    IndicativePoint,
    Lesson,
    Level,
    Passage,
    Question,
    Topic,
)
from lessons.services.anchoring import make_anchor
from lessons.services.seeds import (
    SeedError,
    SeedExemplar,
    SeedLevel,
    SeedPoint,
    load_seed_lessons,
    mark_scheme_problems,
    parse_lesson_text,
    unwrap_prose,
)

from .factories import AnswerFactory, TaskFactory

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_KEYS = [
    "glf-revision-notes",
    "great-leap-sideways",
    "ocr-glf-later-maoist-policy",
    "political-origins-of-the-glf",
    "rural-industrialisation-essay",
]
# The page furniture seeds/raw/README.md lists, and the rest of the pages' chrome.
FURNITURE = [
    "Download paper",
    "Top Experts",
    "Verified expert",
    "hire verified expert",
    "Cite this page",
    "Retrieved from",
    "Are You on a Short Deadline",
    "Let’s chat",
    "Let's chat",
    "online 24/7",
    "TutorChase logo",
    "Login",
    "Hire a tutor",
    "Please fill out the form",
    "Your details",
    "WhatsApp",
    "Written By:",
    "Practice Questions",
    "Mark Scheme:",
]


@pytest.fixture
def seeded(db):
    summary = load_seed_lessons(directory=SEEDS)
    assert summary.problems == []
    return summary


def seed_lesson(key: str) -> Lesson:
    return Lesson.objects.get(seed_key=key)


def normalised(text: str) -> str:
    return text.lower().replace("’", "'").replace("-", " ")


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Lesson,
            Passage,
            Annotation,
            Topic,
            Question,
            IndicativePoint,
            Level,
            Exemplar,
        )
    }


def copy_seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    target.mkdir()
    for path in SEEDS.glob("*.md"):
        shutil.copy(path, target)
    for path in SEEDS.glob("*.toml"):
        shutil.copy(path, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- The content of the seed lessons -------------------------------------------------------


def test_load_seeds_creates_the_five_shared_seed_lessons(seeded):
    assert sorted(Lesson.objects.values_list("seed_key", flat=True)) == SEED_KEYS
    assert not Lesson.objects.filter(owner__isnull=False).exists()
    assert [result.key for result in seeded.lessons] == SEED_KEYS
    assert all(result.created for result in seeded.lessons)


def test_every_seed_lesson_has_at_least_ten_annotations_each_quoting_its_passage_exactly(seeded):
    for key in SEED_KEYS:
        annotations = Annotation.objects.filter(passage__lesson__seed_key=key)
        assert annotations.count() >= 10, key
        for annotation in annotations.select_related("passage"):
            text = annotation.passage.text
            assert text[annotation.start : annotation.end] == annotation.quote
            assert annotation.prefix == text[max(0, annotation.start - 32) : annotation.start]
            assert annotation.suffix == text[annotation.end : annotation.end + 32]
            assert annotation.author is None
            assert not annotation.detached
            assert annotation.note.strip()


def test_seed_annotations_do_not_overlap_so_a_reader_can_highlight_each(seeded):
    for passage in Passage.objects.all():
        spans = sorted(passage.annotations.values_list("start", "end"))
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, passage.heading


def test_annotation_notes_are_short_plain_paragraphs(seeded):
    for annotation in Annotation.objects.exclude(kind=Annotation.Kind.CITATION):
        sentences = re.findall(r"[.?!](?:[”’)])?(?=\s|$)", annotation.note)
        assert 1 <= len(sentences) <= 5, annotation.quote
        assert "<" not in annotation.note and "\n" not in annotation.note, annotation.quote


def test_no_page_furniture_is_left_in_any_seed_lesson(seeded):
    for passage in Passage.objects.all():
        for phrase in FURNITURE:
            assert phrase.lower() not in passage.text.lower(), (phrase, passage.heading)
            assert phrase.lower() not in passage.heading.lower(), (phrase, passage.heading)
    for caption in Passage.objects.filter(kind=Passage.Kind.CAPTION):
        assert not caption.text.endswith("Source")


def test_every_passage_has_a_heading_and_captions_and_references_have_their_kinds(seeded):
    assert not Passage.objects.filter(heading="").exists()
    captions = Passage.objects.filter(kind=Passage.Kind.CAPTION)
    assert sorted(captions.values_list("lesson__seed_key", flat=True)) == [
        "great-leap-sideways",
        "great-leap-sideways",
        "ocr-glf-later-maoist-policy",
        "ocr-glf-later-maoist-policy",
    ]
    references = Passage.objects.get(kind=Passage.Kind.REFERENCES)
    assert references.lesson.seed_key == "political-origins-of-the-glf"
    assert references.text.startswith("Bachman, D. (1991).")
    for footnote in ["[1] Collectivization", "[2]", "[3]", "[4]", "[5] According to Bachman"]:
        assert footnote in references.text
    body = "\n".join(
        references.lesson.passages.exclude(kind=Passage.Kind.REFERENCES).values_list(
            "text", flat=True
        )
    )
    assert "Cambridge: Cambridge University Press" not in body


def test_attribution_follows_the_seed_readme(seeded):
    expected = {
        "great-leap-sideways": {
            "author": "Finn O’Connor",
            "source_kind": "essay",
            "title": "The Great Leap Sideways – Chinese Industrialization Under Mao Zedong",
        },
        "rural-industrialisation-essay": {
            "author": "",
            "publisher": "Essay-sample website",
            "source_date": "2 June 2020",
            "source_kind": "essay",
        },
        "glf-revision-notes": {
            "author": "",
            "publisher": "Revision-notes website",
            "source_kind": "study_notes",
        },
        "political-origins-of-the-glf": {
            "author": "",
            "source_kind": "academic_essay",
            "title": "The political and institutional origins of the Great Leap Forward",
        },
        "ocr-glf-later-maoist-policy": {
            "author": "",
            "publisher": "TutorChase",
            "source_kind": "study_notes",
        },
    }
    for key, fields in expected.items():
        lesson = seed_lesson(key)
        for name, value in fields.items():
            assert getattr(lesson, name) == value, (key, name)
        assert lesson.summary and lesson.attribution_note, key
    # The first lines of the essay are its author, not its text.
    first = seed_lesson("great-leap-sideways").passages.first()
    assert first.text.startswith("After forming the People’s Republic of China")
    # Every correction of the source's typing is declared.
    essay = seed_lesson("rural-industrialisation-essay")
    for correction in ["ater know as", "lover than"]:
        assert correction in essay.attribution_note
        assert not essay.passages.filter(text__contains=correction).exists()
    assert essay.passages.filter(text__contains="later known as “backyard furnaces.”").exists()
    assert "54.2.5" in seed_lesson("ocr-glf-later-maoist-policy").attribution_note
    assert "Yang (2008)" in seed_lesson("political-origins-of-the-glf").attribution_note


def test_the_revision_notes_faq_answers_have_question_headings(seeded):
    for key in ["glf-revision-notes", "ocr-glf-later-maoist-policy"]:
        faq = seed_lesson(key).passages.filter(heading__startswith="FAQ: ")
        assert faq.count() == 5
        assert all(heading.endswith("?") for heading in faq.values_list("heading", flat=True))


@pytest.mark.parametrize(
    "term, words",
    [
        ("People's Commune", "commune"),
        ("backyard furnaces", "backyard furnaces"),
        ("Lushan Conference", "lushan conference"),
        ("Hundred Flowers", "hundred flowers"),
        ("Third Front", "third front"),
        ("Send-Down Movement", "shang shan xia xiang"),
        ("proto-industrialisation", "proto industrializ"),
        ("work points", "work points"),
        ("Anti-Rightist Campaign", "rightist"),
        ("Sino-Soviet split", "sino soviet split"),
    ],
)
def test_required_key_terms_are_explained_in_a_key_term_annotation(seeded, term, words):
    key_terms = Annotation.objects.filter(kind=Annotation.Kind.KEY_TERM)
    assert any(words in normalised(a.quote) for a in key_terms), term


def test_a_factual_slip_note_corrects_adam_bergson(seeded):
    slip = Annotation.objects.get(quote__contains="Adam Bergson")
    assert slip.kind == Annotation.Kind.CORRECTION
    assert "Abram Bergson" in slip.note
    assert Annotation.objects.filter(kind=Annotation.Kind.CORRECTION).count() >= 5


def test_the_essay_notes_without_a_reference_list_are_explained(seeded):
    lesson = seed_lesson("great-leap-sideways")
    citations = Annotation.objects.filter(passage__lesson=lesson, kind=Annotation.Kind.CITATION)
    assert citations.filter(quote="(1)", note__contains="no reference list").exists()
    assert "(21)" in lesson.passages.last().text


def test_the_academic_essays_citations_carry_the_full_references(seeded):
    lesson = seed_lesson("political-origins-of-the-glf")
    citations = Annotation.objects.filter(passage__lesson=lesson, kind=Annotation.Kind.CITATION)
    for in_text, reference in [
        ("Yang (2008)", "Comparative Economic Studies, 50(1)"),
        ("Naughton (2007)", "MIT Press"),
        ("Naughton (1991)", "Lieberthal"),
        ("Bachman (1991)", "Cambridge University Press"),
        ("MacFarquhar (1974)", "Contradictions among"),
        ("Luthi (2010)", "Lexington Books"),
        ("Zhu (2012)", "Cold War History, 12(3)"),
    ]:
        assert citations.filter(quote__contains=in_text, note__contains=reference).exists()
    for marker in ["[1]", "[2]", "[3]", "[4]", "[5]"]:
        footnote = citations.get(quote=marker)
        assert footnote.note.startswith(f"Footnote {marker}")
        assert footnote.passage.kind == Passage.Kind.TEXT


def test_at_least_three_topics_have_claims_from_several_lessons(seeded):
    lessons_by_topic = {
        topic.slug: set(
            topic.annotations.filter(kind=Annotation.Kind.CLAIM).values_list(
                "passage__lesson__seed_key", flat=True
            )
        )
        for topic in Topic.objects.all()
    }
    shared = [slug for slug, lessons in lessons_by_topic.items() if len(lessons) >= 2]
    assert len(shared) >= 3
    assert len(lessons_by_topic["famine-deaths"]) == 5
    assert {"great-leap-sideways", "glf-revision-notes", "political-origins-of-the-glf"} <= (
        lessons_by_topic["leap-dates"]
    )
    assert not Annotation.objects.filter(topic__isnull=False).exclude(kind="claim").exists()


def test_the_famine_death_claims_quote_each_sources_figure(seeded):
    claims = Annotation.objects.filter(topic__slug="famine-deaths")
    quotes = " | ".join(claims.values_list("quote", flat=True))
    for figure in ["15 and 55 million", "15 to 45 million", "16.5 and 30 million", "20–30 million"]:
        assert figure in quotes


# --- The question bank ----------------------------------------------------------------------


def test_the_ocr_two_mark_question_keeps_its_mark_scheme(seeded):
    question = Question.objects.get(seed_key="ocr-glf-q1-aims")
    assert question.task is None
    assert question.lesson.seed_key == "ocr-glf-later-maoist-policy"
    assert question.prompt == (
        "Identify two key aims of Mao Zedong’s Great Leap Forward (1958–1962)."
    )
    assert question.max_marks == 2
    assert question.is_points and question.marks_per_point == 1
    assert question.guidance.startswith("Award 1 mark for each correct aim identified.")
    assert "alternative correct answer" in question.guidance
    assert list(question.indicative_points.values_list("text", "marks")) == [
        ("To rapidly industrialise China and transform it into a modern socialist economy.", 1),
        (
            "To increase agricultural production through collectivisation and the creation of "
            "People’s Communes.",
            1,
        ),
        (
            "To demonstrate the superiority of Chinese socialism and reduce reliance on the "
            "Soviet model.",
            1,
        ),
    ]


def test_the_ocr_six_mark_question_keeps_its_levels_and_example_answers(seeded):
    question = Question.objects.get(seed_key="ocr-glf-q2-consequences")
    assert question.prompt == (
        "Explain two significant consequences of the Great Leap Forward for China’s economy "
        "and society."
    )
    assert question.max_marks == 6 and question.is_levels
    assert list(question.levels.values_list("number", "min_marks", "max_marks", "descriptor")) == [
        (
            1,
            1,
            2,
            "• Simple statements with limited detail.\n"
            "• May identify consequences without explanation.",
        ),
        (
            2,
            3,
            4,
            "• Clear explanation of one consequence OR limited explanation of two.\n"
            "• Some reference to economic or social effects, though detail may be uneven.",
        ),
        (
            3,
            5,
            6,
            "• Clear, developed explanation of two significant consequences, showing good "
            "understanding.\n"
            "• Answers demonstrate how the GLF reshaped China’s economy and society.",
        ),
    ]
    exemplars = list(question.exemplars.select_related("level"))
    assert [(e.level.number, e.mark) for e in exemplars] == [(1, 1), (1, 1), (2, 3), (2, 3), (3, 6)]
    assert [e.text for e in exemplars[:4]] == [
        "There was a famine.",
        "Agricultural production declined.",
        "The Great Leap Forward caused widespread famine, leading to millions of deaths "
        "between 1959 and 1962.",
        "Steel production increased initially but was often of poor quality, harming "
        "industrial progress.",
    ]
    level_three = exemplars[4]
    first, second = level_three.text.split("\n\n")
    assert first.startswith("The Great Leap Forward caused a catastrophic decline")
    assert first.endswith("with an estimated 20–30 million deaths.")
    assert second.startswith("Industrial efforts such as backyard furnaces")
    assert "3 marks each" in level_three.commentary
    for exemplar in exemplars:
        assert exemplar.level.contains(exemplar.mark)


def test_the_revision_notes_model_answers_are_kept_as_exemplars(seeded):
    raw = (SEEDS / "raw" / "002_097b4deb62806520.txt").read_text(encoding="utf-8").splitlines()
    for key, prompt in [
        (
            "notes-q1-soviet-influence",
            "Explain how Soviet influence shaped the First Five-Year Plan in China.",
        ),
        (
            "notes-q2-failure-reasons",
            "Analyse the main reasons for the failure of the Great Leap Forward.",
        ),
    ]:
        question = Question.objects.get(seed_key=key)
        assert question.prompt == prompt
        model_answer = raw[raw.index(prompt) + 1].strip()
        exemplar = question.exemplars.get()
        assert exemplar.text == model_answer
        assert exemplar.commentary
        assert question.indicative_points.exists() or question.levels.exists()
        if question.is_levels:
            assert exemplar.level.contains(exemplar.mark)
        # The practice questions are in the question bank, not in the lesson's text.
        assert not question.lesson.passages.filter(text__contains=model_answer[:60]).exists()


def test_every_seed_lesson_has_further_questions_of_both_kinds(seeded):
    practice = {"ocr-glf-q1-aims", "ocr-glf-q2-consequences"} | {
        "notes-q1-soviet-influence",
        "notes-q2-failure-reasons",
    }
    for key in SEED_KEYS:
        bank = Question.objects.filter(lesson__seed_key=key, task__isnull=True)
        assert bank.exclude(seed_key__in=practice).count() >= 2, key
    for key in ["glf-revision-notes", "ocr-glf-later-maoist-policy"]:
        assert Question.objects.filter(lesson__seed_key=key).count() >= 4
    kinds = set(Question.objects.values_list("scheme_kind", flat=True))
    assert kinds == {"points", "levels"}
    assert Question.objects.filter(topic__isnull=False).count() >= 3
    assert all(q.linked_passages.exists() for q in Question.objects.all())


def test_every_bank_question_satisfies_the_mark_scheme_rules(seeded):
    for question in Question.objects.prefetch_related("indicative_points", "levels", "exemplars"):
        assert 1 <= question.max_marks <= 100
        levels = list(question.levels.all())
        if question.is_points:
            assert not levels
            points = list(question.indicative_points.all())
            assert points and all(p.marks >= 1 for p in points)
            for exemplar in question.exemplars.all():
                assert exemplar.level is None
                assert 0 <= exemplar.mark <= question.max_marks
        else:
            assert not question.indicative_points.exists()
            assert [level.number for level in levels] == list(range(1, len(levels) + 1))
            assert levels[0].min_marks in (0, 1)
            assert levels[-1].max_marks == question.max_marks
            for lower, upper in zip(levels, levels[1:], strict=False):
                assert upper.min_marks == lower.max_marks + 1
            for exemplar in question.exemplars.all():
                assert exemplar.level.contains(exemplar.mark)


# --- Re-loading ------------------------------------------------------------------------------


def test_running_load_seeds_twice_duplicates_nothing(db):
    first, second = StringIO(), StringIO()
    call_command("load_seeds", stdout=first)
    before = counts()
    passage_ids = sorted(Passage.objects.values_list("id", flat=True))
    call_command("load_seeds", stdout=second)
    assert counts() == before
    assert sorted(Passage.objects.values_list("id", flat=True)) == passage_ids
    assert before["Lesson"] == 5 and before["Topic"] == 5
    lines = second.getvalue().splitlines()
    assert len(lines) == 6
    assert all(f"{key}: updated" in line for key, line in zip(SEED_KEYS, lines, strict=False))
    assert "(0 changed)" in lines[0]
    assert "created" in first.getvalue()
    assert Question.objects.filter(scheme_version=1).count() == Question.objects.count()


def test_a_teachers_copy_of_a_seed_lesson_is_untouched_by_a_reload(seeded, teacher):
    seed = seed_lesson("great-leap-sideways")
    copy = Lesson.objects.create(
        title="My edited copy",
        author=seed.author,
        owner=teacher,
        copied_from=seed,
    )
    for passage in seed.passages.all():
        Passage.objects.create(
            lesson=copy,
            order=passage.order,
            heading=passage.heading,
            kind=passage.kind,
            text=passage.text.replace("Mao", "Chairman Mao"),
        )
    before = list(copy.passages.values_list("id", "heading", "text"))

    load_seed_lessons(directory=SEEDS)

    copy.refresh_from_db()
    assert copy.title == "My edited copy" and copy.owner == teacher
    assert copy.seed_key is None
    assert list(copy.passages.values_list("id", "heading", "text")) == before
    assert not Annotation.objects.filter(passage__lesson=copy).exists()
    assert Lesson.objects.filter(seed_key="great-leap-sideways").count() == 1


def test_a_teachers_own_annotation_on_a_seed_lesson_survives_a_reload(seeded, teacher):
    passage = seed_lesson("ocr-glf-later-maoist-policy").passages.get(
        heading="Retreat and Reassessment: 1961–1965"
    )
    start = passage.text.index("Liu Shaoqi")
    own = Annotation.objects.create(
        passage=passage,
        kind=Annotation.Kind.DISCUSSION,
        note="Ask the class who Liu was.",
        author=teacher,
        **make_anchor(passage.text, start, start + len("Liu Shaoqi")).as_fields(),
    )
    seed_notes = Annotation.objects.filter(author__isnull=True).count()

    load_seed_lessons(directory=SEEDS)

    own.refresh_from_db()
    assert own.note == "Ask the class who Liu was." and not own.detached
    assert Annotation.objects.filter(author__isnull=True).count() == seed_notes


def test_a_changed_seed_text_updates_the_passage_in_place_and_detaches_removed_words(
    seeded, tmp_path, teacher, student
):
    lesson = seed_lesson("great-leap-sideways")
    passage = lesson.passages.get(heading="Infrastructure")
    passage_id = passage.id

    def anchor(words: str) -> dict:
        start = passage.text.index(words)
        return make_anchor(passage.text, start, start + len(words)).as_fields()

    doomed = Annotation.objects.create(
        passage=passage, kind="context", note="About Kueh.", author=teacher, **anchor("Y.Y. Kueh")
    )
    moved = Annotation.objects.create(
        passage=passage, kind="context", note="Railways.", author=teacher, **anchor("rail grid")
    )
    evidence = EvidenceLink.objects.create(
        answer=AnswerFactory(submission__student=student),
        passage=passage,
        **anchor("Y.Y. Kueh"),
    )
    directory = copy_seeds(tmp_path)
    replace_in(
        directory / "great-leap-sideways.md",
        "As Y.Y. Kueh points out, irrigation",
        "As one economist points out, irrigation",
    )
    replace_in(
        directory / "great-leap-sideways.md",
        "For one, the state built sprawling railways",
        "For one, the state built long, sprawling railways",
    )
    summary = load_seed_lessons(directory=directory)

    result = next(r for r in summary.lessons if r.key == "great-leap-sideways")
    assert result.passages_changed == 1 and result.spans_detached == 2
    passage = Passage.objects.get(id=passage_id)
    assert "As one economist points out" in passage.text
    doomed.refresh_from_db()
    evidence.refresh_from_db()
    moved.refresh_from_db()
    assert doomed.detached and evidence.detached
    assert not moved.detached
    assert passage.text[moved.start : moved.end] == "rail grid"
    # The seed annotations were rebuilt against the new text.
    for annotation in Annotation.objects.filter(passage=passage, author__isnull=True):
        assert passage.text[annotation.start : annotation.end] == annotation.quote


def test_a_passage_removed_from_the_file_is_kept_only_while_work_points_at_it(
    seeded, tmp_path, teacher
):
    directory = copy_seeds(tmp_path)
    md = directory / "political-origins-of-the-glf.md"
    text = md.read_text(encoding="utf-8")
    md.write_text(text[: text.index("## Conclusion")] + text[text.index("## References") :])
    toml = directory / "political-origins-of-the-glf.toml"
    text = toml.read_text(encoding="utf-8")
    start = text.index("# --- Conclusion ---")
    toml.write_text(text[:start] + text[text.index("# --- Questions ---") :])
    lesson = seed_lesson("political-origins-of-the-glf")
    references = lesson.passages.get(kind=Passage.Kind.REFERENCES)
    start = references.text.index("Bachman")
    Annotation.objects.create(
        passage=references,
        kind="context",
        note="Find this book in the library.",
        author=teacher,
        **make_anchor(references.text, start, start + 7).as_fields(),
    )

    summary = load_seed_lessons(directory=directory)

    result = next(r for r in summary.lessons if r.key == "political-origins-of-the-glf")
    assert result.loaded and result.passages_kept == 1
    headings = list(lesson.passages.values_list("heading", flat=True))
    # The old references passage (now the conclusion's place) was edited in place; the last
    # one, which the teacher annotated, moved to the end instead of being deleted.
    assert headings[-2:] == ["References and notes", "References and notes"]
    assert lesson.passages.count() == 6


def test_a_changed_mark_scheme_is_replaced_and_bumps_the_scheme_version(seeded, tmp_path):
    question = Question.objects.get(seed_key="ocr-glf-q4-retreat")
    task_copy = Question.objects.create(
        task=TaskFactory(),
        copied_from=question,
        prompt=question.prompt,
        max_marks=question.max_marks,
    )
    directory = copy_seeds(tmp_path)
    replace_in(
        directory / "ocr-glf-later-maoist-policy.toml",
        'text = "State grain procurement was reduced."\n  marks = 1',
        'text = "State grain procurement quotas were cut."\n  marks = 1',
    )

    load_seed_lessons(directory=directory)

    question.refresh_from_db()
    assert question.scheme_version == 2
    assert question.indicative_points.filter(text__contains="quotas were cut").exists()
    assert IndicativePoint.objects.filter(question=question).count() == 6
    task_copy.refresh_from_db()
    assert task_copy.copied_from == question and task_copy.prompt == question.prompt
    assert Question.objects.get(seed_key="ocr-glf-q1-aims").scheme_version == 1


# --- Bad seed files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            'quote = "Harvard’s Adam Bergson"',
            'quote = "Harvard’s Adam Bergsen"',
            "great-leap-sideways.toml, annotation 11 (“Harvard’s Adam Bergsen”): quote not "
            "found in the passage “Mao’s Agricultural Policies”",
        ),
        (
            'quote = "(13)"\noccurrence = 2',
            'quote = "(13)"',
            "great-leap-sideways.toml, annotation 18 (“(13)”): the quote occurs 2 times",
        ),
        (
            'quote = "Harvard’s Adam Bergson"\nkind = "correction"',
            'quote = "Harvard’s Adam Bergson"\nkind = "slip"',
            "great-leap-sideways.toml, annotation 11 (“Harvard’s Adam Bergson”): unknown kind "
            "'slip'",
        ),
        (
            'topic = "famine-deaths"\nnote = """\nThe widest range',
            'topic = "famine-death"\nnote = """\nThe widest range',
            "great-leap-sideways.toml, annotation 3: unknown topic 'famine-death'",
        ),
        (
            "  level = 4\n  marks = [10, 12]",
            "  level = 5\n  marks = [10, 12]",
            "great-leap-sideways.toml, question 2 (sideways-q2-continuity): bad mark scheme: "
            "levels[4].number: Levels must be numbered 1, 2, 3… in order",
        ),
        (
            "  level = 3\n  marks = [7, 9]",
            "  level = 3\n  marks = [6, 9]",
            "great-leap-sideways.toml, question 2 (sideways-q2-continuity): bad mark scheme: "
            "levels[3].min_marks: Level 3 (6–9) overlaps Level 2",
        ),
        (
            'passage = "Infrastructure"\nquote = "(13)"',
            'passage = "Infrastructure and Railways"\nquote = "(13)"',
            "great-leap-sideways.toml, annotation 18 (“(13)”): no passage is headed "
            "“Infrastructure and Railways”",
        ),
    ],
)
def test_a_bad_seed_file_is_reported_and_nothing_of_its_lesson_is_loaded(
    db, tmp_path, old, new, message
):
    directory = copy_seeds(tmp_path)
    replace_in(directory / "great-leap-sideways.toml", old, new)

    summary = load_seed_lessons(directory=directory)

    assert any(problem.startswith(message) for problem in summary.problems), summary.problems
    assert not Lesson.objects.filter(seed_key="great-leap-sideways").exists()
    assert not Question.objects.filter(seed_key__startswith="sideways-").exists()
    assert Lesson.objects.filter(seed_key__in=SEED_KEYS).count() == 4


def test_a_bad_seed_file_leaves_the_lesson_already_loaded_as_it_was(seeded, tmp_path):
    lesson = seed_lesson("great-leap-sideways")
    before = list(Annotation.objects.filter(passage__lesson=lesson).values_list("id", "note"))
    directory = copy_seeds(tmp_path)
    replace_in(directory / "great-leap-sideways.md", "Harvard’s Adam Bergson", "Abram Bergson")

    summary = load_seed_lessons(directory=directory)

    assert len(summary.problems) == 1
    lesson.refresh_from_db()
    passage = lesson.passages.get(heading="Mao’s Agricultural Policies")
    assert "Harvard’s Adam Bergson" in passage.text
    after = Annotation.objects.filter(passage__lesson=lesson).values_list("id", "note")
    assert list(after) == before


def test_load_seeds_command_fails_loudly_on_a_bad_file(db, tmp_path):
    directory = copy_seeds(tmp_path)
    replace_in(directory / "glf-revision-notes.toml", 'kind = "discussion"', 'kind = "debate"')
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 seed lesson"):
        call_command("load_seeds", directory=directory, stdout=out, stderr=err)

    assert "glf-revision-notes: NOT loaded" in err.getvalue()
    assert "unknown kind 'debate'" in err.getvalue()
    assert out.getvalue().count(": created") == 4


def test_a_toml_file_without_its_text_is_an_error(db, tmp_path):
    directory = copy_seeds(tmp_path)
    (directory / "great-leap-sideways.md").unlink()
    summary = load_seed_lessons(directory=directory)
    assert summary.problems == ["great-leap-sideways.toml: there is no great-leap-sideways.md"]


# --- The format -------------------------------------------------------------------------------


def test_the_lesson_text_format_splits_passages_at_markers():
    text = (
        '+++\ntitle = "T"\n+++\nOpening words.\n\n## First {.caption}\n\nOne.  \n\n\n'
        "Two.\n\n---\n\nNo heading.\n\n## References {.references}\n\nA. (1991)\n"
    )
    front, passages = parse_lesson_text(text, filename="t.md")
    assert front == {"title": "T"}
    assert [(p.heading, p.kind, p.text) for p in passages] == [
        ("", "text", "Opening words."),
        ("First", "caption", "One.\n\nTwo."),
        ("", "text", "No heading."),
        ("References", "references", "A. (1991)"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("no front matter", "must start with front matter"),
        ('+++\ntitle = "T"\n## A\n\nText', "no closing +++"),
        ('+++\ntitle = "T"\n+++\n## A {.poem}\n\nText', "unknown passage kind {.poem}"),
        ('+++\ntitle = "T"\n+++\n## A\n\n## B\n\nText', "is empty"),
    ],
)
def test_a_malformed_lesson_text_is_refused(text, message):
    with pytest.raises(SeedError, match=re.escape(message)):
        parse_lesson_text(text, filename="t.md")


def test_wrapped_notes_are_joined_but_paragraphs_and_list_items_kept():
    assert unwrap_prose("\nOne line\n  wrapped.\n\n• a\n• b\n  continued\n") == (
        "One line wrapped.\n\n• a\n• b continued"
    )


@pytest.mark.parametrize(
    "scheme, problem",
    [
        ({"max_marks": 0, "scheme": "points"}, "question.max_marks:"),
        ({"max_marks": 2, "scheme": "points", "points": [SeedPoint("a", 0)]}, "points[1].marks:"),
        ({"max_marks": 2, "scheme": "points"}, "points:"),
        (
            {"max_marks": 6, "scheme": "levels", "levels": [SeedLevel(1, 2, 6, "d")]},
            "levels[1].min_marks:",
        ),
        (
            {"max_marks": 6, "scheme": "levels", "levels": [SeedLevel(1, 1, 5, "d")]},
            "levels[1].max_marks:",
        ),
        (
            {
                "max_marks": 6,
                "scheme": "levels",
                "levels": [SeedLevel(1, 1, 3, "d"), SeedLevel(2, 3, 6, "d")],
            },
            "levels[2].min_marks:",
        ),
        (
            {
                "max_marks": 6,
                "scheme": "levels",
                "levels": [SeedLevel(1, 1, 3, "d"), SeedLevel(2, 4, 6, "d")],
                "exemplars": [SeedExemplar(2, 3, "t", "")],
            },
            "exemplars[1].mark:",
        ),
        (
            {
                "max_marks": 2,
                "scheme": "points",
                "points": [SeedPoint("a", 1)],
                "exemplars": [SeedExemplar(None, 3, "t", "")],
            },
            "exemplars[1].mark:",
        ),
    ],
)
def test_mark_scheme_rules_name_the_problem(scheme, problem):
    # The shared validator's messages, located at the field they are about.
    assert any(found.startswith(problem) for found in mark_scheme_problems(**scheme))


def test_a_sound_levels_scheme_has_no_problems():
    levels = [SeedLevel(1, 0, 2, "d"), SeedLevel(2, 3, 4, "d"), SeedLevel(3, 5, 6, "d")]
    exemplars = [SeedExemplar(3, 6, "t", ""), SeedExemplar(1, 0, "t", "")]
    assert (
        mark_scheme_problems(max_marks=6, scheme="levels", levels=levels, exemplars=exemplars) == []
    )


def test_make_run_loads_the_seeds_between_migrate_and_the_demo_logins():
    makefile = (SEEDS.parent / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :]
    assert run.index("migrate") < run.index("load_seeds") < run.index("setup_demo")


def test_notes_and_mark_schemes_name_other_sources_in_words_not_file_numbers(seeded):
    # "002" or "source 003" means nothing to a student; "5,000" or "740,000" are figures.
    file_number = re.compile(r"(?<![\d,.])00[0-4]\b")
    texts = [
        *Annotation.objects.values_list("note", flat=True),
        *Question.objects.values_list("prompt", flat=True),
        *Question.objects.values_list("guidance", flat=True),
        *Exemplar.objects.values_list("commentary", flat=True),
        *IndicativePoint.objects.values_list("text", flat=True),
        *Lesson.objects.values_list("attribution_note", flat=True),
        *Lesson.objects.values_list("summary", flat=True),
    ]
    offenders = [text[:80] for text in texts if file_number.search(text)]
    assert offenders == []
