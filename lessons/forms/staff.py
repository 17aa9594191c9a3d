from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator

from ..services.school import available_time_zones


class TeacherForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="What they type to log in: letters, digits and @ . + - _ only.",
    )
    full_name = forms.CharField(label="Name", max_length=150, help_text="As pupils see it.")
    email = forms.EmailField(
        label="E-mail", required=False, help_text="Optional: for resetting a forgotten password."
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("There is already an account with this username.")
        return username


SIGNUP_CHOICES = [("", "Use the server's default"), ("yes", "Allowed"), ("no", "Not allowed")]


class SchoolSettingsForm(forms.Form):
    allow_teacher_signup = forms.ChoiceField(
        label="Teacher sign-up",
        choices=SIGNUP_CHOICES,
        required=False,
        help_text="Whether anyone may create a teacher account at the sign-up page.",
    )
    school_name = forms.CharField(
        max_length=100,
        required=False,
        help_text="Shown in the header and page titles. Leave empty for the server's default.",
    )
    time_zone = forms.ChoiceField(
        required=False,
        help_text="Due times are shown and entered in it. Empty: the server's default.",
    )

    def __init__(self, *args, defaults: dict, **kwargs):
        super().__init__(*args, **kwargs)
        signup_default = "allowed" if defaults["allow_teacher_signup"] else "not allowed"
        self.fields["allow_teacher_signup"].choices = [
            ("", f"Use the server's default ({signup_default})"),
            *SIGNUP_CHOICES[1:],
        ]
        self.fields["school_name"].widget.attrs["placeholder"] = defaults["school_name"]
        self.fields["time_zone"].choices = [
            ("", f"Use the server's default ({defaults['time_zone']})"),
            *((zone, zone) for zone in available_time_zones()),
        ]

    def cleaned_signup(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data["allow_teacher_signup"])


class EraseConfirmForm(forms.Form):
    username = forms.CharField(
        label="Type the student's username to confirm",
        max_length=150,
        help_text="This cannot be undone.",
    )

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"].strip()
        if typed != self.expected:
            raise forms.ValidationError(f"That is not {self.expected}; nothing was erased.")
        return typed
