"""File import of operational KPI values (run by the generic runner in `imports.services`).

Upserts on (kpi, touchpoint, day), so importing the same file again changes nothing and a corrected file replaces
the values it names.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.models import ImportJob
from imports.parsers import parse_date, parse_decimal
from imports.registry import Column, ImportContext, ImportHandler, Row, RowError, register
from journeys.models import Touchpoint
from kpis.models import Kpi, KpiValue
from kpis.services import KpiValueIn, kpi_value_upsert


@register
class KpiValueImportHandler(ImportHandler):
    kind = ImportJob.Kind.KPI_VALUES
    columns = (
        Column(
            "kpi",
            required=True,
            aliases=("kpi_code", "code", "nyckeltal"),
            help=gettext_lazy("The KPI's code, e.g. fcr or delivery_delay (see the KPI list)."),
            example="fcr",
        ),
        Column(
            "touchpoint",
            required=True,
            aliases=("touchpoint_id", "kontaktpunkt"),
            help=gettext_lazy("The touchpoint's id or its exact name."),
            example="Remote troubleshooting",
        ),
        Column(
            "day",
            required=True,
            aliases=("date", "datum", "dato"),
            help=gettext_lazy("YYYY-MM-DD"),
            example="2026-10-01",
        ),
        Column("value", required=True, aliases=("värde", "verdi", "værdi"), example="72.5"),
    )
    sample_rows = (
        {"kpi": "fcr", "touchpoint": "Remote troubleshooting", "day": "2026-10-01", "value": "72.5"},
        {"kpi": "fcr", "touchpoint": "Remote troubleshooting", "day": "2026-10-02", "value": "70.1"},
        {"kpi": "delivery_delay", "touchpoint": "Technician visit", "day": "2026-10-01", "value": "1.8"},
    )

    def prepare(self, ctx: ImportContext) -> None:
        org = ctx.organization
        ctx.state["kpis"] = {
            code.lower(): pk
            for code, pk in Kpi.objects.for_org(org).filter(kind=Kpi.Kind.IMPORTED).values_list("code", "pk")
        }
        by_name: dict[str, list[int]] = {}
        ids = set()
        for pk, name in Touchpoint.objects.for_org(org).values_list("pk", "name"):
            by_name.setdefault(name.strip().lower(), []).append(pk)
            ids.add(pk)
        ctx.state["touchpoints_by_name"] = by_name
        ctx.state["touchpoint_ids"] = ids
        ctx.state["organization_id"] = org.pk

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
            kpi_id = ctx.state["kpis"].get(values.get("kpi", "").strip().lower())
            if kpi_id is None:
                row_errors.append(
                    RowError(
                        row.number, "kpi", _("Unknown imported KPI code %(code)s.") % {"code": values.get("kpi", "")}
                    )
                )
            parsed = {}
            for column, parse in (
                ("touchpoint", lambda v: self._touchpoint(v, ctx)),
                ("day", parse_date),
                ("value", parse_decimal),
            ):
                text = values.get(column, "")
                if not text:
                    row_errors.append(RowError(row.number, column, _("Required.")))
                    continue
                try:
                    parsed[column] = parse(text)
                except ValueError as exc:
                    row_errors.append(RowError(row.number, column, str(exc)))
            if row_errors:
                errors += row_errors
                continue
            valid.append(
                KpiValueIn(
                    kpi_id=kpi_id, touchpoint_id=parsed["touchpoint"], day=parsed["day"], value=float(parsed["value"])
                )
            )
        return valid, errors

    def write_batch(self, valid_rows: list[KpiValueIn], job: ImportJob) -> tuple[int, int]:
        return kpi_value_upsert(organization_id=job.organization_id, rows=valid_rows, source=KpiValue.Source.IMPORT)
