"""Every table, found from the models: where a person may be mentioned, and how to reach one organization's rows.

The explicit steps of an erasure (privacy.erasure) know the customer, survey and case tables. This module covers the
rest, including tables other apps add later: every model with text, character or JSON columns whose rows belong to
an organization (an `organization` foreign key, or one hop through a foreign key to a model that has one) is swept
for the person's strong identifiers, and what remains afterwards is counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from accounts.models import Organization
from privacy.scrub import pattern_for, scrub_text, scrub_value

# Handled by their own step (the person's rows found by key), or holding no free text worth a scan of millions of
# rows (rollups), or append-only by design (the audit log: see the report on erasure and the audit log).
SKIP_MODELS = frozenset(
    {
        "customers.customer",
        "surveys.answer",
        "surveys.response",
        "audit.auditevent",
        "kpis.rollup",
        "kpis.journeyrollup",
        "kpis.relationshiprollup",
        "kpis.segmentrollup",
        "kpis.dirtyrollup",
        # The analyses of a person's comments are cleared by their own step (voice.services, by customer); theme
        # links hold taxonomy terms and the statistics numbers: a regular-expression scan of every comment of the
        # organization would be the erasure's slowest part for nothing.
        "voice.commentanalysis",
        "voice.commenttheme",
        "voice.themestat",
    }
)
SKIP_APPS = frozenset({"privacy"})
TEXT_FIELD_TYPES = (models.CharField, models.TextField, models.JSONField)


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    org_lookup: str  # "organization" or "<fk>__organization"
    fields: tuple[models.Field, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def _org_lookup(model: type[models.Model]) -> str | None:
    def points_to_org(field) -> bool:
        return field.is_relation and field.many_to_one and field.related_model is Organization

    concrete = [f for f in model._meta.concrete_fields]
    for f in concrete:
        if f.name == "organization" and points_to_org(f):
            return "organization"
    for f in concrete:
        if f.is_relation and f.many_to_one and f.related_model is not None and f.related_model is not model:
            for g in f.related_model._meta.concrete_fields:
                if g.name == "organization" and points_to_org(g):
                    return f"{f.name}__organization"
    return None


def org_tables(*, include_skipped: bool = False) -> Iterator[Table]:
    """Every model with free-text columns whose rows belong to an organization."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in SKIP_APPS:
            continue
        if not include_skipped and meta.label_lower in SKIP_MODELS:
            continue
        lookup = _org_lookup(model)
        if lookup is None:
            continue
        fields = tuple(
            f
            for f in meta.concrete_fields
            if isinstance(f, TEXT_FIELD_TYPES) and not f.primary_key and not getattr(f, "choices", None)
        )
        if fields:
            yield Table(model=model, org_lookup=lookup, fields=fields)


def matching(table: Table, organization_id: int, values: Iterable[str]):
    """The organization's rows with any value in any text column: one case-insensitive regular expression per
    column (`~*` on PostgreSQL), not one LIKE per value, so a batch of many people costs one pass over the table."""
    values = sorted({v for v in values if v})
    qs = table.model._default_manager.filter(**{f"{table.org_lookup}_id": organization_id})
    if not values:
        return qs.none()
    # re.escape escapes only non-alphanumeric characters, which PostgreSQL's regular expressions read as literals.
    regex = "|".join(re.escape(v) for v in values)
    condition = Q()
    for f in table.fields:
        name = f.name if not isinstance(f, models.JSONField) else f"_privacy_{f.name}"
        if isinstance(f, models.JSONField):
            qs = qs.annotate(**{name: Cast(f.name, models.TextField())})
        condition |= Q(**{f"{name}__iregex": regex})
    return qs.filter(condition)


def sweep(*, organization_id: int, values: set[str]) -> dict[str, int]:
    """Mask `values` wherever they occur in the organization's rows. Returns rows changed per table."""
    pattern = pattern_for(values)
    changed: dict[str, int] = {}
    if pattern is None:
        return changed
    for table in org_tables():
        names = [f.name for f in table.fields]
        for row in matching(table, organization_id, values).values("pk", *names).iterator():
            update = {}
            for f in table.fields:
                old = row[f.name]
                new = scrub_value(old, pattern) if isinstance(f, models.JSONField) else scrub_text(old, pattern)
                if new != old:
                    max_length = getattr(f, "max_length", None)
                    update[f.name] = new[:max_length] if max_length and isinstance(new, str) else new
            if update:
                _update_row(table.model, row["pk"], update)
                changed[table.label] = changed.get(table.label, 0) + 1
    return changed


def _update_row(model, pk, update: dict) -> None:
    try:
        with transaction.atomic():
            model._default_manager.filter(pk=pk).update(**update)
    except IntegrityError:
        # A masked value collided with another row's unique value: make it the row's own.
        model._default_manager.filter(pk=pk).update(
            **{k: f"{v}-{pk}" if isinstance(v, str) else v for k, v in update.items()}
        )


def sweep_rows_addressed_to(
    *, organization_id: int, emails: set[str], pattern, exclude: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Rows of tables with an e-mail column (e-mails queued to the person, ...) addressed to one of `emails`:
    every text column masked with `pattern`, which may hold weak identifiers such as a first name ("Dear Anna")."""
    changed: dict[str, int] = {}
    emails = {e for e in emails if e}
    if not emails or pattern is None:
        return changed
    for model, org_lookup, email_field in email_tables():
        label = model._meta.label_lower
        if label in exclude or label in SKIP_MODELS:
            continue
        table = next(t for t in org_tables(include_skipped=True) if t.model is model)
        match = Q()
        for email in emails:
            match |= Q(**{f"{email_field.name}__iexact": email})
        qs = model._default_manager.filter(match, **{f"{org_lookup}_id": organization_id})
        names = [f.name for f in table.fields]
        for row in qs.values("pk", *names).iterator():
            update = {}
            for f in table.fields:
                old = row[f.name]
                new = scrub_value(old, pattern) if isinstance(f, models.JSONField) else scrub_text(old, pattern)
                if new != old:
                    max_length = getattr(f, "max_length", None)
                    update[f.name] = new[:max_length] if max_length and isinstance(new, str) else new
            if update:
                _update_row(model, row["pk"], update)
                changed[label] = changed.get(label, 0) + 1
    return changed


def leftovers(*, organization_id: int, values: set[str], include_skipped: bool = False) -> dict[str, int]:
    """Rows of the organization still containing any of `values`, per table (never which values)."""
    found: dict[str, int] = {}
    for table in org_tables(include_skipped=include_skipped):
        if table.label in ("customers.customer", "audit.auditevent"):
            continue
        n = matching(table, organization_id, values).count()
        if n:
            found[table.label] = n
    return found


def relations_to(model: type[models.Model]) -> list[tuple[type[models.Model], models.Field]]:
    """(model, foreign key) of every concrete foreign key pointing at `model`."""
    out = []
    for other in apps.get_models():
        if other._meta.proxy:
            continue
        for f in other._meta.concrete_fields:
            if f.is_relation and f.many_to_one and f.related_model is model:
                out.append((other, f))
    return out


def email_tables() -> list[tuple[type[models.Model], str, models.Field]]:
    """(model, organization lookup, e-mail field) of every organization-owned model with an e-mail column."""
    out = []
    for table in org_tables(include_skipped=True):
        for f in table.fields:
            if isinstance(f, models.EmailField) or f.name in ("email", "recipient", "to_email", "to_address"):
                out.append((table.model, table.org_lookup, f))
    return out
