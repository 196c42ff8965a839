"""Forms of the KPI pages; every related-row choice is restricted to the caller's organization."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import MeasureField, measure_refresh_attrs
from accounts.scoping import OrgContext
from accounts.selectors import measure_choices, metric_choices
from accounts.services import primary_measure_for
from core.forms import BootstrapFormMixin
from core.scales import measure_label, measure_of
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint
from kpis import selectors
from kpis.models import Benchmark, Kpi, Target

DATE = forms.DateInput(attrs={"type": "date"})


class KpiForm(BootstrapFormMixin, forms.ModelForm):
    """A KPI. A survey-derived KPI reads one of the organization's metric keys (NPS, CSAT, CES, each rating and yes/no
    question's key) in a measure its scale has: the measure select follows the metric (htmx) and is checked again
    here."""

    metric = forms.ChoiceField(
        label=_("Survey metric"),
        required=False,
        help_text=_("For survey-derived KPIs: NPS, CSAT, CES or a rating / yes-no question of your customer surveys."),
    )
    measure = MeasureField(label=_("Measure"), required=False)

    class Meta:
        model = Kpi
        fields = [
            "name",
            "code",
            "kind",
            "metric",
            "measure",
            "unit",
            "direction",
            "aggregation",
            "owner",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.fields["owner"].queryset = selectors.owner_choices(ctx=ctx)
        current = self.instance.metric if self.instance.pk else ""
        self.fields["metric"].choices = [
            ("", _("– (imported KPIs)")),
            *metric_choices(organization=ctx.organization, current=current),
        ]
        metric = (self.data.get("metric") if self.is_bound else None) or current or "nps"
        self.fields["measure"].choices = measure_choices(metric) or measure_choices("nps")
        self.fields["metric"].widget.attrs.update(measure_refresh_attrs("metric", "id_measure"))

    def _check_not_a_second_kpi(self, metric: str, measure: str) -> None:
        """One survey KPI per figure: a second KPI reading the same metric in the same measure ("NPS" beside "Net
        Promoter Score") would be the same number offered twice under two names."""
        wanted = measure_of(metric, measure)
        same = next(
            (
                kpi
                for kpi in selectors.survey_kpi_list(ctx=self.ctx).filter(metric=metric).exclude(pk=self.instance.pk)
                if measure_of(kpi.metric, kpi.measure) == wanted
            ),
            None,
        )
        if same is not None:
            self.add_error(
                "metric",
                _("The KPI “%(name)s” already reads this metric in this measure: use it (and its targets) instead.")
                % {"name": same.name},
            )

    def clean_code(self):
        code = self.cleaned_data["code"]
        clash = Kpi.objects.for_org(self.ctx.organization).filter(code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another KPI already has this code."))
        return code

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kpi.Kind.SURVEY:
            if not data.get("metric"):
                self.add_error("metric", _("A survey-derived KPI needs its survey metric."))
            else:
                try:
                    data["measure"] = primary_measure_for(data["metric"], data.get("measure") or "")
                except forms.ValidationError as exc:
                    for messages in exc.message_dict.values():
                        for message in messages:
                            self.add_error("measure", message)
                else:
                    self._check_not_a_second_kpi(data["metric"], data["measure"])
        elif data.get("kind"):
            data["metric"], data["measure"] = "", ""  # an imported KPI reads no survey metric
        return data


QUARTERS = [("", "---"), ("1", "Q1"), ("2", "Q2"), ("3", "Q3"), ("4", "Q4")]


# One whole sentence per scope (a translator words each one; never a sentence built around a lower-cased label).
SCOPE_MISSING = {
    Target.Scope.JOURNEY: _("Choose the journey this target is for."),
    Target.Scope.STAGE: _("Choose the stage this target is for."),
    Target.Scope.TOUCHPOINT: _("Choose the touchpoint this target is for."),
}


class TargetForm(BootstrapFormMixin, forms.ModelForm):
    """A target; the period is either given by dates or by a year (and optional quarter)."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    quarter = forms.ChoiceField(label=_("Quarter"), choices=QUARTERS, required=False)
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=300)

    class Meta:
        model = Target
        fields = [
            "scope",
            "journey",
            "stage",
            "touchpoint",
            "segment",
            "persona",
            "value",
            "year",
            "quarter",
            "period_start",
            "period_end",
            "linked_to_compensation",
            "note",
        ]
        widgets = {"period_start": DATE, "period_end": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        org = ctx.organization
        self.fields["journey"].queryset = Journey.objects.for_org(org).order_by("name")
        self.fields["stage"].queryset = (
            Stage.objects.for_org(org).select_related("journey").order_by("journey__name", "position")
        )
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.for_org(org)
            .select_related("journey")
            .order_by("journey__name", "stage__position", "position")
        )
        self.fields["stage"].label_from_instance = lambda s: f"{s.journey.name} / {s.name}"
        self.fields["touchpoint"].label_from_instance = lambda t: f"{t.journey.name} / {t.name}"
        self.fields["persona"].queryset = Persona.objects.for_org(org).order_by("name")
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        if not self.instance.pk:
            self.fields.pop("reason")

    def clean(self):
        data = super().clean()
        year, quarter = data.get("year"), data.get("quarter")
        if year:
            if quarter:
                q = int(quarter)
                start = dt.date(year, 3 * q - 2, 1)
                end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - dt.timedelta(days=1)
            else:
                start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            data["period_start"], data["period_end"] = start, end
        if not data.get("period_start") or not data.get("period_end"):
            raise forms.ValidationError(_("Give the period: a year (and quarter), or the start and end dates."))
        if data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("The period ends before it starts."))
        scope = data.get("scope")
        if scope in SCOPE_MISSING and not data.get(scope):
            self.add_error(scope, SCOPE_MISSING[scope])
        return data

    def _post_clean(self):
        # The model's scope check runs in the service, after the scope fields are normalised.
        pass

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {f: data.get(f) for f in self.Meta.fields if f not in ("year", "quarter")}


class BenchmarkForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Benchmark
        fields = ["source_name", "kind", "journey", "touchpoint", "value", "period_start", "period_end", "note"]
        widgets = {"period_start": DATE, "period_end": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        org = ctx.organization
        self.fields["journey"].queryset = Journey.objects.for_org(org).order_by("name")
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.for_org(org).select_related("journey").order_by("journey__name", "position")
        )
        self.fields["touchpoint"].label_from_instance = lambda t: f"{t.journey.name} / {t.name}"

    def _post_clean(self):
        pass


PERIOD_CHOICES = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 365 days")),
    ("custom", _("Custom")),
]


class DashboardFilterForm(BootstrapFormMixin, forms.Form):
    """Period, KPI (survey metric), segment, persona and channel; invalid input falls back to the defaults."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=Kpi.objects.none(), required=False, empty_label=_("NPS"))
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    persona = forms.ModelChoiceField(
        label=_("Persona"), queryset=Persona.objects.none(), required=False, empty_label=_("All")
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices])

    def __init__(self, data, *, ctx: OrgContext, with_channel: bool = True):
        super().__init__(data)
        org = ctx.organization
        # No KPI chosen: the organization's primary metric, read through its KPI where there is one. That KPI is
        # the empty choice itself, so the same figure is never offered twice ("NPS" and "Net Promoter Score").
        default = self.default_kpi = selectors.primary_kpi(ctx=ctx)
        kpis = selectors.survey_kpi_list(ctx=ctx)
        if default is not None:
            self.fields["kpi"].queryset = kpis.exclude(pk=default.pk)
            self.fields["kpi"].empty_label = default.name
            if data is not None and str(data.get("kpi") or "") == str(default.pk):
                data = data.copy()
                data["kpi"] = ""
                self.data = data
        else:
            self.fields["kpi"].queryset = kpis
            self.fields["kpi"].empty_label = measure_label(org.primary_metric or "nps", org.primary_measure)
        self.fields["persona"].queryset = Persona.objects.for_org(org).filter(is_archived=False).order_by("name")
        segments = selectors.segment_choices(ctx=ctx)
        self.fields["segment"].choices = [("", _("All")), *((s, s) for s in segments)]
        if not with_channel:
            self.fields.pop("channel")
        for name in ("period", "kpi", "segment", "persona", "channel"):
            if name in self.fields:
                self.fields[name].widget.attrs["data-autosubmit"] = ""

    def values(self) -> dict:
        """The fields that are valid (an unknown segment or a stale id is simply ignored)."""
        self.is_valid()
        return self.cleaned_data

    def period_range(self, today: dt.date | None = None) -> tuple[str, dt.date, dt.date]:
        today = today or timezone.localdate()
        data = self.values()
        key = data.get("period") or "90"  # kpis.dashboards.DEFAULT_PERIOD
        if key == "custom":
            start, end = data.get("start"), data.get("end")
            if start and end and start <= end:
                return key, start, end
            key = "90"
        days = int(key)
        return key, today - dt.timedelta(days=days - 1), today
