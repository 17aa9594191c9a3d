"""Forms of the marking pages. They read and type-check what was posted; the rules of the
mark scheme (ranges, levels, reasons) are checked by services.marking, whose errors the views
put back on the field they name."""

from django import forms

from ..models import Question
from ..services.marking import (
    MAX_COMMENT_CHARS,
    MAX_FEEDBACK_CHARS,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
)


class AnswerMarkForm(forms.Form):
    """The marking of one answer: the whole of it, sent by every autosave."""

    base_marking_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    answer_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    scheme_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    # "Keep mine" after a conflict: save on top of the version the other marker saved.
    overwrite_version = forms.IntegerField(min_value=0, required=False)
    credited_points = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Points credited",
        error_messages={
            "invalid_choice": "That point is not in this question's mark scheme. Reload the page."
        },
    )
    level = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={
            "invalid_choice": "That level is not in this question's mark scheme. Reload the page."
        },
    )
    mark = forms.IntegerField(
        required=False, error_messages={"invalid": "Enter the mark as a whole number."}
    )
    adjustment_reason = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_REASON_CHARS,
        label="Reason for the adjusted mark",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    feedback = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_FEEDBACK_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["credited_points"].choices = [
            (point.id, point.text) for point in question.indicative_points.all()
        ]
        self.fields["level"].choices = [("", "No level")] + [
            (level.id, str(level)) for level in question.levels.all()
        ]

    @property
    def base_version(self) -> int:
        """The version this save is based on: the page's, or the one "keep mine" names."""
        overwrite = self.cleaned_data.get("overwrite_version")
        return overwrite if overwrite is not None else self.cleaned_data["base_marking_version"]

    def first_error(self) -> tuple[str | None, str]:
        for name, errors in self.errors.items():
            return (None if name == "__all__" else name), errors[0]
        return None, ""


class OverallFeedbackForm(forms.Form):
    base_feedback_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    overwrite_version = forms.IntegerField(min_value=0, required=False)
    overall_feedback = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_FEEDBACK_CHARS,
        label="Overall comment",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    @property
    def base_version(self) -> int:
        overwrite = self.cleaned_data.get("overwrite_version")
        return overwrite if overwrite is not None else self.cleaned_data["base_feedback_version"]


class ReturnForm(forms.Form):
    note = forms.CharField(
        max_length=MAX_NOTE_CHARS,
        label="Note to the student",
        help_text="What to improve. The student sees it above their answers.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a note telling the student what to improve."},
    )


class ReleaseForm(forms.Form):
    which = forms.ChoiceField(
        choices=[
            ("marked", "Only the fully marked work"),
            ("all", "All submitted work, marked or not"),
        ],
        initial="marked",
        widget=forms.RadioSelect,
        label="Release marks for",
        error_messages={"required": "Choose which work to release."},
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_COMMENT_CHARS,
        label="New comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the comment to save."},
    )
