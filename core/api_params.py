"""Query parameters of the API validated, not ignored (set in REST_FRAMEWORK; see core/api.py).

A `limit` that is not a number from 1 to MAX_LIMIT, an id beyond PostgreSQL's bigint, a NUL character or a
single-valued parameter given twice is a 400: before, some reached the database and came back as 500s, others were
silently replaced by the default. This module imports nothing of DRF's generic views: DRF imports it while defining
them.
"""

from __future__ import annotations

import datetime as dt
import decimal

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend, NumberFilter
from django_filters.utils import get_model_field
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination

# PostgreSQL's bigint: every id column. A larger number cannot name a row and must not reach the database.
BIGINT_MAX = 2**63 - 1
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


def check_query_params(
    request, *, single: set[str] | frozenset[str] = frozenset(), nonempty: set[str] | frozenset[str] = frozenset()
) -> None:
    """Refuse NUL characters anywhere in the query string, a parameter of `single` given more than once and an empty
    one of `nonempty` (an id, a date or a choice: `?to=` is no date, and must not mean "no filter")."""
    errors = {}
    for name, values in request.query_params.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            errors[name.replace("\x00", "")] = [_("Null characters are not allowed.")]
        elif name in single and len(values) > 1:
            errors[name] = [_("Give this parameter once.")]
        elif name in nonempty and "" in values:
            errors[name] = [_("Give a value or leave the parameter out.")]
    if errors:
        raise exceptions.ValidationError(errors)


def _bounded_int(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    digits = raw[1:] if raw.startswith("-") else raw
    value = int(raw) if digits.isascii() and digits.isdigit() else None
    if value is None or not minimum <= value <= maximum:
        message = _("Give a whole number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum}
        raise exceptions.ValidationError({name: [message]})
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` (1 to MAX_LIMIT) and `offset` (0 up) validated: a bad value is a 400, not silently the default."""

    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        check_query_params(request, single={self.limit_query_param, self.offset_query_param})
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        return _bounded_int(
            request, self.limit_query_param, default=self.default_limit, minimum=1, maximum=self.max_limit
        )

    def get_offset(self, request):
        return _bounded_int(request, self.offset_query_param, default=0, minimum=0, maximum=MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


@extend_schema_field({"type": "integer", "minimum": -BIGINT_MAX, "maximum": BIGINT_MAX})
class IdFilter(NumberFilter):
    """A filter on an id: a whole number within bigint (django-filter's NumberFilter takes fractions)."""

    field_class = forms.IntegerField


BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}
# PostgreSQL keeps time zone offsets within ±15:59; a larger one (Python allows up to 23:59) is a database error.
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)


def _is_integer_field(model, field_name: str) -> bool:
    field = get_model_field(model, field_name) if model is not None else None
    field = getattr(field, "target_field", None) or field
    return isinstance(field, models.IntegerField | models.AutoField)


def _filter_errors(filterset, params) -> dict[str, list[str]]:
    """What django-filter lets through but the schema (or the database) does not: an empty value of a non-text
    filter, a boolean that is not one, a fraction for an id, a number beyond bigint, a time zone offset past 15:59."""
    errors = {}
    model = filterset._meta.model
    for name, flt in filterset.filters.items():
        field = filterset.form.fields.get(name)
        if name not in params or field is None:
            continue
        raw = params.get(name)
        value = filterset.form.cleaned_data.get(name)
        if raw == "" and not isinstance(field, forms.CharField):
            errors[name] = [_("Give a value or leave the parameter out.")]
        elif isinstance(field, forms.NullBooleanField) and raw not in BOOLEAN_VALUES:
            errors[name] = [_("Use true or false.")]
        elif isinstance(value, int | decimal.Decimal) and not isinstance(value, bool):
            if not -BIGINT_MAX <= value <= BIGINT_MAX:
                errors[name] = [_("The number is out of range.")]
            elif value != int(value) and _is_integer_field(model, flt.field_name):
                errors[name] = [_("Give a whole number.")]
        elif isinstance(value, dt.datetime) and value.utcoffset() and abs(value.utcoffset()) > MAX_UTC_OFFSET:
            errors[name] = [_("The time zone offset is out of range (at most ±15:59).")]
    return errors


class FilterBackend(DjangoFilterBackend):
    """django-filter, plus: no NUL characters, single-valued filters given once, and the checks of _filter_errors."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        single = {
            name
            for name, field in filterset.form.fields.items()
            if not getattr(field.widget, "allow_multiple_selected", False)
        }
        check_query_params(request, single=single)
        if not filterset.is_valid() and self.raise_exception:
            raise exceptions.ValidationError(filterset.errors)
        errors = _filter_errors(filterset, request.query_params)
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset.qs


def int_param(request, name: str, *, minimum: int = -BIGINT_MAX, maximum: int = BIGINT_MAX) -> int | None:
    """An optional whole-number query parameter (an id by default): None when absent, a 400 when not a number in
    range. For views that read their parameters by hand instead of through a FilterSet."""
    check_query_params(request, single={name})
    if not request.query_params.get(name):
        return None
    return _bounded_int(request, name, default=0, minimum=minimum, maximum=maximum)


def choice_param(request, name: str, choices) -> str | None:
    """An optional query parameter that must be one of `choices` (None when absent or empty)."""
    check_query_params(request, single={name})
    value = request.query_params.get(name)
    if not value:
        return None
    if value not in choices:
        message = _("Use one of: %(choices)s.") % {"choices": ", ".join(choices)}
        raise exceptions.ValidationError({name: [message]})
    return value
