from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.api_scopes import scope_choices
from accounts.models import MEASURE_CHOICES, Membership, Organization, Role, SsoProvider, Team
from accounts.scoping import OrgContext
from accounts.selectors import measure_choices, metric_choices, survey_language_choices, timezone_choices
from accounts.services import primary_measure_for
from core.currencies import currency_choices
from core.forms import BootstrapFormMixin


class TeamForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "description", "lead"]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["lead"].queryset = (
            get_user_model().objects.filter(memberships__organization=ctx.organization).order_by("username")
        )
        self._ctx = ctx

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        qs = Team.objects.for_org(self._ctx.organization).filter(name__iexact=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("A team with this name already exists."))
        return name


class MemberForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, ctx: OrgContext, with_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.for_org(ctx.organization)
        if not with_email:
            del self.fields["email"]


class ApiKeyForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("What the key is used for, e.g. 'CRM sync'."))
    read_only = forms.BooleanField(
        label=_("Read only"), required=False, help_text=_("The key may read but never create, change or delete.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Areas"),
        choices=scope_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("The API areas the key may use; none ticked: every area."),
    )


class SignInForm(AuthenticationForm):
    """The password sign-in; refused (after the password is right) for members of an organization that requires
    single sign-on."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        required = (
            SsoProvider.objects.filter(
                organization_id__in=Membership.objects.filter(user=user).values("organization_id"),
                enabled=True,
                sso_required=True,
            )
            .select_related("organization")
            .first()
        )
        if required is not None:
            raise forms.ValidationError(
                _("%(org)s signs in with single sign-on only: use 'Sign in with your organization's SSO' below."),
                code="sso_required",
                params={"org": required.organization.name},
            )


class SsoLookupForm(BootstrapFormMixin, forms.Form):
    organization = forms.CharField(
        label=_("Organization or work e-mail"),
        max_length=254,
        help_text=_("Your organization's short name (e.g. acme) or your work e-mail address."),
    )


class TwoFactorCodeForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
    )


class SsoProviderForm(BootstrapFormMixin, forms.ModelForm):
    """An organization's OpenID Connect provider; the client secret is never shown back (empty keeps it)."""

    issuer = forms.URLField(label=_("Issuer URL"), max_length=300, assume_scheme="https")

    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored secret."),
    )
    allowed_domains = forms.CharField(
        label=_("Allowed e-mail domains"),
        required=False,
        help_text=_("Comma-separated, e.g. example.com, example.se. Required to add members on first sign-in."),
    )

    class Meta:
        model = SsoProvider
        fields = list(SsoProvider.SETTINGS_FIELDS)

    def __init__(self, *args, signed_in_through_it: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._signed_in_through_it = signed_in_through_it
        if self.instance.pk:
            self.initial["allowed_domains"] = ", ".join(self.instance.allowed_domains)
        self.fields["sso_required"].help_text = _(
            "Members may then sign in only through this provider. Turn it on after you have signed in with it once."
        )

    def clean_allowed_domains(self):
        raw = self.cleaned_data.get("allowed_domains") or ""
        domains = sorted({d.strip().lower().lstrip("@") for d in raw.replace(";", ",").split(",") if d.strip()})
        bad = [d for d in domains if "." not in d or " " in d or "@" in d]
        if bad:
            raise forms.ValidationError(_("Not a domain: %(bad)s") % {"bad": ", ".join(bad)})
        return domains

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("client_secret"):
            self.add_error("client_secret", _("Enter the client secret."))
        if data.get("trust_unmarked_email") and not data.get("allowed_domains"):
            self.add_error("allowed_domains", _("Name the e-mail domains whose unmarked addresses may be trusted."))
        if data.get("create_members") and not data.get("allowed_domains"):
            self.add_error("allowed_domains", _("Name the e-mail domains whose people may be added on first sign-in."))
        newly_required = data.get("sso_required") and not (self.instance.pk and self.instance.sso_required)
        if newly_required and not self._signed_in_through_it:
            self.add_error(
                "sso_required",
                _("Sign in once with this provider first (so that a wrong setting cannot lock everyone out)."),
            )
        return data

    def _post_clean(self):
        pass  # the service validates the provider (accounts.services.sso_provider_save)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class MeasureField(forms.ChoiceField):
    """A measure select that shows the chosen metric's measures but accepts any known measure, so that the form's
    clean() can say what the scale has ("NPS has no mean figure") instead of "select a valid choice"."""

    def valid_value(self, value) -> bool:
        return value in {code for code, _label in MEASURE_CHOICES} | {"nps"}


class OrganizationForm(BootstrapFormMixin, forms.ModelForm):
    """Create an organization or change its settings (the slug is made from the name and never edited here).

    The primary metric offers the organization's metric keys (accounts.selectors.metric_choices); the measure
    offers only what the chosen metric's scale has, refreshed by htmx when the metric changes and checked again
    on the server (accounts.services)."""

    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices())
    timezone = forms.ChoiceField(label=_("Time zone"))
    languages = forms.MultipleChoiceField(
        label=_("Survey languages"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("The languages respondents can answer in."),
    )
    primary_metric = forms.ChoiceField(
        label=_("Primary metric"), help_text=_("The dashboards, the value model and improvement actions use it.")
    )
    primary_measure = MeasureField(label=_("Measure"), required=False)
    min_n = forms.IntegerField(
        label=_("Minimum n"),
        min_value=1,
        max_value=100000,
        help_text=_("Figures based on fewer responses are shown as insufficient, and no change is called significant."),
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "currency",
            "timezone",
            "default_language",
            "languages",
            "primary_metric",
            "primary_measure",
            "min_n",
            "survey_quarantine_days",
            "require_two_factor_for_admins",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        org = self.instance if self.instance.pk else None
        self.fields["timezone"].choices = timezone_choices(current=org.timezone if org else "")
        self.fields["languages"].choices = survey_language_choices()
        self.fields["primary_metric"].choices = metric_choices(
            organization=org, current=org.primary_metric if org else ""
        )
        if org is None:
            del self.fields["survey_quarantine_days"]
            del self.fields["require_two_factor_for_admins"]
            self.initial.setdefault("timezone", "Europe/Stockholm")
            self.initial.setdefault("currency", "SEK")
            self.initial.setdefault("languages", list(settings.SURVEY_LANGUAGES))
            self.initial.setdefault("min_n", 30)
        elif not org.languages:
            self.initial["languages"] = list(settings.SURVEY_LANGUAGES)  # [] means all of them
        metric = self.data.get("primary_metric") if self.is_bound else None
        metric = metric or self.initial.get("primary_metric") or (org.primary_metric if org else "nps")
        self.fields["primary_measure"].choices = measure_choices(metric) or measure_choices("nps")
        self.fields["primary_metric"].widget.attrs.update(measure_refresh_attrs("primary_metric", "id_primary_measure"))

    def clean(self):
        data = super().clean()
        metric, measure = data.get("primary_metric"), data.get("primary_measure") or ""
        if metric:
            try:
                data["primary_measure"] = primary_measure_for(metric, measure)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
        return data

    def _post_clean(self):
        pass  # the service validates the whole organization (accounts.services.organization_create/update)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def measure_refresh_attrs(param: str, target_id: str) -> dict:
    """htmx attributes for a metric select: on change, reload the measure select's options for that metric."""
    return {
        "hx-get": reverse_lazy("accounts:measure_options"),
        "hx-trigger": "change",
        "hx-target": f"#{target_id}",
        "hx-swap": "innerHTML",
        "hx-vals": f'{{"param": "{param}"}}',
    }


class ProfileForm(BootstrapFormMixin, forms.Form):
    """The user's own settings: the language of the staff UI ("Browser default" follows Accept-Language)."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Browser default: the language your browser asks for (English if we do not offer it)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser default")), *language_choices()]


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name ("Svenska", "Norsk (bokmål)"), as language pickers do: anyone finds theirs."""
    from django.utils.translation import get_language_info

    choices = []
    for code, _name in settings.LANGUAGES:
        local = get_language_info(code)["name_local"]
        choices.append((code, local[:1].upper() + local[1:]))
    return choices


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the e-mail is written in the account's saved language (the browser's otherwise)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        from django.utils import translation

        from accounts.selectors import saved_languages

        user = context.get("user")
        language = saved_languages([user.pk]).get(user.pk) if user is not None else None
        with translation.override(language or translation.get_language()):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
