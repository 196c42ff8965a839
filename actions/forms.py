"""Forms of the closed loop. Every related-row field is limited to the caller's organization."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.forms import MeasureField, measure_refresh_attrs
from accounts.models import Team
from accounts.scoping import OrgContext
from accounts.selectors import measure_choices, metric_choices
from accounts.services import primary_measure_for
from actions.models import (
    OPEN_STATUSES,
    WEEKDAYS,
    AlertRule,
    ContactAttempt,
    FeedbackCase,
    ImprovementAction,
    RootCause,
)
from actions.selectors.cases import (
    INBOX_SORTS,
    PEOPLE_ORDER,
    SCORE_GROUPS,
    assignable_users,
    bulk_assignable_teams,
    bulk_assignable_users,
    inbox_teams,
    person_label,
    root_cause_tree,
)
from core.forms import BootstrapFormMixin
from journeys.models import Journey, Touchpoint
from surveys.models import Survey


class RootCauseChoiceField(forms.TypedChoiceField):
    """Active root causes in tree order, labelled with their full path (Technician > Late); cleans to a RootCause."""

    def __init__(self, *, ctx: OrgContext, empty_label: str = "---------", **kwargs):
        tree = root_cause_tree(ctx=ctx)
        self._nodes = {node.pk: node for node, _depth, _label in tree}
        choices = [("", empty_label), *((node.pk, label) for node, _depth, label in tree)]
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        super().__init__(choices=choices, coerce=self._to_node, empty_value=None, **kwargs)

    def _to_node(self, value) -> RootCause:
        return self._nodes[int(value)]

    def prepare_value(self, value):
        return value.pk if isinstance(value, RootCause) else value


class UniqueIdsMixin:
    """The case page shows several small forms: give each its own element ids (field names stay plain)."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ContactAttemptForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "contact"

    channel = forms.ChoiceField(
        label=_("How"),
        choices=ContactAttempt.Channel.choices,
        widget=forms.Select(attrs={"data-contact-channel": ""}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=ContactAttempt.Outcome.choices,
        widget=forms.Select(attrs={"data-contact-outcome": ""}),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "note"

    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class OriginTouchpointField(forms.TypedChoiceField):
    """Where the problem started: the organization's active touchpoints grouped by journey (and the case's current
    origin, even if archived since, so saving again keeps it); empty = the case's own touchpoint. Cleans to a
    Touchpoint or None."""

    def __init__(self, *, ctx: OrgContext, current: int | None = None, **kwargs):
        touchpoints = list(
            Touchpoint.objects.for_org(ctx.organization)
            .filter(Q(is_active=True) | Q(pk=current))
            .select_related("journey", "stage")
            .order_by("journey__name", "journey_id", "stage__position", "position", "pk")
        )
        self._touchpoints = {t.pk: t for t in touchpoints}
        groups: dict[int, tuple[str, list]] = {}
        for t in touchpoints:
            groups.setdefault(t.journey_id, (t.journey.name, []))[1].append((t.pk, t.name))
        choices = [("", _("At this case's touchpoint")), *groups.values()]
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        kwargs.setdefault("label", _("Where the problem started"))
        kwargs.setdefault(
            "help_text",
            _("Another touchpoint when the problem began earlier, e.g. a sale that led to a wrong invoice."),
        )
        super().__init__(choices=choices, coerce=self._to_touchpoint, empty_value=None, required=False, **kwargs)

    def _to_touchpoint(self, value) -> Touchpoint:
        return self._touchpoints[int(value)]

    def prepare_value(self, value):
        return value.pk if isinstance(value, Touchpoint) else value


class RootCauseForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "rc"

    def __init__(self, *args, ctx: OrgContext, current_origin: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"] = RootCauseChoiceField(ctx=ctx, label=_("Root cause"), required=False)
        self.fields["origin_touchpoint"] = OriginTouchpointField(ctx=ctx, current=current_origin)


class CloseForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "close"

    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, ctx: OrgContext, current_origin: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"] = RootCauseChoiceField(ctx=ctx, label=_("Root cause"), required=False)
        self.fields["origin_touchpoint"] = OriginTouchpointField(ctx=ctx, current=current_origin)


class CloseWithoutContactForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "cwc"

    resolution = forms.CharField(label=_("Why (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "reopen"

    reason = forms.CharField(label=_("Why reopen?"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PersonChoiceField(forms.ModelChoiceField):
    """A dropdown of people by full name (username or e-mail when no name is known)."""

    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class AssignForm(UniqueIdsMixin, BootstrapFormMixin, forms.Form):
    id_prefix = "assign"

    def __init__(self, *args, ctx: OrgContext, case: FeedbackCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = PersonChoiceField(
            label=_("Assign to"),
            queryset=assignable_users(ctx=ctx, case=case),
            required=False,
            empty_label=_("Nobody (back to the queue)"),
            widget=forms.Select(attrs={"class": "form-select"}),
        )


SCORE_GROUP_LABELS = {
    "detractor": _("Detractors (0–6)"),
    "passive": _("Passives (7–8)"),
    "promoter": _("Promoters (9–10)"),
}
SORT_LABELS = {"due": _("Due date"), "opened": _("Newest first"), "score": _("Lowest score first")}


class InboxFilterForm(BootstrapFormMixin, forms.Form):
    """The inbox's filters, read from the query string (so a filtered inbox can be shared and linked to)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Customer name, e-mail or comment"), "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("All teams"))
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"), queryset=None, required=False, empty_label=_("All touchpoints")
    )
    score = forms.ChoiceField(label=_("Score"), required=False)
    score_min = forms.IntegerField(label=_("Lowest NPS score"), required=False, min_value=0, max_value=10)
    score_max = forms.IntegerField(label=_("Highest NPS score"), required=False, min_value=0, max_value=10)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    FILTER_FIELDS = ("q", "status", "team", "touchpoint", "score", "score_min", "score_max", "overdue")

    def __init__(self, *args, ctx: OrgContext, tab: str = "", **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        if tab == "closed":
            # Every case of the closed tab is closed: a status filter could only empty the list.
            del self.fields["status"]
        else:
            self.fields["status"].choices = [
                ("", _("Any status")),
                *((value, label) for value, label in FeedbackCase.Status.choices if value in OPEN_STATUSES),
            ]
            self.fields["status"].error_messages["invalid_choice"] = _("Choose one of the statuses of open cases.")
        self.fields["team"].queryset = inbox_teams(ctx=ctx)
        self.fields["touchpoint"].queryset = Touchpoint.objects.for_org(ctx.organization).select_related("journey")
        self.fields["touchpoint"].label_from_instance = lambda t: f"{t.journey.name} › {t.name}"
        self.fields["score"].choices = [("", _("Any score")), *((k, SCORE_GROUP_LABELS[k]) for k in SCORE_GROUPS)]
        self.fields["sort"].choices = [(k, SORT_LABELS[k]) for k in INBOX_SORTS]
        for name in ("status", "team", "touchpoint", "score", "sort"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-select"

    def clean(self):
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The highest score must not be below the lowest."))
        return data

    def filters(self) -> dict:
        """The valid filters (an invalid one is reported and ignored; the others still apply)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v not in (None, "", False)}

    def active_count(self) -> int:
        return sum(1 for k in self.filters() if k in self.FILTER_FIELDS)


class CasesField(forms.ModelMultipleChoiceField):
    """The cases ticked in the inbox, as a list in id order. A ticked case that is no longer among the user's cases
    (a colleague moved it to a team they do not see) does not fail the others: its id is kept in `unseen`."""

    def clean(self, value):
        value = self.prepare_value(value)
        if not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if not isinstance(value, (list, tuple)):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        ids = set()
        for pk in value:
            try:
                ids.add(int(pk))
            except (TypeError, ValueError):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                ) from None
        cases = list(self.queryset.filter(pk__in=ids).order_by("pk"))
        self.unseen = sorted(ids - {case.pk for case in cases})
        return cases


class BulkAssignForm(forms.Form):
    """Several cases at once to one person, or to a team's queue (team leads and CX managers).

    `cases_qs` is every case the user sees, open or not: a case closed since the inbox was loaded is skipped by the
    service with its reason, and the others are still assigned."""

    cases = CasesField(
        queryset=None,
        error_messages={
            "required": _("Select at least one case."),
            "invalid_pk_value": _("Select cases from the list."),
        },
    )
    target = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, ctx: OrgContext, cases_qs, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = cases_qs
        self._people = {str(u.pk): u for u in bulk_assignable_users(ctx=ctx)}
        self._teams = {str(t.pk): t for t in bulk_assignable_teams(ctx=ctx)}
        self.fields["target"].choices = [
            ("", _("Choose a person or a team")),
            (_("People"), [(f"user:{pk}", person_label(u)) for pk, u in self._people.items()]),
            (_("Team queue"), [(f"team:{pk}", t.name) for pk, t in self._teams.items()]),
            ("nobody", _("Nobody (back to the queue)")),
        ]
        self.fields["target"].widget.attrs["class"] = "form-select"

    def clean_target(self):
        value = self.cleaned_data["target"]
        kind, _sep, pk = value.partition(":")
        if kind == "user" and pk in self._people:
            return ("user", self._people[pk])
        if kind == "team" and pk in self._teams:
            return ("team", self._teams[pk])
        if value == "nobody":
            return ("user", None)
        raise ValidationError(_("Choose a person or a team."))

    @property
    def unseen(self) -> list[int]:
        """Ids of ticked cases the user no longer sees (after validation)."""
        return getattr(self.fields["cases"], "unseen", [])


class AlertRuleForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "name",
            "is_active",
            "priority",
            "touchpoint",
            "journey",
            "survey",
            "nps_max",
            "csat_max",
            "keywords",
            "min_revenue_12m",
            "requires_comment",
            "themes",
            "negative_sentiment",
            "default_team",
            "sla_hours",
            "sla_business_hours",
            "notify_team",
            "reply_to_customer",
        ]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        org = ctx.organization
        self.fields["touchpoint"].queryset = Touchpoint.objects.for_org(org).select_related("journey")
        self.fields["touchpoint"].label_from_instance = lambda t: f"{t.journey.name} › {t.name}"
        self.fields["journey"].queryset = Journey.objects.for_org(org)
        self.fields["survey"].queryset = Survey.objects.for_org(org)
        self.fields["default_team"].queryset = Team.objects.for_org(org)
        for name in ("touchpoint", "journey", "survey"):
            self.fields[name].empty_label = _("Any")
        self._theme_field(org)

    def _theme_field(self, org) -> None:
        """The organization's active themes, each sub-theme after its parent as "Parent > Sub", and the rule's own
        themes even if archived since (so saving the rule again does not drop them unseen)."""
        field = self.fields["themes"]
        theme_model = field.queryset.model  # voice.Theme, named through the relation (actions never imports voice)
        own = Q(pk__in=self.instance.themes.values("pk")) if self.instance.pk else Q(pk__in=[])
        field.queryset = (
            theme_model.objects.for_org(org)
            .filter(Q(status="active") | own)
            .select_related("parent")
            .order_by(
                Coalesce("parent__position", "position"),
                Coalesce("parent__name", "name"),
                F("parent").asc(nulls_first=True),
                "position",
                "name",
            )
        )
        field.label_from_instance = lambda t: f"{t.parent.name} › {t.name}" if t.parent_id else t.name
        field.help_text = _("Evaluated once the comment is analysed; a theme also covers its sub-themes.")
        field.widget.attrs["size"] = 8
        self.fields["negative_sentiment"].help_text = _(
            "Negative, or mixed with a negative sentence; evaluated once the comment is analysed."
        )

    def clean(self):
        data = super().clean()
        has_condition = (
            data.get("nps_max") is not None
            or data.get("csat_max") is not None
            or (data.get("keywords") or "").strip()
            or data.get("min_revenue_12m") is not None
            or data.get("requires_comment")
            or data.get("negative_sentiment")
            or bool(data.get("themes"))
        )
        if not has_condition:
            raise forms.ValidationError(_("Set at least one condition."))
        return data

    def _post_clean(self):
        # The service validates the model; the ModelForm must not half-apply it (and its check constraint) here.
        pass


class RootCauseEditForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = RootCauseChoiceField(
            ctx=ctx, label=_("Under"), required=False, empty_label=_("(top level)")
        )
        self.order_fields(["name", "parent", "description", "is_active"])


class BusinessCalendarForm(BootstrapFormMixin, forms.Form):
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    day_start = forms.TimeField(label=_("Day starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    day_end = forms.TimeField(label=_("Day ends"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        if data.get("day_start") and data.get("day_end") and data["day_end"] <= data["day_start"]:
            raise forms.ValidationError(_("The working day must end after it starts."))
        return data


class HolidayForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120)


class ImprovementActionForm(BootstrapFormMixin, forms.ModelForm):
    link_root_cause_cases = forms.BooleanField(
        label=_("Link the recent cases with this root cause"), required=False, initial=True
    )
    metric = forms.ChoiceField(
        label=_("Measured on"),
        required=False,
        help_text=_("The score the action should move at its touchpoints; its impact is measured on it."),
    )
    measure = MeasureField(label=_("Measure"), required=False)

    class Meta:
        model = ImprovementAction
        fields = [
            "title",
            "description",
            "owner",
            "status",
            "horizon",
            "origin",
            "root_cause",
            "touchpoints",
            "start_date",
            "due_date",
            "cost",
            "metric",
            "measure",
            "expected_uplift",
            "impact_before_days",
            "impact_after_days",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "touchpoints": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        org = ctx.organization
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organization=org).order_by(*PEOPLE_ORDER)
        )
        self.fields["owner"].label_from_instance = person_label
        self.fields["root_cause"] = RootCauseChoiceField(ctx=ctx, label=_("Root cause"), required=False)
        self.fields["touchpoints"].queryset = Touchpoint.objects.for_org(org).select_related("journey")
        self.fields["touchpoints"].label_from_instance = lambda t: f"{t.journey.name} › {t.name}"
        # "Impact measured" is set by measuring, never picked by hand.
        self.fields["status"].choices = [
            c for c in self.fields["status"].choices if c[0] != ImprovementAction.Status.IMPACT_MEASURED
        ]
        if self.instance.pk:
            del self.fields["link_root_cause_cases"]
            if self.instance.status == ImprovementAction.Status.IMPACT_MEASURED:
                del self.fields["status"]
            metric, measure = self.instance.metric, self.instance.measure
        else:
            metric, measure = org.primary_metric or "nps", org.primary_measure
            self.initial.setdefault("metric", metric)
            self.initial.setdefault("measure", measure)
        self.fields["metric"].choices = metric_choices(organization=org, current=metric)
        if self.is_bound and self.data.get("metric"):
            metric = self.data["metric"]
        self.fields["measure"].choices = measure_choices(metric) or measure_choices("nps")
        self.fields["metric"].widget.attrs.update(measure_refresh_attrs("metric", "id_measure"))
        self.fields["expected_uplift"].label = _("Expected uplift (in points of the metric it is measured on)")
        if self.instance.pk:
            from actions.valuation import figure_label

            self.fields["expected_uplift"].help_text = _(
                "Now in points of %(figure)s; changing the metric changes what the number means."
            ) % {"figure": figure_label(self.instance.metric, self.instance.measure)}
        self.order_fields([*self.Meta.fields[:7], "link_root_cause_cases"])

    def clean(self):
        data = super().clean()
        if data.get("metric"):
            try:
                data["measure"] = primary_measure_for(data["metric"], data.get("measure") or "")
            except ValidationError as exc:
                for messages in exc.message_dict.values():
                    for message in messages:
                        self.add_error("measure", message)
        else:
            # No metric chosen: a new action is measured on the organization's primary metric, an existing one
            # keeps its own (accounts.services / actions.services.improvements).
            data.pop("metric", None)
            data.pop("measure", None)
        return data

    def _post_clean(self):
        pass

    def cleaned_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("touchpoints", "link_root_cause_cases")}


class PublishForm(BootstrapFormMixin, forms.Form):
    story = forms.CharField(label=_("What we learned"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AnalyticsFilterForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
