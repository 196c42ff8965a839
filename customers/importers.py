"""Customer import: upsert on (organization, external_id); columns left out of the file are left alone."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from customers.validation import normalize_country, normalize_phone
from imports.models import ImportJob
from imports.parsers import SUPPORTED_LANGUAGES, clean_email, parse_bool, parse_language
from imports.registry import Column, ImportContext, ImportHandler, Row, RowError, register
from journeys.models import Persona

_MAX_LENGTHS = {"external_id": 100, "name": 200, "segment": 60}


@register
class CustomerImportHandler(ImportHandler):
    kind = ImportJob.Kind.CUSTOMERS
    columns = (
        Column(
            "external_id",
            required=True,
            aliases=("customer_id", "external", "kundnummer", "kundenummer", "kunde_id", "kund_id"),
            help=gettext_lazy("Your own id for the customer (CRM number). Importing it again updates the customer."),
            example="C-1001",
        ),
        Column("name", required=True, aliases=("customer_name", "namn", "navn"), example="Astrid Lindqvist"),
        Column("email", aliases=("e_mail", "email_address", "mail", "e_post", "epost"), example="astrid@example.se"),
        Column("phone", aliases=("phone_number", "mobile", "telefon", "mobil", "tlf"), example="+46 70 123 45 67"),
        Column(
            "language",
            aliases=("lang", "preferred_language", "språk", "sprog"),
            help=gettext_lazy("sv, nb, da or en (also nb-NO, no, nn, svenska, dansk ...). Blank: the organization's."),
            example="sv",
        ),
        Column("country", aliases=("land",), help=gettext_lazy("Two-letter code: SE, NO, DK, FI ..."), example="SE"),
        Column("segment", help=gettext_lazy("Free text, e.g. Private, Business."), example="Private"),
        Column("persona", help=gettext_lazy("Name of an existing persona (blank for none)."), example=""),
        Column(
            "may_survey",
            aliases=("survey_consent", "may_be_surveyed"),
            help=gettext_lazy("yes/no, true/false, 1/0, ja/nej/nei. Blank: yes."),
            example="yes",
        ),
        Column(
            "may_contact",
            aliases=("contact_consent", "may_be_contacted"),
            help=gettext_lazy("Consent to be contacted back after feedback: yes/no. Blank: no."),
            example="no",
        ),
    )
    sample_rows = (
        {
            "external_id": "C-1001",
            "name": "Astrid Lindqvist",
            "email": "astrid.lindqvist@example.se",
            "phone": "+46 70 123 45 67",
            "language": "sv",
            "country": "SE",
            "segment": "Private",
            "persona": "",
            "may_survey": "yes",
            "may_contact": "yes",
        },
        {
            "external_id": "C-1002",
            "name": "Ole Nordmann",
            "email": "ole@example.no",
            "phone": "+47 912 34 567",
            "language": "nb",
            "country": "NO",
            "segment": "Business",
            "persona": "",
            "may_survey": "ja",
            "may_contact": "nei",
        },
        {
            "external_id": "C-1003",
            "name": "Mette Hansen",
            "email": "",
            "phone": "",
            "language": "da",
            "country": "DK",
            "segment": "Private",
            "persona": "",
            "may_survey": "1",
            "may_contact": "0",
        },
    )

    def prepare(self, ctx: ImportContext) -> None:
        personas = Persona.objects.for_org(ctx.organization).values_list("name", "pk")
        ctx.state["personas"] = {name.strip().lower(): pk for name, pk in personas}
        ctx.state["seen"] = {}  # external_id -> row number, to refuse a customer given twice in one file
        default = ctx.organization.default_language
        ctx.state["default_language"] = default if default in SUPPORTED_LANGUAGES else "en"

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[dict[str, Any]], list[RowError]]:
        valid: list[dict[str, Any]] = []
        errors: list[RowError] = []
        seen: dict[str, int] = ctx.state["seen"]
        for row in rows:
            data, row_errors = self._validate_row(row, ctx)
            external_id = data.get("external_id")
            if not row_errors and external_id in seen:
                row_errors.append(
                    RowError(
                        row.number,
                        "external_id",
                        _('"%(id)s" is already on row %(row)s of this file.')
                        % {"id": external_id, "row": seen[external_id]},
                    )
                )
            if row_errors:
                errors.extend(row_errors)
            else:
                seen[external_id] = row.number
                valid.append(data)
        return valid, errors

    def _validate_row(self, row: Row, ctx: ImportContext) -> tuple[dict[str, Any], list[RowError]]:
        values = row.values
        data: dict[str, Any] = {}
        errors: list[RowError] = []
        for column in ("external_id", "name"):
            if not values.get(column):
                errors.append(RowError(row.number, column, _("Required.")))
        for column, value in values.items():
            try:
                if column in _MAX_LENGTHS:
                    if len(value) > _MAX_LENGTHS[column]:
                        raise ValueError(_("Longer than %(n)s characters.") % {"n": _MAX_LENGTHS[column]})
                    if "\x00" in value:
                        raise ValueError(_("Contains a NUL character."))
                    data[column] = value
                elif column == "email":
                    data["email"] = clean_email(value) if value else ""
                elif column == "phone":
                    data["phone"] = normalize_phone(value)
                elif column == "language":
                    data["language"] = parse_language(value) if value else ctx.state["default_language"]
                elif column == "country":
                    data["country"] = normalize_country(value)
                elif column == "persona":
                    data["persona_id"] = self._persona_id(value, ctx)
                elif column in ("may_survey", "may_contact"):
                    data[column] = parse_bool(value) if value else _DEFAULTS[column]
            except ValueError as exc:
                errors.append(RowError(row.number, column, str(exc)))
        return data, errors

    def _persona_id(self, value: str, ctx: ImportContext) -> int | None:
        if not value:
            return None
        personas: dict[str, int] = ctx.state["personas"]
        try:
            return personas[value.lower()]
        except KeyError:
            known = ", ".join(sorted(personas)) or _("none yet")
            raise ValueError(
                _('No persona named "%(name)s" in this organization (known: %(known)s).')
                % {"name": value, "known": known}
            ) from None

    def write_batch(self, valid_rows: list[dict[str, Any]], job: ImportJob) -> tuple[int, int]:
        org_id = job.organization_id
        fields = [key for key in valid_rows[0] if key != "external_id"]
        # Compare with what is stored first: unchanged rows are not written at all (a re-import is cheap and
        # leaves updated_at alone), and the counts of created and updated rows come out exactly.
        existing = {
            row[0]: row[1:]
            for row in Customer.objects.for_org(org_id)
            .filter(external_id__in=[r["external_id"] for r in valid_rows])
            .values_list("external_id", *fields)
        }
        defaults = {**_DEFAULTS, "language": job.organization.default_language}
        to_write: list[dict[str, Any]] = []
        created = 0
        for data in valid_rows:
            old = existing.get(data["external_id"])
            if old is None:
                created += 1
            elif old == tuple(data[f] for f in fields):
                continue
            to_write.append({**defaults, **data})
        if to_write:
            if connection.vendor == "postgresql" and FAST_UPSERT:
                _upsert_postgresql(org_id, to_write, fields)
            else:
                _upsert_bulk_create(org_id, to_write, fields)
            _moved_slices(org_id, fields, existing, to_write)
        return created, len(to_write) - created


def _moved_slices(org_id: int, fields: list[str], existing: dict, written: list[dict[str, Any]]) -> None:
    """Customers whose segment or persona the import changed: their past answers move between segment rollups."""
    slice_fields = [f for f in ("segment", "persona_id") if f in fields]
    if not slice_fields:
        return
    index = {f: fields.index(f) for f in slice_fields}
    moved = [
        row["external_id"]
        for row in written
        if row["external_id"] in existing
        and any(existing[row["external_id"]][index[f]] != row[f] for f in slice_fields)
    ]
    if moved:
        from kpis.rollups import mark_dirty_for_customers, schedule_aggregation

        ids = Customer.objects.for_org(org_id).filter(external_id__in=moved).values_list("pk", flat=True)
        mark_dirty_for_customers(list(ids))
        schedule_aggregation()


# On PostgreSQL a batch is COPied into a temporary table and upserted from there in one statement: about five
# times faster than bulk_create, whose SQL compilation dominated the import. bulk_create serves other databases
# (the SQLite demo). Tests run the import through both paths.
FAST_UPSERT = True
_DEFAULTS = {
    "email": "",
    "phone": "",
    "country": "",
    "segment": "",
    "persona_id": None,
    "may_survey": Customer._meta.get_field("may_survey").default,
    "may_contact": Customer._meta.get_field("may_contact").default,
}
_COLUMNS = ("external_id", "name", "email", "phone", "language", "country", "segment", "persona_id")
_COLUMNS += ("may_survey", "may_contact")
_TEXT_COLUMNS = ("external_id", "name", "email", "phone", "language", "country", "segment")
_STAGE = "customer_import_stage"


def _copy_value(value: Any) -> Any:
    if value is True:
        return "t"
    if value is False:
        return "f"
    return "" if value is None else value  # an unquoted empty field is NULL (persona only; see FORCE_NOT_NULL)


def _upsert_postgresql(org_id: int, rows: list[dict[str, Any]], fields: list[str]) -> None:
    """COPY the rows into a session-local table, then INSERT .. ON CONFLICT DO UPDATE the file's columns."""
    qn = connection.ops.quote_name
    meta = Customer._meta
    stage_columns = ("organization_id", *_COLUMNS)
    ddl = ", ".join(f"{qn(c)} {meta.get_field(c).db_type(connection)}" for c in stage_columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows((org_id, *(_copy_value(row[c]) for c in _COLUMNS)) for row in rows)
    buffer.seek(0)
    columns = ", ".join(qn(c) for c in stage_columns)
    updates = [qn(meta.get_field(f).column) for f in fields] + [qn("updated_at")]
    # Identifiers come from the model's metadata; every value travels through COPY.
    upsert = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}, {qn('created_at')}, {qn('updated_at')}) "  # noqa: S608
        f"SELECT {columns}, now(), now() FROM {_STAGE} "
        f"ON CONFLICT ({qn('organization_id')}, {qn('external_id')}) "
        f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in updates)}"
    )
    with connection.cursor() as cursor:
        # Temporary tables belong to this database session, so parallel imports never see each other's rows.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{_STAGE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_STAGE} ({ddl})")
        cursor.cursor.copy_expert(
            f"COPY {_STAGE} FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))", buffer
        )
        cursor.execute(upsert)
        cursor.execute(f"DROP TABLE {_STAGE}")


def _upsert_bulk_create(org_id: int, rows: list[dict[str, Any]], fields: list[str]) -> None:
    Customer.objects.bulk_create(
        [Customer(organization_id=org_id, **row) for row in rows],
        update_conflicts=True,
        unique_fields=["organization", "external_id"],
        update_fields=[Customer._meta.get_field(f).name for f in fields] + ["updated_at"],
    )
