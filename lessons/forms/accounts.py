from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.urls import reverse

from ..models import SchoolClass, User
from ..services.classes import JoinError, check_join_code


class PasswordErrorsAtTheFirstField:
    """A weak password is reported at the field where it was chosen, not at the repeat."""

    def validate_password_for_user(self, user, **kwargs):
        super().validate_password_for_user(user, password_field_name="password1")


class TeacherSignUpForm(PasswordErrorsAtTheFirstField, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["full_name"].label = "Your name"
        self.fields["full_name"].help_text = 'As students will see it, e.g. "Ms Khan".'
        self.fields["email"].required = True
        self.fields["email"].help_text = "Used only to reset your password if you forget it."


class StudentSignUpForm(PasswordErrorsAtTheFirstField, UserCreationForm):
    """A student account: a username and a password, no e-mail address needed."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "username"
        ].help_text = "Choose one you will remember: letters and digits, no spaces."
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["full_name"].label = "Your name (optional)"
        self.fields["full_name"].help_text = "So your teacher knows who you are."
        self.fields["password1"].label = "Choose a password"
        self.fields["password2"].label = "Type the password again"
        self.fields["password2"].help_text = ""


class JoinLoginForm(AuthenticationForm):
    """Log in on the join page; it appears while the code is being typed, so no autofocus."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=20,
        help_text="Six letters and digits from your teacher, e.g. K7MP3X.",
        error_messages={"required": "Type the join code your teacher gave you."},
    )

    def __init__(self, *args, check_as_you_type: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.school_class: SchoolClass | None = None
        attrs = self.fields["code"].widget.attrs
        attrs.update(
            {
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "join-code-input",
            }
        )
        if check_as_you_type:
            # The same URL answers with a partial that names the class, or says the code is wrong.
            attrs.update(
                {
                    "hx-get": reverse("join"),
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": check_as_you_type,
                    "hx-swap": "innerHTML",
                    "aria-controls": check_as_you_type.lstrip("#"),
                }
            )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        try:
            self.school_class = check_join_code(code=code)
        except JoinError as error:
            raise forms.ValidationError(str(error), code="bad_join_code") from None
        return code
