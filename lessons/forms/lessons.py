"""Forms of the lessons area: importing, lesson details, passages and annotations."""

from django import forms
from django.core.exceptions import ValidationError

from ..models import Annotation, Lesson, Passage
from ..services.anchoring import (
    AmbiguousQuote,
    QuoteNotFound,
    locate_quote,
    normalise_passage_text,
)
from ..services.importer import DEFAULT_FURNITURE_RULES, check_length, read_upload
from ..services.lessons import LESSON_DETAIL_FIELDS
from .evidence import TopicFields

MAX_NOTE_CHARS = 5000
# The review form carries every proposed passage; more than this is not one lesson.
MAX_PASSAGES = 200


class LessonDetailsForm(forms.ModelForm):
    source_url = forms.URLField(
        label="URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where the text was found, if it is online.",
    )

    class Meta:
        model = Lesson
        fields = LESSON_DETAIL_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "attribution_note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "summary": "One or two sentences teachers read in the library.",
            "author": "Leave empty if the source names no author.",
            "source_date": "As precise as the source says: 1959, July 1959, 2 June 2020.",
            "attribution_note": "Where it comes from, how we know, anything odd about it.",
        }


class ImportSourceForm(forms.Form):
    """Step one of a new lesson: pasted text or a file, and the furniture rules."""

    text = forms.CharField(
        label="Paste the text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text=".txt, .md or .docx, at most 5 MB. The file is read, not kept.",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.docx"}),
    )
    rules = forms.CharField(
        label="Page furniture rules",
        required=False,
        initial=DEFAULT_FURNITURE_RULES,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Lines these rules match are removed before the text is split.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        text = cleaned.get("text") or ""
        if upload and text.strip():
            self.add_error("text", "Paste a text or upload a file, not both.")
            return cleaned
        if upload:
            try:
                cleaned["source"] = read_upload(upload)
            except ValidationError as error:
                self.add_error("file", error)
                return cleaned
            field = "file"
        elif text.strip():
            cleaned["source"] = text
            field = "text"
        else:
            self.add_error("text", "Paste the text of the lesson, or upload a file.")
            return cleaned
        try:
            check_length(cleaned["source"])
        except ValidationError as error:
            self.add_error(field, error)
        return cleaned


class ReviewSourceForm(forms.Form):
    """The review step's own fields: the original text (to split again) and the rules."""

    source = forms.CharField(widget=forms.HiddenInput, strip=False, required=False)
    rules = ImportSourceForm.base_fields["rules"]

    def clean_source(self):
        source = self.cleaned_data["source"]
        check_length(source)
        return source


class ReviewPassageForm(forms.Form):
    heading = forms.CharField(label="Heading", required=False, max_length=300)
    kind = forms.ChoiceField(label="Kind", choices=Passage.Kind.choices, initial="text")
    text = forms.CharField(
        label="Text", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def clean_text(self):
        return normalise_passage_text(self.cleaned_data["text"])


ReviewPassageFormSet = forms.formset_factory(
    ReviewPassageForm,
    extra=0,
    max_num=MAX_PASSAGES,
    validate_max=True,
    absolute_max=MAX_PASSAGES,
)


class PassageForm(forms.Form):
    heading = forms.CharField(label="Heading", required=False, max_length=300)
    kind = forms.ChoiceField(label="Kind", choices=Passage.Kind.choices)
    text = forms.CharField(
        label="Text",
        strip=False,
        error_messages={"required": "A passage needs some text."},
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Plain text; leave a blank line between paragraphs. Notes on this passage "
        "move with their words; a note whose words are gone is kept and listed for you to "
        "re-attach.",
    )

    def clean_text(self):
        text = normalise_passage_text(self.cleaned_data["text"])
        if not text:
            raise ValidationError("A passage needs some text.")
        check_length(text)
        return text


class PassageEditForm(PassageForm):
    """A passage edit, with the version of the passage it was based on."""

    version = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date: open the passage again to edit it.",
            "invalid": "This form is out of date: open the passage again to edit it.",
        },
    )


class PassageAddForm(PassageForm):
    """A new passage for a lesson, placed after one of its passages or at the end."""

    after = forms.TypedChoiceField(label="Place it", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, passages, **kwargs):
        super().__init__(*args, **kwargs)
        self.passages = {p.pk: p for p in passages}
        self.fields["kind"].initial = Passage.Kind.TEXT
        self.fields["text"].help_text = "Plain text; leave a blank line between paragraphs."
        self.fields["after"].choices = [("", "At the end")] + [
            (p.pk, f"After passage {n}" + (f": {p.heading}" if p.heading else ""))
            for n, p in enumerate(passages, start=1)
        ]

    def clean_after(self):
        pk = self.cleaned_data["after"]
        return None if pk is None else self.passages[pk]


class QuoteFields(forms.Form):
    """The words a note is on: selected in the text (JavaScript fills start and end), or
    typed, with which occurrence when they appear more than once."""

    quote = forms.CharField(
        label="Words in the text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "quote-input"}),
        help_text="Select them in the passage, or type or paste them exactly.",
    )
    occurrence = forms.IntegerField(
        label="Which occurrence",
        required=False,
        min_value=1,
        help_text="Only if the words appear more than once: 1 for the first.",
        widget=forms.NumberInput(attrs={"class": "occurrence-input"}),
    )
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, passage: Passage, **kwargs):
        super().__init__(*args, **kwargs)
        self.passage = passage

    def clean(self):
        cleaned = super().clean()
        if "quote" not in cleaned:
            return cleaned
        try:
            cleaned["start"], cleaned["end"] = locate_quote(
                self.passage.text,
                cleaned["quote"],
                start=cleaned.get("start"),
                end=cleaned.get("end"),
                occurrence=cleaned.get("occurrence"),
            )
        except QuoteNotFound as error:
            field = "occurrence" if isinstance(error, AmbiguousQuote) else "quote"
            self.add_error(field, str(error))
        return cleaned


class AnnotationForm(QuoteFields, TopicFields):
    kind = forms.ChoiceField(label="Kind of note", choices=Annotation.Kind.choices)
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a key term, the definition: it goes into the glossary.",
    )

    field_order = ["quote", "occurrence", "kind", "note", "topic", "new_topic", "start", "end"]


class AnnotationEditForm(TopicFields):
    kind = forms.ChoiceField(label="Kind of note", choices=Annotation.Kind.choices)
    note = forms.CharField(
        label="Note", max_length=MAX_NOTE_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = ["kind", "note", "topic", "new_topic"]


class ReattachForm(QuoteFields):
    pass
