"""Forms of the evidence area: quoting a source into an answer, key evidence of a question,
a question's comparison topic, new topics, and the topic of a teacher's claim.

Where the quoted words are is decided by services.evidence (the same rules for a selection
as for typed words); these forms only read what was sent.
"""

from collections.abc import Iterable

from django import forms

from ..models import Annotation, Passage, Topic
from ..services.evidence import MAX_DESCRIPTION_CHARS, MAX_QUOTE_CHARS, MAX_TOPIC_NAME_CHARS
from .tasks import passage_label


def passage_choices(passages: Iterable[Passage]) -> list:
    """Passages grouped by lesson, for a select."""
    groups: dict[int, tuple[str, list]] = {}
    for passage in passages:
        group = groups.setdefault(passage.lesson_id, (passage.lesson.title, []))
        group[1].append((passage.pk, passage_label(passage)))
    return [("", "Choose the passage…"), *groups.values()]


class QuoteForm(forms.Form):
    """The words of a passage to quote: selected (start and end filled by a script) or
    typed, with which occurrence when they appear more than once."""

    passage = forms.TypedChoiceField(
        label="Passage",
        coerce=int,
        error_messages={
            "required": "Choose the passage the words are from.",
            "invalid_choice": "Choose one of this task's passages.",
        },
    )
    words = forms.CharField(
        label="Exact words",
        required=False,
        strip=False,
        max_length=MAX_QUOTE_CHARS * 2,
        widget=forms.Textarea(attrs={"rows": 2, "class": "quote-words"}),
        help_text="Copy them from the passage exactly.",
    )
    occurrence = forms.IntegerField(
        label="Which occurrence",
        required=False,
        min_value=1,
        help_text="Only if the words appear more than once: 1 for the first.",
    )
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    # On a student's page these fields sit inside the answers form: a browser's "required"
    # check must never stop its Save buttons.
    use_required_attribute = False

    def __init__(self, *args, passages: Iterable[Passage], **kwargs):
        super().__init__(*args, **kwargs)
        self.passages = {passage.pk: passage for passage in passages}
        self.fields["passage"].choices = passage_choices(self.passages.values())

    @property
    def chosen_passage(self) -> Passage:
        return self.passages[self.cleaned_data["passage"]]

    def span_arguments(self) -> dict:
        """start, end, quote and occurrence, as services.evidence takes them."""
        data = self.cleaned_data
        return {
            "start": data.get("start"),
            "end": data.get("end"),
            "quote": data.get("words") or None,
            "occurrence": data.get("occurrence"),
        }

    def add_refusal(self, refusal) -> None:
        """Put a service's EvidenceRefused next to the field it is about."""
        field = refusal.field if refusal.field in self.fields else None
        self.add_error(field, refusal.message)


class EvidenceForm(QuoteForm):
    """A student's "Quote as evidence" under one question: prefix q<question id>-quote."""

    def __init__(self, *args, question_pk: int, **kwargs):
        super().__init__(*args, prefix=f"q{question_pk}-quote", **kwargs)


class KeyEvidenceForm(QuoteForm):
    description = forms.CharField(
        label="What it is evidence of",
        required=False,
        max_length=MAX_DESCRIPTION_CHARS,
        help_text="Shown to the marker, e.g. “the Lushan Conference, 1959”.",
    )

    field_order = ["passage", "words", "occurrence", "description", "start", "end"]

    def __init__(self, *args, question_pk: int, **kwargs):
        super().__init__(*args, prefix=f"key{question_pk}", **kwargs)


class QuestionTopicForm(forms.Form):
    topic = forms.ModelChoiceField(
        label="Compare the sources on",
        queryset=Topic.objects.order_by("name"),
        required=False,
        empty_label="Not a comparison question",
        help_text="Students see what each of the task's sources claims about it, side by side.",
    )

    def __init__(self, *args, question_pk: int, **kwargs):
        super().__init__(*args, prefix=f"topic{question_pk}", **kwargs)


class TopicForm(forms.Form):
    name = forms.CharField(label="Name", max_length=MAX_TOPIC_NAME_CHARS)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the sources disagree about, in a sentence.",
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Topic.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("There is already a topic of that name.")
        return name


class TopicFields(forms.Form):
    """A claim's topic (annotation forms): one of the list, or a new one named here.

    Only a claim has a topic: for other kinds of note the fields are ignored (the page hides
    them when another kind is chosen)."""

    topic = forms.ModelChoiceField(
        label="Topic",
        queryset=Topic.objects.order_by("name"),
        required=False,
        empty_label="No topic",
        help_text="Claims only: compare what the sources claim about it on its topic page.",
    )
    new_topic = forms.CharField(
        label="Or a new topic",
        required=False,
        max_length=MAX_TOPIC_NAME_CHARS,
        help_text="e.g. “Famine deaths”.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != Annotation.Kind.CLAIM:
            cleaned["topic"], cleaned["new_topic"] = None, ""
            return cleaned
        topic, new_topic = cleaned.get("topic"), " ".join(cleaned.get("new_topic", "").split())
        cleaned["new_topic"] = new_topic
        if topic is not None and new_topic and topic.name.casefold() != new_topic.casefold():
            self.add_error("new_topic", "Choose a topic from the list or name a new one, not both.")
        return cleaned


def share_topic_choices(forms_with_topics) -> None:
    """Give many note forms on one page the list of topics read once, not once per form."""
    forms_with_topics = [form for form in forms_with_topics if form is not None]
    if not forms_with_topics:
        return
    # A comprehension, not list(): list() would ask the iterator's length, a COUNT query.
    choices = [choice for choice in forms_with_topics[0].fields["topic"].choices]  # noqa: C416
    for form in forms_with_topics:
        form.fields["topic"].choices = choices
