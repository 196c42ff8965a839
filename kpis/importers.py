"""File import of operational KPI values (run by the generic runner in `imports.services`).

Upserts on (kpi, touchpoint, day), so importing the same file again changes nothing and a corrected file replaces
the values it names.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.models import ImportJob
from imports.parsers import parse_date, parse_decimal
from imports.registry import Column, ImportContext, ImportHandler, Row, RowError, register
from journeys.models import Touchpoint
from kpis.models import Kpi, KpiValue
from kpis.services import KpiValueError, KpiValueIn, kpi_value_parts, kpi_value_upsert


@register
class KpiValueImportHandler(ImportHandler):
    kind = ImportJob.Kind.KPI_VALUES
    columns = (
        Column(
            "kpi",
            required=True,
            aliases=("kpi_code", "code", "metric", "indicator", "nyckeltal", "nøkkeltall", "nøgletal"),
            label=gettext_lazy("KPI"),
            help=gettext_lazy("The KPI's code, e.g. fcr or late_deliveries (see the KPI list)."),
            example="fcr",
        ),
        Column(
            "touchpoint",
            required=True,
            aliases=("touchpoint_id", "touchpoint_name", "kontaktpunkt", "berøringspunkt", "beröringspunkt"),
            label=gettext_lazy("Touchpoint"),
            help=gettext_lazy("The touchpoint's id or its exact name."),
            example="Remote troubleshooting",
        ),
        Column(
            "day",
            required=True,
            aliases=("date", "datum", "dato", "dag"),
            label=gettext_lazy("Day"),
            help=gettext_lazy("YYYY-MM-DD"),
            example="2026-10-01",
        ),
        Column(
            "value",
            aliases=("värde", "varde", "verdi", "værdi", "percent", "percentage", "rate"),
            label=gettext_lazy("Value"),
            help=gettext_lazy("The day's figure. For a ratio KPI give the numerator and denominator instead."),
            example="72.5",
        ),
        Column(
            "numerator",
            aliases=("täljare", "taljare", "teller", "tæller", "count", "hits"),
            label=gettext_lazy("Numerator"),
            help=gettext_lazy("Ratio KPIs: the day's count, e.g. late deliveries."),
            example="80",
        ),
        Column(
            "denominator",
            aliases=("nämnare", "namnare", "nevner", "nævner", "total", "base", "volume", "antal", "antall"),
            label=gettext_lazy("Denominator"),
            help=gettext_lazy("Ratio KPIs: what the count is out of, e.g. all deliveries of the day."),
            example="1000",
        ),
    )
    sample_rows = (
        {"kpi": "fcr", "touchpoint": "Remote troubleshooting", "day": "2026-10-01", "value": "72.5"},
        {"kpi": "fcr", "touchpoint": "Remote troubleshooting", "day": "2026-10-02", "value": "70.1"},
        {
            "kpi": "late_deliveries",
            "touchpoint": "Technician visit",
            "day": "2026-10-01",
            "numerator": "80",
            "denominator": "1000",
        },
    )

    def check_mapping(self, fields: set[str], options: dict[str, Any]) -> list[str]:
        problems = super().check_mapping(fields, options)
        parts = {"numerator", "denominator"} & fields
        if len(parts) == 1:
            problems.append(_("Choose both the numerator and the denominator column, or neither."))
        elif "value" not in fields and not parts:
            problems.append(
                _("Choose the value column, or the numerator and denominator columns (for ratio KPIs such as %).")
            )
        return problems

    def prepare(self, ctx: ImportContext) -> None:
        org = ctx.organization
        ctx.state["kpis"] = {
            code.lower(): (pk, aggregation)
            for code, pk, aggregation in Kpi.objects.for_org(org)
            .filter(kind=Kpi.Kind.IMPORTED)
            .values_list("code", "pk", "aggregation")
        }
        by_name: dict[str, list[int]] = {}
        ids = set()
        for pk, name in Touchpoint.objects.for_org(org).values_list("pk", "name"):
            by_name.setdefault(name.strip().lower(), []).append(pk)
            ids.add(pk)
        ctx.state["touchpoints_by_name"] = by_name
        ctx.state["touchpoint_ids"] = ids

    def _touchpoint(self, text: str, ctx: ImportContext) -> int:
        if text.isdigit() and int(text) in ctx.state["touchpoint_ids"]:
            return int(text)
        matches = ctx.state["touchpoints_by_name"].get(text.strip().lower(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ValueError(_("Several touchpoints are called %(name)s: use the id.") % {"name": text})
        raise ValueError(_("Unknown touchpoint %(name)s.") % {"name": text})

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[KpiValueIn], list[RowError]]:
        valid, errors = [], []
        for row in rows:
            row_errors = []
            values = row.values
            kpi = ctx.state["kpis"].get(values.get("kpi", "").strip().lower())
            if kpi is None:
                row_errors.append(
                    RowError(
                        row.number, "kpi", _("Unknown imported KPI code %(code)s.") % {"code": values.get("kpi", "")}
                    )
                )
            parsed: dict[str, Any] = {}
            for column, parse in (
                ("touchpoint", lambda v: self._touchpoint(v, ctx)),
                ("day", parse_date),
            ):
                text = values.get(column, "")
                if not text:
                    row_errors.append(RowError(row.number, column, _("Required.")))
                    continue
                try:
                    parsed[column] = parse(text)
                except ValueError as exc:
                    row_errors.append(RowError(row.number, column, str(exc)))
            for column in ("value", "numerator", "denominator"):
                text = values.get(column, "")
                try:
                    parsed[column] = float(parse_decimal(text)) if text else None
                except ValueError as exc:
                    row_errors.append(RowError(row.number, column, str(exc)))
            if kpi is not None and not row_errors:
                try:
                    value, numerator, denominator = kpi_value_parts(
                        ratio=kpi[1] == Kpi.Aggregation.RATIO,
                        value=parsed["value"],
                        numerator=parsed["numerator"],
                        denominator=parsed["denominator"],
                    )
                except KpiValueError as exc:
                    row_errors.append(RowError(row.number, exc.field, exc.message))
            if row_errors:
                errors += row_errors
                continue
            valid.append(
                KpiValueIn(
                    kpi_id=kpi[0],
                    touchpoint_id=parsed["touchpoint"],
                    day=parsed["day"],
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                )
            )
        return valid, errors

    def write_batch(self, valid_rows: list[KpiValueIn], ctx: ImportContext) -> tuple[int, int]:
        return kpi_value_upsert(organization_id=ctx.organization.pk, rows=valid_rows, source=KpiValue.Source.IMPORT)
