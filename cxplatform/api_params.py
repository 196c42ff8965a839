"""Query parameters of the API validated, not ignored (set in REST_FRAMEWORK; see cxplatform/api.py).

A `limit` that is not a number from 1 to MAX_LIMIT, an id beyond PostgreSQL's bigint, a NUL character or a
single-valued parameter given twice is a 400: before, some reached the database and came back as 500s, others were
silently replaced by the default. This module imports nothing of DRF's generic views: DRF imports it while defining
them.
"""

from __future__ import annotations

import decimal

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination

# PostgreSQL's bigint: every id column. A larger number cannot name a row and must not reach the database.
BIGINT_MAX = 2**63 - 1
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


def check_query_params(request, *, single: set[str] | frozenset[str] = frozenset()) -> None:
    """Refuse NUL characters anywhere in the query string, and a parameter of `single` given more than once."""
    errors = {}
    for name, values in request.query_params.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            errors[name.replace("\x00", "")] = [_("Null characters are not allowed.")]
        elif name in single and len(values) > 1:
            errors[name] = [_("Give this parameter once.")]
    if errors:
        raise exceptions.ValidationError(errors)


def _bounded_int(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() else None
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


def _out_of_range(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | decimal.Decimal | float):
        return not -BIGINT_MAX <= value <= BIGINT_MAX
    return False


class FilterBackend(DjangoFilterBackend):
    """django-filter, plus: no NUL characters, numbers within bigint, single-valued filters given once."""

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
        errors = {
            name: [_("The number is out of range.")]
            for name, value in filterset.form.cleaned_data.items()
            if _out_of_range(value)
        }
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset.qs
