from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from core.scales import validate_rating_bounds
from surveys.builder import selectors
from surveys.builder.services import CODE_RE
from surveys.models import Question, Survey
from surveys.public.language import language_choices, language_name

TEXT_MAX = 1000


class SurveyForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Survey.Kind.choices)
    touchpoints = forms.ModelMultipleChoiceField(
        label=_("Touchpoints"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where this survey is asked: each touchpoint gets its own link and QR code."),
    )
    journey = forms.ModelChoiceField(label=_("Journey"), queryset=None, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=language_choices, widget=forms.CheckboxSelectMultiple
    )
    default_language = forms.ChoiceField(
        label=_("Fallback language"),
        choices=language_choices,
        help_text=_("Shown when a text is missing in the respondent's language."),
    )
    reminder_count = forms.IntegerField(label=_("Reminders"), min_value=0, max_value=5, initial=1)
    reminder_delay_days = forms.IntegerField(label=_("Days between reminders"), min_value=1, max_value=30, initial=3)
    invitation_expiry_days = forms.IntegerField(
        label=_("Invitation valid (days)"), min_value=1, max_value=180, initial=14
    )

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["touchpoints"].queryset = selectors.touchpoint_choices(ctx=ctx)
        self.fields["touchpoints"].label_from_instance = lambda tp: tp.name
        self.fields["journey"].queryset = selectors.journey_choices(ctx=ctx)
        for name in ("touchpoints", "languages"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def touchpoint_groups(self) -> list[dict]:
        """The touchpoint checkboxes grouped by journey (in the queryset's order), each with its search text."""
        groups: dict[int, dict] = {}
        for option in self["touchpoints"]:
            tp = option.data["value"].instance
            group = groups.setdefault(tp.journey_id, {"journey": tp.journey.name, "options": []})
            option.stage = tp.stage.name
            option.search = f"{tp.journey.name} {tp.stage.name} {tp.name}"
            group["options"].append(option)
        return list(groups.values())

    @classmethod
    def initial_for(cls, survey: Survey) -> dict:
        return {
            "name": survey.name,
            "kind": survey.kind,
            "touchpoints": list(survey.touchpoints.all()),
            "journey": survey.journey,
            "languages": survey.languages,
            "default_language": survey.default_language,
            "reminder_count": survey.reminder_count,
            "reminder_delay_days": survey.reminder_delay_days,
            "invitation_expiry_days": survey.invitation_expiry_days,
        }

    def clean(self):
        data = super().clean()
        if data.get("kind") == Survey.Kind.JOURNEY and not data.get("journey"):
            self.add_error("journey", _("A journey survey needs a journey."))
        languages, fallback = data.get("languages") or [], data.get("default_language")
        if fallback and languages and fallback not in languages:
            self.add_error("default_language", _("The fallback language must be one of the survey's languages."))
        return data


class AddQuestionForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Question type"), choices=Question.Kind.choices)


class QuestionForm(BootstrapFormMixin, forms.Form):
    """Edit one question: a text per survey language, plus what its type needs (scale, options, follow-up)."""

    code = forms.CharField(
        label=_("Code"), max_length=50, help_text=_("Stable name used in reports and the API, e.g. nps, why.")
    )
    required = forms.BooleanField(label=_("Answer required"), required=False)
    scale_min = forms.IntegerField(label=_("Scale from"), min_value=-10, max_value=100, required=False)
    scale_max = forms.IntegerField(label=_("Scale to"), min_value=-10, max_value=100, required=False)
    follow_up_for = forms.ChoiceField(
        label=_("Follow-up to"),
        required=False,
        help_text=_("Shown after the respondent picks a score in that question."),
    )

    def __init__(self, *args, survey: Survey, question: Question, code_locked: bool, **kwargs):
        self.survey, self.question = survey, question
        super().__init__(*args, **kwargs)
        self.languages = list(survey.languages or [survey.default_language])
        for lang in self.languages:
            field = forms.CharField(
                label=_("Text (%(lang)s)") % {"lang": language_name(lang)},
                max_length=TEXT_MAX,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "lang": lang}),
            )
            field.widget.attrs["class"] = "form-control"
            self.fields[f"text_{lang}"] = field
            self.initial.setdefault(f"text_{lang}", question.text.get(lang, ""))
            if question.is_choice:
                opts = forms.CharField(
                    label=_("Options (%(lang)s), one per line") % {"lang": language_name(lang)},
                    required=False,
                    max_length=TEXT_MAX * 5,
                    widget=forms.Textarea(attrs={"rows": 4, "lang": lang, "class": "form-control"}),
                )
                self.fields[f"options_{lang}"] = opts
                self.initial.setdefault(
                    f"options_{lang}", "\n".join(o.get("text", {}).get(lang, "") for o in question.options)
                )
        self.initial.setdefault("code", question.code)
        self.initial.setdefault("required", question.required)
        if code_locked:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Published questions keep their code so answers stay comparable.")
        if question.kind == Question.Kind.RATING:
            lo, hi = question.scale
            self.initial.setdefault("scale_min", lo)
            self.initial.setdefault("scale_max", hi)
        else:
            del self.fields["scale_min"], self.fields["scale_max"]
        if question.kind == Question.Kind.TEXT:
            parents = question.version.questions.filter(
                kind__in=Question.SCORE_KINDS, follow_up_for__isnull=True
            ).exclude(pk=question.pk)
            self.fields["follow_up_for"].choices = [("", _("— none (always shown)"))] + [
                (q.code, f"{q.code}: {q.text_in(survey.default_language)[:60]}") for q in parents
            ]
            self.initial.setdefault("follow_up_for", question.follow_up_for.code if question.follow_up_for else "")
        else:
            del self.fields["follow_up_for"]

    def text_fields(self):
        return [self[f"text_{lang}"] for lang in self.languages]

    def option_fields(self):
        return [self[f"options_{lang}"] for lang in self.languages if f"options_{lang}" in self.fields]

    def other_fields(self):
        skip = {f"text_{lang}" for lang in self.languages} | {f"options_{lang}" for lang in self.languages}
        return [self[name] for name in self.fields if name not in skip]

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip().lower()
        if not CODE_RE.match(code):
            raise forms.ValidationError(_("Use lower-case letters, digits, - and _ (up to 50)."))
        return code

    def clean(self):
        data = super().clean()
        if self.question.kind == Question.Kind.RATING:
            lo, hi = data.get("scale_min"), data.get("scale_max")
            if lo is None or hi is None or validate_rating_bounds(lo, hi):
                self.add_error("scale_max", _("Choose a scale within 0-10, the minimum below the maximum."))
        return data

    def texts(self) -> dict[str, str]:
        return {lang: self.cleaned_data.get(f"text_{lang}", "") for lang in self.languages}

    def option_lines(self) -> dict[str, list[str]]:
        lines = {}
        for lang in self.languages:
            raw = self.cleaned_data.get(f"options_{lang}", "")
            lines[lang] = [line for line in raw.replace("\r", "").split("\n")]
            while lines[lang] and not lines[lang][-1].strip():
                lines[lang].pop()
        return lines
