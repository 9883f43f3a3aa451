import datetime

from django import forms
from django.contrib.auth import authenticate
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

# Longer passwords are refused before hashing; nobody types more, and it caps the work.
PASSWORD_MAX_LENGTH = 1024


DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]

# Records exist only in this range; far dates would overflow date arithmetic.
DATE_VALIDATORS = [
    MinValueValidator(datetime.date(2000, 1, 1), message=_("Bitte wählen Sie ein Datum ab dem Jahr 2000.")),
    MaxValueValidator(datetime.date(2999, 12, 31), message=_("Bitte wählen Sie ein Datum vor dem Jahr 3000.")),
]


def date_field(label, *, required: bool = True) -> forms.DateField:
    """A date input for staff forms: the browser's date picker, or typed as 31.12.2026."""
    return forms.DateField(
        label=label,
        required=required,
        validators=DATE_VALIDATORS,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def check_period(form: forms.Form, start: str, end: str) -> None:
    """Mark ``end`` invalid when it lies before ``start`` (both optional date fields)."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and first > last:
        form.add_error(end, _("Das Ende des Zeitraums darf nicht vor seinem Anfang liegen."))


class KernForm(forms.Form):
    """KERN input classes, and each invalid input pointed at its message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "kern-form-input__input")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_error"
                attrs["class"] = "kern-form-input__input kern-form-input__input--error"


class LoginForm(KernForm):
    username = forms.CharField(
        label=_("Benutzername"),
        max_length=150,
        error_messages={"required": _("Bitte geben Sie Ihren Benutzernamen ein.")},
    )
    password = forms.CharField(
        label=_("Passwort"),
        widget=forms.PasswordInput,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"required": _("Bitte geben Sie Ihr Passwort ein.")},
    )

    error_messages = {
        "invalid": _("Benutzername oder Passwort ist falsch."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none", spellcheck="false")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")
        # The browser must not cut a password short; the limit is checked on the server.
        self.fields["password"].widget.attrs.pop("maxlength", None)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None or not self.user.is_active:
                self.user = None
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return self.cleaned_data


class TokenForm(KernForm):
    token = forms.CharField(
        label=_("Sechsstelliger Code aus Ihrer Authenticator-App"),
        max_length=20,
        error_messages={
            "required": _("Bitte geben Sie den sechsstelligen Code ein."),
            "max_length": _("Bitte geben Sie den sechsstelligen Code ein."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.update(autocomplete="one-time-code", inputmode="numeric", spellcheck="false")

    def clean_token(self) -> str:
        # Apps show the code as "123 456"; spaces typed or pasted along are fine.
        token = "".join(self.cleaned_data["token"].split())
        if len(token) != 6 or not token.isascii() or not token.isdigit():
            raise forms.ValidationError(_("Bitte geben Sie den sechsstelligen Code ein."), code="invalid")
        return token
