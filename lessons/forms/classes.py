from django import forms

from ..services.classes import MAX_NAME_LENGTH, MAX_NAMES_AT_ONCE, parse_names


class ClassNameForm(forms.Form):
    name = forms.CharField(
        label="Class name",
        max_length=100,
        help_text='As students will see it, e.g. "10B History".',
        error_messages={"required": "Give the class a name."},
    )


class AddStudentsForm(forms.Form):
    names = forms.CharField(
        label="Students' names",
        required=False,
        strip=False,
        # No wrapping, so that "line 7" in an error is the seventh line the teacher sees.
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "wrap": "off"}),
        help_text=(
            f"One name per line, up to {MAX_NAMES_AT_ONCE} at a time and "
            f"{MAX_NAME_LENGTH} characters each. You can paste a column from a spreadsheet."
        ),
    )

    def clean_names(self) -> str:
        # parse_names raises a ValidationError naming every bad line, shown at the field.
        parse_names(self.cleaned_data["names"])
        return self.cleaned_data["names"]
