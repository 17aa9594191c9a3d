"""The mark-scheme validator: the rules of points and levels schemes, errors at the field."""

import pytest

from lessons.services.mark_schemes import (
    ExemplarSpec,
    LevelSpec,
    PointSpec,
    Scheme,
    errors_at,
    scheme_from_mapping,
    validate_scheme,
)


def seed_points_scheme(**changes) -> Scheme:
    """Seed 004's question 1: award 1 mark for each correct aim, up to 2."""
    scheme = Scheme(
        kind="points",
        max_marks=2,
        marks_per_point=1,
        points=[
            PointSpec("To rapidly industrialise China.", 1),
            PointSpec("To increase agricultural production through collectivisation.", 1),
            PointSpec("To demonstrate the superiority of Chinese socialism.", 1),
        ],
    )
    for name, value in changes.items():
        setattr(scheme, name, value)
    return scheme


def seed_levels_scheme(**changes) -> Scheme:
    """Seed 004's question 2: Level 1 1–2, Level 2 3–4, Level 3 5–6, with exemplars."""
    scheme = Scheme(
        kind="levels",
        max_marks=6,
        guidance="Famine; decline in agricultural output; poor-quality steel.",
        levels=[
            LevelSpec(1, 2, "Simple statements with limited detail."),
            LevelSpec(3, 4, "Clear explanation of one consequence OR limited explanation of two."),
            LevelSpec(5, 6, "Clear, developed explanation of two significant consequences."),
        ],
        exemplars=[
            ExemplarSpec("There was a famine.", 1, level=1),
            ExemplarSpec("The GLF caused widespread famine, with millions of deaths.", 3, level=2),
            ExemplarSpec("Two developed consequences, each worth 3.", 6, level=3),
        ],
    )
    for name, value in changes.items():
        setattr(scheme, name, value)
    return scheme


def locations(errors) -> list[str]:
    return [error.location for error in errors]


def test_seed_004_points_scheme_is_valid():
    assert validate_scheme(seed_points_scheme()) == []


def test_seed_004_levels_scheme_is_valid():
    assert validate_scheme(seed_levels_scheme()) == []


@pytest.mark.parametrize("maximum", [0, 101, None])
def test_maximum_marks_must_be_between_1_and_100(maximum):
    errors = validate_scheme(seed_points_scheme(max_marks=maximum))
    assert "question.max_marks" in locations(errors)


def test_maximum_marks_of_1_and_100_are_allowed():
    assert validate_scheme(seed_points_scheme(max_marks=1)) == []
    scheme = seed_levels_scheme(max_marks=100)
    scheme.levels[-1].max_marks = 100
    assert validate_scheme(scheme) == []


def test_a_point_worth_no_marks_is_refused_at_that_point():
    scheme = seed_points_scheme()
    scheme.points[1].marks = 0
    errors = validate_scheme(scheme)
    assert locations(errors) == ["points[2].marks"]
    assert errors[0].message == "A point must be worth at least 1 mark."


def test_a_point_worth_more_than_the_maximum_is_refused():
    scheme = seed_points_scheme()
    scheme.points[0].marks = 3
    assert locations(validate_scheme(scheme)) == ["points[1].marks"]


def test_a_point_needs_its_text():
    scheme = seed_points_scheme()
    scheme.points[2].text = "   "
    assert locations(validate_scheme(scheme)) == ["points[3].text"]


def test_marks_per_point_cannot_exceed_the_maximum():
    errors = validate_scheme(seed_points_scheme(marks_per_point=3))
    assert locations(errors) == ["question.marks_per_point"]
    assert "maximum (2)" in errors[0].message


def test_a_points_scheme_needs_a_point():
    errors = validate_scheme(seed_points_scheme(points=[]))
    assert [(e.section, e.index) for e in errors] == [("points", None)]


def test_a_levels_scheme_needs_a_level():
    errors = validate_scheme(seed_levels_scheme(levels=[], exemplars=[]))
    assert [(e.section, e.index) for e in errors] == [("levels", None)]


def test_overlapping_levels_name_both_levels_at_the_later_ones_lowest_mark():
    scheme = seed_levels_scheme()
    scheme.levels[1].min_marks = 2
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[2].min_marks"]
    assert errors[0].message == "Level 2 (2–4) overlaps Level 1 (1–2): start it at 3."


def test_a_gap_between_levels_is_refused():
    scheme = seed_levels_scheme()
    scheme.levels[2].min_marks = 6
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[3].min_marks"]
    assert "contiguous" in errors[0].message and "start it at 5" in errors[0].message


def test_a_level_above_the_maximum_is_refused():
    scheme = seed_levels_scheme()
    scheme.levels[2].max_marks = 7
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[3].max_marks"]
    assert "above the question's maximum of 6" in errors[0].message


def test_the_top_level_must_reach_the_maximum():
    scheme = seed_levels_scheme(max_marks=8)
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[3].max_marks"]
    assert "must end at the question's maximum (8)" in errors[0].message


def test_level_1_must_start_at_0_or_1():
    scheme = seed_levels_scheme()
    scheme.levels[0].min_marks = 2
    scheme.exemplars[0].mark = 2
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[1].min_marks"]
    scheme.levels[0].min_marks = 0
    assert validate_scheme(scheme) == []


def test_a_level_whose_range_runs_backwards_is_refused():
    scheme = seed_levels_scheme()
    scheme.levels[1].min_marks, scheme.levels[1].max_marks = 4, 3
    errors = validate_scheme(scheme)
    assert "levels[2].max_marks" in locations(errors)
    assert "below its lowest" in errors[0].message


def test_a_level_needs_a_descriptor():
    scheme = seed_levels_scheme()
    scheme.levels[0].descriptor = ""
    assert locations(validate_scheme(scheme)) == ["levels[1].descriptor"]


def test_levels_numbered_out_of_order_are_refused():
    scheme = seed_levels_scheme()
    for number, level in zip([1, 3, 2], scheme.levels, strict=True):
        level.number = number
    errors = validate_scheme(scheme)
    assert locations(errors) == ["levels[2].number", "levels[3].number"]


def test_an_exemplar_mark_outside_its_level_is_refused_at_the_mark():
    scheme = seed_levels_scheme()
    scheme.exemplars[2].mark = 3
    errors = validate_scheme(scheme)
    assert locations(errors) == ["exemplars[3].mark"]
    assert errors[0].message == "A Level 3 answer earns 5–6 marks; this one is given 3."


def test_an_exemplar_of_a_levels_scheme_needs_a_level_that_exists():
    scheme = seed_levels_scheme()
    scheme.exemplars[0].level = None
    scheme.exemplars[1].level = 4
    errors = validate_scheme(scheme)
    assert locations(errors) == ["exemplars[1].level", "exemplars[2].level"]
    assert "There is no Level 4" in errors[1].message


def test_an_exemplar_of_a_points_scheme_needs_no_level_but_a_mark_within_the_maximum():
    scheme = seed_points_scheme(exemplars=[ExemplarSpec("Industrialise; collectivise.", 2)])
    assert validate_scheme(scheme) == []
    scheme.exemplars[0].mark = 3
    assert locations(validate_scheme(scheme)) == ["exemplars[1].mark"]


def test_errors_at_picks_one_item_or_the_section():
    scheme = seed_levels_scheme()
    scheme.levels[1].descriptor = ""
    errors = validate_scheme(scheme)
    assert [e.field for e in errors_at(errors, "levels", 1)] == ["descriptor"]
    assert errors_at(errors, "levels") == []


def test_an_unknown_kind_is_refused():
    errors = validate_scheme(seed_points_scheme(kind="multiple"))
    assert locations(errors) == ["question.kind"]


def test_a_seed_files_question_is_read_and_validated():
    """The shape of seeds/FORMAT.md, as the seed loader hands it over."""
    data = {
        "key": "ocr-glf-q2-consequences",
        "max_marks": 6,
        "scheme": "levels",
        "levels": [
            {"level": 1, "marks": [1, 2], "descriptor": "Simple statements."},
            {"level": 2, "marks": [3, 4], "descriptor": "Clear explanation of one."},
            {"level": 3, "marks": [5, 6], "descriptor": "Developed explanation of two."},
        ],
        "exemplars": [{"level": 3, "mark": 6, "text": "Both.", "commentary": "3 + 3"}],
    }
    scheme = scheme_from_mapping(data)
    assert [(lv.number, lv.min_marks, lv.max_marks) for lv in scheme.levels] == [
        (1, 1, 2),
        (2, 3, 4),
        (3, 5, 6),
    ]
    assert validate_scheme(scheme) == []

    # Seed 004 prints each Level 3 example with "(3 marks)": taken literally, that breaks
    # the rule that an exemplar's mark lies inside its level.
    data["exemplars"][0]["mark"] = 3
    errors = validate_scheme(scheme_from_mapping(data))
    assert locations(errors) == ["exemplars[1].mark"]


def test_a_seed_points_question_with_alternatives_as_a_list():
    scheme = scheme_from_mapping(
        {
            "max_marks": 2,
            "scheme": "points",
            "marks_per_point": 1,
            "points": [{"text": "Communes", "marks": 1, "alternatives": ["Large units", "26,000"]}],
        }
    )
    assert scheme.points[0].alternatives == "Large units\n26,000"
    assert validate_scheme(scheme) == []


def test_wrongly_typed_seed_values_are_reported_not_raised():
    scheme = scheme_from_mapping({"max_marks": "six", "scheme": "levels", "levels": [{}]})
    assert "question.max_marks" in locations(validate_scheme(scheme))
    assert "levels[1].min_marks" in locations(validate_scheme(scheme))


def test_scheme_content_ignores_ids_and_the_other_kinds_rows():
    one = seed_points_scheme()
    two = seed_points_scheme(levels=[LevelSpec(1, 2, "left over")])
    for i, point in enumerate(two.points):
        point.id = 100 + i
    assert one.content() == two.content()
    two.points[0].marks = 2
    assert one.content() != two.content()
