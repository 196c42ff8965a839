"""Customer import: upsert on (organization, external_id); columns left out of the file are left alone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization
from customers.models import Customer
from customers.signals import CONSENT_FLAGS, consent_changes, customers_resliced, send_consent_changed
from customers.validation import normalize_country, normalize_phone
from imports.models import ImportJob
from imports.parsers import SUPPORTED_LANGUAGES, clean_email, parse_bool, parse_language
from imports.registry import Column, ImportContext, ImportHandler, Row, RowError, register
from journeys.models import Persona

_MAX_LENGTHS = {"external_id": 100, "name": 200, "segment": 60}
# Header names of the customer key, wherever a file names a customer (customers, revenue, churn, responses).
CUSTOMER_ID_ALIASES = (
    "id",
    "customer",
    "customer_id",
    "customerid",
    "customer_number",
    "customer_no",
    "customer_nr",
    "client_id",
    "account_id",
    "external",
    "crm_id",
    "kundnummer",
    "kundnr",
    "kund_id",
    "kundenummer",
    "kundenr",
    "kunde_id",
    "kunde",
    "kund",
)


@register
class CustomerImportHandler(ImportHandler):
    kind = ImportJob.Kind.CUSTOMERS
    columns = (
        Column(
            "external_id",
            required=True,
            aliases=CUSTOMER_ID_ALIASES,
            label=gettext_lazy("Customer id"),
            help=gettext_lazy("Your own id for the customer (CRM number). Importing it again updates the customer."),
            example="C-1001",
        ),
        Column(
            "name",
            aliases=("customer_name", "full_name", "namn", "navn", "kundnamn", "kundenavn", "fullt_namn"),
            label=gettext_lazy("Name"),
            help=gettext_lazy("Optional: the id is the key. A blank name leaves a stored name alone."),
            example="Astrid Lindqvist",
        ),
        Column(
            "first_name",
            aliases=("firstname", "given_name", "förnamn", "fornamn", "fornavn"),
            label=gettext_lazy("First name"),
            help=gettext_lazy("With the last name, makes the name when the file has no full name."),
            example="Astrid",
        ),
        Column(
            "last_name",
            aliases=("lastname", "surname", "family_name", "efternamn", "etternavn", "efternavn"),
            label=gettext_lazy("Last name"),
            example="Lindqvist",
        ),
        Column(
            "email",
            aliases=("e_mail", "email_address", "mail", "e_post", "epost", "e_postadress", "mailadresse"),
            label=gettext_lazy("E-mail"),
            example="astrid@example.se",
        ),
        Column(
            "phone",
            aliases=("phone_number", "telephone", "mobile", "mobile_phone", "cell", "telefon", "mobil", "tlf"),
            label=gettext_lazy("Phone"),
            example="+46 70 123 45 67",
        ),
        Column(
            "language",
            aliases=("lang", "preferred_language", "locale", "språk", "sprak", "sprog", "sprog_kode"),
            label=gettext_lazy("Language"),
            help=gettext_lazy("sv, nb, da or en (also nb-NO, no, nn, svenska, dansk ...). Blank: the organization's."),
            example="sv",
        ),
        Column(
            "country",
            aliases=("land", "country_code", "landskod", "landekode"),
            label=gettext_lazy("Country"),
            help=gettext_lazy("Two-letter code: SE, NO, DK, FI ..."),
            example="SE",
        ),
        Column(
            "segment",
            aliases=("customer_segment", "customer_type", "kundsegment", "kundtyp", "kundetype"),
            label=gettext_lazy("Segment"),
            help=gettext_lazy("Free text, e.g. Private, Business."),
            example="Private",
        ),
        Column(
            "persona",
            label=gettext_lazy("Persona"),
            help=gettext_lazy("Name of an existing persona (blank for none)."),
            example="",
        ),
        Column(
            "may_survey",
            aliases=("survey_consent", "may_be_surveyed", "consent_survey"),
            label=gettext_lazy("May be surveyed"),
            help=gettext_lazy("yes/no, true/false, 1/0, ja/nej/nei. Blank: yes."),
            example="yes",
        ),
        Column(
            "may_contact",
            aliases=("contact_consent", "may_be_contacted", "consent_contact"),
            label=gettext_lazy("May be contacted back"),
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
        if not values.get("external_id"):
            errors.append(RowError(row.number, "external_id", _("Required.")))
        if "name" not in values and ("first_name" in values or "last_name" in values):
            parts = (values.get("first_name", ""), values.get("last_name", ""))
            values = {k: v for k, v in values.items() if k not in ("first_name", "last_name")}
            values["name"] = " ".join(p for p in parts if p)
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

    def write_batch(self, valid_rows: list[dict[str, Any]], ctx: ImportContext) -> tuple[int, int]:
        org_id = ctx.organization.pk
        fields = [key for key in valid_rows[0] if key != "external_id"]
        # Compare with what is stored first: unchanged rows are not written at all (a re-import is cheap and
        # leaves updated_at alone), and the counts of created and updated rows come out exactly.
        existing = {
            row[0]: row[1:]
            for row in Customer.objects.for_org(org_id)
            .filter(external_id__in=[r["external_id"] for r in valid_rows])
            .values_list("external_id", *fields)
        }
        defaults = {**_DEFAULTS, "language": ctx.state["default_language"]}
        to_write: list[dict[str, Any]] = []
        created = 0
        name_at = fields.index("name") if "name" in fields else None
        for data in valid_rows:
            old = existing.get(data["external_id"])
            if old is not None and name_at is not None and not data["name"]:
                data["name"] = old[name_at]  # a blank name cell does not erase the stored name
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
            _consent_changed(org_id, fields, existing, to_write)
        return created, len(to_write) - created


def _consent_changed(org_id: int, fields: list[str], existing: dict, written: list[dict[str, Any]]) -> None:
    """Tell the consent log what the batch changed: every flag of a new customer, changed flags of the others."""
    flags = [f for f in CONSENT_FLAGS.values() if f in fields]
    changes = []
    for row in written:
        old = existing.get(row["external_id"])
        if old is None:
            after = {f: row[f] for f in CONSENT_FLAGS.values()}
            changes += consent_changes(row["external_id"], None, after)
        elif flags:
            before = {f: old[fields.index(f)] for f in flags}
            changes += consent_changes(row["external_id"], before, {f: row[f] for f in flags})
    send_consent_changed(organization_id=org_id, changes=changes, source="import")


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
        ids = Customer.objects.for_org(org_id).filter(external_id__in=moved).values_list("pk", flat=True)
        customers_resliced.send(sender=Customer, customer_ids=list(ids))


# On PostgreSQL a batch is COPied into a temporary table and upserted from there in one statement: about five
# times faster than bulk_create, whose SQL compilation dominated the import. bulk_create serves other databases
# (the SQLite demo). Tests run the import through both paths.
FAST_UPSERT = True
_DEFAULTS = {
    "name": "",
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


def customers_ensure(*, organization: Organization, external_ids: Iterable[str]) -> tuple[dict[str, int], int]:
    """The pk of every external id, creating the customers that do not exist yet (id only: no name, no contact
    data, the organization's language, default consent). Return (external id -> pk, number created)."""
    wanted = {e for e in external_ids if e}
    found = dict(Customer.objects.for_org(organization).filter(external_id__in=wanted).values_list("external_id", "pk"))
    missing = sorted(wanted - found.keys())
    if not missing:
        return found, 0
    language = organization.default_language if organization.default_language in SUPPORTED_LANGUAGES else "en"
    # ignore_conflicts: a parallel import creating the same customer must not fail this batch.
    Customer.objects.bulk_create(
        [Customer(organization=organization, external_id=e, name="", language=language) for e in missing],
        ignore_conflicts=True,
        batch_size=2000,
    )
    found.update(
        Customer.objects.for_org(organization).filter(external_id__in=missing).values_list("external_id", "pk")
    )
    return found, len(missing)
