"""Forms of the task editor: a task's settings, and a question with its mark scheme.

A question's editor is one HTML form made of a question form and three formsets (indicative
points, levels, exemplars). The rules that span rows (contiguous levels, an exemplar's mark
inside its level) live in services.mark_schemes; their errors are put back on the row and
field they name.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone

from ..models import Lesson, Passage, Question, SchoolClass, Task
from ..models.tasks import MAX_QUESTION_MARKS
from ..services import mark_schemes
from ..services.mark_schemes import ExemplarSpec, LevelSpec, PointSpec, Scheme
from ..services.tasks import lessons_in_use, passages_for_task, scheme_of

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """A datetime-local input; the value is shown and read in the school's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def zone_help(text: str = "") -> str:
    return f"{text} Times are in {settings.TIME_ZONE}.".strip()


class TaskForm(forms.Form):
    """A task's settings. The view saves it through services.tasks."""

    title = forms.CharField(max_length=200)
    instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What students should do, shown above the questions.",
    )
    classes = forms.ModelMultipleChoiceField(
        queryset=SchoolClass.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one class."},
    )
    lessons = forms.ModelMultipleChoiceField(
        queryset=Lesson.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Lessons to read",
        help_text="Students read these sources beside the questions.",
    )
    opens_at = forms.DateTimeField(
        label="Opens", widget=LocalDateTimeInput(), help_text=zone_help("Students see it from.")
    )
    due_at = forms.DateTimeField(label="Due", widget=LocalDateTimeInput(), help_text=zone_help())
    late_policy = forms.ChoiceField(
        label="Late work",
        choices=Task.LatePolicy.choices,
        widget=forms.RadioSelect,
        initial=Task.LatePolicy.ACCEPT,
    )
    show_mark_scheme = forms.BooleanField(
        required=False, label="Show students the mark scheme once marks are released"
    )
    anonymous_marking = forms.BooleanField(required=False, label="Hide names while marking")

    def __init__(self, *args, teacher, task: Task | None = None, **kwargs):
        if task is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": task.title,
                "instructions": task.instructions,
                "classes": list(task.classes.all()),
                "lessons": list(task.lessons.all()),
                "opens_at": task.opens_at,
                "due_at": task.due_at,
                "late_policy": task.late_policy,
                "show_mark_scheme": task.show_mark_scheme,
                "anonymous_marking": task.anonymous_marking,
            }
        elif task is None:
            kwargs.setdefault("initial", {}).setdefault(
                "opens_at", timezone.now().replace(second=0, microsecond=0)
            )
        super().__init__(*args, **kwargs)
        self.task = task
        # A co-teacher's edit must not drop the classes of the other teachers.
        classes = SchoolClass.objects.for_teacher(teacher).active()
        if task is not None:
            classes = classes | SchoolClass.objects.filter(tasks=task)
        self.fields["classes"].queryset = classes.distinct().order_by("name", "id")

    def clean(self):
        data = super().clean()
        opens_at, due_at = data.get("opens_at"), data.get("due_at")
        if opens_at and due_at and due_at <= opens_at:
            self.add_error("due_at", "The due time must be after the open time.")
        if self.task is not None and "lessons" in data:
            for lesson, numbers in lessons_in_use(self.task, data["lessons"]).items():
                listed = ", ".join(str(n) for n in numbers)
                self.add_error(
                    "lessons",
                    f"Question {listed} links passages of “{lesson.title}”: unlink them "
                    "before removing the lesson.",
                )
        return data


SHIFT_CHOICES = [
    ("0", "Keep the same dates"),
    ("7", "One week later"),
    ("14", "Two weeks later"),
    ("364", "Next year (52 weeks later, same day of the week)"),
]


class TaskCopyForm(forms.Form):
    title = forms.CharField(max_length=200)
    classes = forms.ModelMultipleChoiceField(
        queryset=SchoolClass.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Set it for",
        error_messages={"required": "Choose at least one class."},
    )
    shift_days = forms.TypedChoiceField(
        label="Dates",
        choices=SHIFT_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="The copy is a draft: you can change its dates before publishing it.",
    )

    def __init__(self, *args, teacher, task: Task, **kwargs):
        past = task.due_at < timezone.now()
        kwargs.setdefault("initial", {"title": task.title, "shift_days": "364" if past else "0"})
        super().__init__(*args, **kwargs)
        self.fields["classes"].queryset = SchoolClass.objects.for_teacher(teacher).active()

    @property
    def shift(self) -> timedelta:
        return timedelta(days=self.cleaned_data["shift_days"])


class TaskDeleteForm(forms.Form):
    """Typing the title confirms deleting a task that has students' answers."""

    confirmation = forms.CharField(required=False, label="Type the task's title to confirm")

    def __init__(self, *args, task: Task, answers: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.answers = answers
        if not answers:
            del self.fields["confirmation"]

    def clean_confirmation(self):
        value = self.cleaned_data["confirmation"]
        if value.strip() != self.task.title.strip():
            raise forms.ValidationError(
                "That is not the task's title. Type it exactly to delete the task and its answers."
            )
        return value


# Questions


def passage_label(passage: Passage) -> str:
    heading = passage.heading or passage.text[:70] + ("…" if len(passage.text) > 70 else "")
    return f"{passage.order + 1}. {heading}" if passage.heading else heading


class QuestionForm(forms.Form):
    prompt = forms.CharField(
        label="Question",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the question students answer."},
    )
    max_marks = forms.IntegerField(
        label="Maximum marks",
        min_value=1,
        max_value=MAX_QUESTION_MARKS,
        error_messages={
            "required": "Enter the maximum marks for this question.",
            "min_value": f"Maximum marks must be between 1 and {MAX_QUESTION_MARKS}.",
            "max_value": f"Maximum marks must be between 1 and {MAX_QUESTION_MARKS}.",
            "invalid": "Enter a whole number of marks.",
        },
    )
    answer_type = forms.ChoiceField(
        label="Answer",
        choices=Question.AnswerType.choices,
        widget=forms.RadioSelect,
        initial=Question.AnswerType.EXTENDED,
    )
    scheme_kind = forms.ChoiceField(
        label="Mark scheme",
        choices=Question.SchemeKind.choices,
        widget=forms.RadioSelect(attrs={"data-scheme-kind": ""}),
        initial=Question.SchemeKind.POINTS,
    )
    marks_per_point = forms.IntegerField(
        label="Marks for each valid point",
        required=False,
        min_value=1,
        max_value=MAX_QUESTION_MARKS,
        initial=1,
        help_text="Award this many marks for each valid point, up to the maximum.",
        error_messages={"min_value": "Award at least 1 mark per point."},
    )
    guidance = forms.CharField(
        label="Guidance for markers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a levels-based scheme: the indicative content.",
    )
    linked_passages = forms.TypedMultipleChoiceField(
        label="Linked passages",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Students see these passages highlighted while they answer.",
    )
    confirm_scheme_change = forms.BooleanField(
        required=False,
        label="Save the change and flag the marked answers for re-marking",
    )

    def __init__(self, *args, passages, **kwargs):
        super().__init__(*args, **kwargs)
        self.passages = {p.id: p for p in passages}
        groups: dict[Lesson, list] = {}
        for passage in passages:
            groups.setdefault(passage.lesson, []).append((passage.id, passage_label(passage)))
        self.fields["linked_passages"].choices = [
            (lesson.title, choices) for lesson, choices in groups.items()
        ]

    def clean_linked_passages(self):
        return [self.passages[pk] for pk in self.cleaned_data["linked_passages"]]


def _row_widget(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PointForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(
        label="Point",
        widget=_row_widget(2),
        error_messages={"required": "Write the point a marker credits."},
    )
    marks = forms.IntegerField(
        label="Marks",
        min_value=1,
        max_value=MAX_QUESTION_MARKS,
        initial=1,
        error_messages={
            "required": "Enter the marks for this point.",
            "min_value": "A point must be worth at least 1 mark.",
        },
    )
    alternatives = forms.CharField(
        label="Other wordings to accept",
        required=False,
        widget=_row_widget(2),
        help_text="One per line.",
    )


class LevelForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    min_marks = forms.IntegerField(
        label="Lowest mark",
        min_value=0,
        max_value=MAX_QUESTION_MARKS,
        error_messages={"required": "Enter the level's lowest mark."},
    )
    max_marks = forms.IntegerField(
        label="Highest mark",
        min_value=0,
        max_value=MAX_QUESTION_MARKS,
        error_messages={"required": "Enter the level's highest mark."},
    )
    descriptor = forms.CharField(
        label="Descriptor",
        widget=_row_widget(3),
        error_messages={"required": "Describe what an answer at this level does."},
    )


class ExemplarForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    level = forms.TypedChoiceField(
        label="Level", required=False, coerce=int, empty_value=None, choices=[]
    )
    mark = forms.IntegerField(
        label="Mark",
        min_value=0,
        max_value=MAX_QUESTION_MARKS,
        error_messages={"required": "Enter the mark this answer earns."},
    )
    text = forms.CharField(
        label="Example answer",
        widget=_row_widget(3),
        error_messages={"required": "Write the example answer."},
    )
    commentary = forms.CharField(
        label="Why it earns that mark", required=False, widget=_row_widget(2)
    )

    def __init__(self, *args, level_count: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", "—")] + [
            (n, f"Level {n}") for n in range(1, level_count + 1)
        ]


SECTIONS = ("points", "levels", "exemplars")
# More rows than any mark scheme needs; a bound on what a tampered form can make us build.
MAX_ROWS = 100
SECTION_FORMS = {"points": PointForm, "levels": LevelForm, "exemplars": ExemplarForm}
NEW_EXTRA = {"points": 3, "levels": 3, "exemplars": 1}
EDIT_EXTRA = {"points": 1, "levels": 1, "exemplars": 1}
ROW_FIELDS = {
    "points": ("id", "text", "marks", "alternatives"),
    "levels": ("id", "min_marks", "max_marks", "descriptor"),
    "exemplars": ("id", "level", "mark", "text", "commentary"),
}


class SchemeRowFormSet(BaseFormSet):
    """Rows of a mark scheme: stored rows (with an id) first, then new ones.

    Only stored rows count as "initial": new rows, even when re-shown with what the teacher
    typed, stay optional, so a blank one is ignored instead of being an error.
    """

    def initial_form_count(self) -> int:
        if self.is_bound:
            return super().initial_form_count()
        return sum(1 for row in self.initial or [] if row.get("id"))

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return min(len(self.initial or []) + self.extra, self.max_num)


def _formset(section: str, extra: int, **kwargs):
    factory = formset_factory(
        SECTION_FORMS[section],
        formset=SchemeRowFormSet,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
    )
    return factory(**kwargs)


class QuestionEditor:
    """A question form with the formsets of its mark scheme, under one prefix.

    Build it with `blank`, `for_question`, `bound` or `with_added_row`.
    """

    # A new question's editor starts folded away on the editor page; open after a request.
    open = False

    def __init__(
        self,
        *,
        prefix: str,
        passages,
        question: Question | None,
        data=None,
        initial=None,
        rows=None,
        extra=None,
    ):
        self.prefix = prefix
        self.question = question
        rows = rows or {section: [] for section in SECTIONS}
        extra = extra or (EDIT_EXTRA if question else NEW_EXTRA)
        self.form = QuestionForm(data, prefix=prefix, initial=initial, passages=passages)
        self.level_rows = (
            self._total(data, "levels")
            if data is not None
            else len(rows["levels"]) + extra["levels"]
        )
        self.formsets = {}
        for section in SECTIONS:
            kwargs = {"prefix": f"{prefix}-{section}"}
            if section == "exemplars":
                kwargs["form_kwargs"] = {"level_count": max(self.level_rows, 1)}
            if data is not None:
                self.formsets[section] = _formset(section, 0, data=data, **kwargs)
            else:
                self.formsets[section] = _formset(
                    section, extra[section], initial=rows[section], **kwargs
                )
        self.section_errors: dict[str, list[str]] = {section: [] for section in SECTIONS}
        self.needs_confirmation: tuple[int, int] | None = None

    def _total(self, data, section: str) -> int:
        try:
            total = int(data.get(f"{self.prefix}-{section}-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            return 0
        return max(0, min(total, MAX_ROWS))

    @property
    def points(self):
        return self.formsets["points"]

    @property
    def levels(self):
        return self.formsets["levels"]

    @property
    def exemplars(self):
        return self.formsets["exemplars"]

    @property
    def scheme_kind(self) -> str:
        if self.form.is_bound:
            return self.form.data.get(f"{self.prefix}-scheme_kind") or Question.SchemeKind.POINTS
        return self.form.initial.get("scheme_kind") or Question.SchemeKind.POINTS

    # Builders

    @classmethod
    def blank(cls, *, task: Task, prefix: str = "new", passages=None) -> "QuestionEditor":
        passages = passages if passages is not None else list(passages_for_task(task))
        return cls(prefix=prefix, passages=passages, question=None, initial=None)

    @classmethod
    def for_question(cls, question: Question, *, passages=None) -> "QuestionEditor":
        if passages is None:
            passages = list(passages_for_task(question.task))
        scheme = scheme_of(question)
        initial = {
            "prompt": question.prompt,
            "max_marks": question.max_marks,
            "answer_type": question.answer_type,
            "scheme_kind": question.scheme_kind,
            "marks_per_point": question.marks_per_point,
            "guidance": question.guidance,
            "linked_passages": [p.id for p in question.linked_passages.all()],
        }
        rows = {
            "points": [
                {"id": p.id, "text": p.text, "marks": p.marks, "alternatives": p.alternatives}
                for p in scheme.points
            ],
            "levels": [
                {
                    "id": level.id,
                    "min_marks": level.min_marks,
                    "max_marks": level.max_marks,
                    "descriptor": level.descriptor,
                }
                for level in scheme.levels
            ],
            "exemplars": [
                {
                    "id": e.id,
                    "level": e.level,
                    "mark": e.mark,
                    "text": e.text,
                    "commentary": e.commentary,
                }
                for e in scheme.exemplars
            ],
        }
        return cls(
            prefix=f"q{question.pk}",
            passages=passages,
            question=question,
            initial=initial,
            rows=rows,
        )

    @classmethod
    def bound(cls, data, *, task: Task, question: Question | None, prefix: str, passages=None):
        passages = passages if passages is not None else list(passages_for_task(task))
        return cls(prefix=prefix, passages=passages, question=question, data=data)

    @classmethod
    def with_added_row(
        cls, data, section: str, *, task: Task, question: Question | None, prefix: str
    ) -> "QuestionEditor":
        """The editor as typed, unvalidated, with one more empty row in `section`.

        Built unbound from the raw values, so adding a row shows no errors yet.
        """
        passages = list(passages_for_task(task))
        field_names = [
            "prompt",
            "max_marks",
            "answer_type",
            "scheme_kind",
            "marks_per_point",
            "guidance",
        ]
        initial = {name: data.get(f"{prefix}-{name}", "") for name in field_names}
        initial["linked_passages"] = data.getlist(f"{prefix}-linked_passages")
        rows = {}
        extra = {}
        editor_prefix = prefix
        for name in SECTIONS:
            row_prefix = f"{editor_prefix}-{name}"
            try:
                total = max(0, min(int(data.get(f"{row_prefix}-TOTAL_FORMS", 0)), MAX_ROWS))
            except (TypeError, ValueError):
                total = 0
            rows[name] = []
            for i in range(total):
                row = {f: data.get(f"{row_prefix}-{i}-{f}", "") for f in ROW_FIELDS[name]}
                if data.get(f"{row_prefix}-{i}-DELETE"):
                    row["DELETE"] = True
                rows[name].append(row)
            extra[name] = 1 if name == section else 0
        editor = cls(
            prefix=prefix,
            passages=passages,
            question=question,
            initial=initial,
            rows=rows,
            extra=extra,
        )
        new_row = editor.formsets[section].forms[-1]
        first_field = {"points": "text", "levels": "min_marks", "exemplars": "mark"}[section]
        new_row.fields[first_field].widget.attrs["autofocus"] = True
        return editor

    # Validation

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        kind = self.form.cleaned_data.get("scheme_kind") if valid else self.scheme_kind
        # Only the formsets of the chosen kind must be valid: a teacher switching a question
        # from points to levels should not be stopped by the points left behind.
        for section in SECTIONS:
            if section == "points" and kind != Question.SchemeKind.POINTS:
                continue
            if section == "levels" and kind != Question.SchemeKind.LEVELS:
                continue
            valid = self.formsets[section].is_valid() and valid
        if not valid:
            return False
        scheme, errors = self._scheme()
        errors += mark_schemes.validate_scheme(scheme) if scheme else []
        if errors:
            self._apply(errors)
            return False
        self.scheme = scheme
        return True

    def _kept(self, section: str) -> list[forms.Form]:
        """The rows that are part of the scheme: filled in and not marked for removal."""
        formset = self.formsets[section]
        return [
            form
            for form in formset.forms
            if form.has_changed() and not (formset.can_delete and formset._should_delete_form(form))
        ]

    def _scheme(self) -> tuple[Scheme | None, list]:
        data = self.form.cleaned_data
        kind = data["scheme_kind"]
        self._rows = {
            "points": self._kept("points") if kind == Question.SchemeKind.POINTS else [],
            "levels": self._kept("levels") if kind == Question.SchemeKind.LEVELS else [],
            "exemplars": self._kept("exemplars"),
        }
        # Exemplars name a level by the row it was shown in; removing a row renumbers those
        # after it.
        level_forms = self.levels.forms
        renumber = {
            level_forms.index(form) + 1: new for new, form in enumerate(self._rows["levels"], 1)
        }
        errors = []
        exemplars = []
        for i, form in enumerate(self._rows["exemplars"]):
            shown = form.cleaned_data.get("level")
            level = None
            if kind == Question.SchemeKind.LEVELS and shown is not None:
                level = renumber.get(shown)
                if level is None:
                    errors.append(
                        mark_schemes.SchemeError(
                            "exemplars",
                            i,
                            "level",
                            f"Level {shown} is not in the scheme you are saving; choose "
                            "another level.",
                        )
                    )
                    level = shown
            exemplars.append(
                ExemplarSpec(
                    text=form.cleaned_data["text"],
                    mark=form.cleaned_data["mark"],
                    level=level,
                    commentary=form.cleaned_data.get("commentary", ""),
                    id=form.cleaned_data.get("id"),
                )
            )
        scheme = Scheme(
            kind=kind,
            max_marks=data["max_marks"],
            marks_per_point=data.get("marks_per_point") or 1,
            guidance=data.get("guidance", ""),
            points=[
                PointSpec(
                    text=f.cleaned_data["text"],
                    marks=f.cleaned_data["marks"],
                    alternatives=f.cleaned_data.get("alternatives", ""),
                    id=f.cleaned_data.get("id"),
                )
                for f in self._rows["points"]
            ],
            levels=[
                LevelSpec(
                    min_marks=f.cleaned_data["min_marks"],
                    max_marks=f.cleaned_data["max_marks"],
                    descriptor=f.cleaned_data["descriptor"],
                    id=f.cleaned_data.get("id"),
                )
                for f in self._rows["levels"]
            ],
            exemplars=exemplars,
        )
        # A renumbering error is final: the validator would repeat it less helpfully.
        if errors:
            return None, errors
        return scheme, errors

    def _apply(self, errors) -> None:
        for error in errors:
            if error.section == "question":
                field = {"kind": "scheme_kind"}.get(error.field, error.field)
                self.form.add_error(field if field in self.form.fields else None, error.message)
            elif error.index is None:
                self.section_errors[error.section].append(error.message)
            else:
                form = self._rows[error.section][error.index]
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)

    def apply_errors(self, errors) -> None:
        """Put a service's scheme errors back on the fields (after is_valid)."""
        self._apply(errors)

    @property
    def cleaned(self) -> dict:
        return self.form.cleaned_data

    def has_errors(self) -> bool:
        if self.form.errors or any(self.section_errors.values()):
            return True
        formsets = self.formsets.values()
        if any(formset.is_bound and formset.non_form_errors() for formset in formsets):
            return True
        return any(any(form.errors for form in formset.forms) for formset in formsets)

    def level_numbers(self) -> list[int]:
        return list(range(1, self.level_rows + 1))
