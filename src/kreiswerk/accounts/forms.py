import datetime

from django import forms
from django.contrib.auth import authenticate
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
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


def _text(value) -> str:
    """``{{ value|stringformat:'s' }}`` as Django's widget templates write it."""
    return value if isinstance(value, SafeData) else conditional_escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(localize(option['label']))}</option>\n"  # the included file's last newline
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_INPUT_TYPES = ("text", "date", "email", "number", "checkbox", "hidden", "password", "url", "tel", "search")
_WRITERS = {f"django/forms/widgets/{kind}.html": _input for kind in _INPUT_TYPES}
_WRITERS["django/forms/widgets/textarea.html"] = _textarea
_WRITERS["django/forms/widgets/select.html"] = _select


class WidgetRenderer(DjangoTemplates):
    """Django's form renderer, with its plain widget templates written in Python.

    The same HTML, character for character (tests/accounts/test_widget_renderer.py
    compares them); a page with a dozen inputs and select boxes spent a few
    milliseconds in those small templates, their includes and their loops over
    attributes. Everything else still goes through the templates.
    """

    def render(self, template_name, context, request=None):
        writer = _WRITERS.get(template_name)
        html = writer(context["widget"]) if writer is not None and "widget" in context else None
        return html if html is not None else super().render(template_name, context, request)


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
                # The bound field's id carries the form's prefix, as the templates' message ids do.
                field, auto_id = self.fields[name], self[name].auto_id
                attrs = field.widget.attrs
                attrs["aria-invalid"] = "true"
                described = [f"{auto_id}_helptext"] if field.help_text else []
                attrs["aria-describedby"] = " ".join([*described, f"{auto_id}_error"])
                if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                    attrs["class"] = "kern-form-check__input"
                elif isinstance(field.widget, forms.Select):
                    attrs["class"] = "kern-form-input__select"
                else:
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
