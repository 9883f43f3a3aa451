from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

# Longer passwords are refused before hashing; nobody types more, and it caps the work.
PASSWORD_MAX_LENGTH = 1024


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
