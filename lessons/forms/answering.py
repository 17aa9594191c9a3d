"""The student's answer fields: one text and the version it was based on, per question.

Each question's fields carry the prefix "q<question id>" (q12-text, q12-version), so one
HTML form holds every answer of a task: autosave posts one question's fields, a plain form
post (no JavaScript) sends them all.
"""

from django import forms


def answer_prefix(question_pk: int) -> str:
    return f"q{question_pk}"


class AnswerForm(forms.Form):
    # No max_length here: too long is the service's refusal, with the text kept in the box.
    text = forms.CharField(
        label="Your answer",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, question_pk: int, **kwargs):
        super().__init__(*args, prefix=answer_prefix(question_pk), **kwargs)

    @property
    def was_posted(self) -> bool:
        """Whether the request carried this question's fields at all."""
        return self.is_bound and self.add_prefix("version") in self.data
