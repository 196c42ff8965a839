"""Shared DRF building blocks: every endpoint is scoped through its app's selectors and `request.org_ctx`.

The API's common contract lives here, set once in settings (REST_FRAMEWORK) rather than on every view:
- One error shape for every error under /api/ (`ERROR_COMPONENT`): a JSON object with `detail` for the request as a
  whole, or each field's name with its messages. Views raise their errors, never build the body: `exception_handler`
  answers every DRF view (a service's Django ValidationError is a 400, a body over the size limit a 413) and
  `error_response` the Django error views under /api/ (cxplatform.views), both through `error_body`.
- `idempotency_header`: the one way an endpoint reads the `Idempotency-Key` header (too long is a 400, never cut).
- `core.api_params` (a module of its own: DRF imports it while its generic views are being defined):
  pagination and filters validate query parameters instead of ignoring them.
- `AutoSchema`: every operation documents the errors it can answer with (400, 401, 403, 404, 415, 429), so the
  published schema tells the truth (tests/api/test_schemathesis.py holds the API to it).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import exceptions, pagination, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_params import BIGINT_MAX, check_query_params, int_param


class StrictManyRelatedField(serializers.ManyRelatedField):
    """A list of ids that must be a list: DRF would take any iterable, an object ({}) as an empty list."""

    def to_internal_value(self, data):
        if not isinstance(data, list | tuple):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class OrgRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that only accepts rows of the caller's organization (another org's id is 'does not exist')."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return StrictManyRelatedField(**list_kwargs)

    def get_queryset(self):
        request = self.context["request"]
        return super().get_queryset().for_org(request.org_ctx.organization)


class StrictCharField(serializers.CharField):
    """Text that must be sent as a string: DRF would turn a number or a boolean into text, accepting what the schema
    (type: string) says is invalid."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false: DRF would also take 0, 1 and 1.0, which the schema (type: boolean) says are invalid. Strings
    ("true", "on") still come from form bodies."""

    def to_internal_value(self, data):
        if not isinstance(data, bool | str):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A number, not a boolean: DRF would read false as 0.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializer: text columns take strings only, boolean columns booleans only, numbers numbers."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
        models.FloatField: StrictFloatField,
    }


class OrgScopedViewSet(viewsets.ModelViewSet):
    """Subclasses set `selector`: a function (ctx=) -> queryset of rows visible to that context."""

    selector = None

    def get_queryset(self):
        return type(self).selector(ctx=self.request.org_ctx)

    def perform_create(self, serializer):
        serializer.save(organization=self.request.org_ctx.organization)


# -- errors ------------------------------------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    """413: the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body too large.")
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    """409: the request conflicts with the current state of the row (see the operation's description)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ApiError(exceptions.APIException):
    """An error whose body carries data beside its `detail` (a conflict's current holder, the rows that failed).

    The data is kept as given: DRF's own exceptions would turn its numbers and nulls into strings.
    """

    def __init__(self, detail: str, *, status_code: int, **data: object) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = {"detail": self.detail, **data}


def error_body(exc: exceptions.APIException) -> dict:
    """The one error shape: an object, with `detail` or each field's name with its messages (a bare list of
    messages is the request's `non_field_errors`, as DRF names a serializer's own)."""
    if isinstance(exc.detail, dict):
        return exc.detail
    if isinstance(exc.detail, list):
        return {"non_field_errors": exc.detail}
    return {"detail": exc.detail}


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """The error of a request under /api/ that no DRF view answered (no route, a crash): the same body."""
    return JsonResponse(error_body(exc), status=exc.status_code)


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    """Django's exceptions as the API's; None for anything else (a bug: a 500)."""
    if isinstance(exc, DjangoValidationError):
        # A service's refusal: its fields' messages, or one `detail` of all its messages.
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(get_error_detail(exc))
        return exceptions.ValidationError({"detail": " ".join(exc.messages)})
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    return exc if isinstance(exc, exceptions.APIException) else None


def _render_as_json(view, request: Request) -> None:
    """A view that answers a file (PDF, zip) as well as JSON answers its errors in JSON, also to a client that asked
    for the file's type (`Accept: application/pdf`, `?format=zip`), as the schema documents them."""
    if JSONRenderer in view.renderer_classes and not isinstance(
        getattr(request, "accepted_renderer", None), JSONRenderer | BrowsableAPIRenderer
    ):
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error raised in a DRF view, answered with the one shape (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    response = drf_exception_handler(api_exc, context)  # its headers (WWW-Authenticate, Retry-After) and rollback
    response.data = error_body(api_exc)
    _render_as_json(context["view"], context["request"])
    return response


# -- idempotency -------------------------------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_header(request: Request, *, max_length: int) -> str:
    """The request's `Idempotency-Key` header ('' without one), the one way every endpoint reads it.

    A key longer than `max_length` (what the endpoint can store) is a 400, never cut: two different keys cut to the
    same prefix would make a new request look like a retry and store nothing.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > max_length:
        message = _("The Idempotency-Key header may be at most %(n)s characters long.") % {"n": max_length}
        raise exceptions.ValidationError({"idempotency_key": [message]})
    return key


class IdempotencyKeyReused(Conflict):
    """409: the Idempotency-Key was used before with a different payload (surveys.idempotency)."""

    default_code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__(
            {
                "idempotency_key": [
                    _(
                        "This Idempotency-Key was used before for a different request. A retry must send the same "
                        "body; a new request needs a new key."
                    )
                ]
            }
        )


# -- schema ------------------------------------------------------------------------------------------------------

ERROR_COMPONENT = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "description": "`detail` for the request as a whole; otherwise each field's name with its messages.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    },
)
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: each field's name with its messages, or `detail`.",
    "401": "No API key, or an invalid or revoked one.",
    "403": "The key's organization or role may not do this.",
    "404": "No such object in the caller's organization.",
    "409": "Conflict with the current state (see the operation's description).",
    "413": "The request body is too large.",
    "415": "Unsupported content type of the request body.",
    "429": "Too many requests: wait as long as the Retry-After header says.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the errors every operation can answer with added where the view did not
    document them itself."""

    def map_parsers(self):
        # Where JSON is accepted, it is the one documented body type: form encodings cannot carry null or a list, so
        # a schema offering them would promise requests that fail. (Form bodies are still parsed as before.)
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_parameters(self):
        parameters = super()._get_parameters()
        # A whole-number query parameter (an id, a count) is refused past bigint: the schema says so.
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("in") == "query" and schema.get("type") == "integer":
                schema.setdefault("minimum", -BIGINT_MAX)
                schema.setdefault("maximum", BIGINT_MAX)
        return parameters

    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        # A write can always be refused by a service's rule (a case that must be open, an action that must be done).
        if self.method != "GET" or has_query:
            codes.append("400")
        if has_body:
            codes.append("415")
        # DRF answers a cursor it cannot decode with 404 ("Invalid cursor").
        paginator = self._get_paginator() if self.method == "GET" and self._is_list_view() else None
        if "{" in self.path or isinstance(paginator, pagination.CursorPagination):
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        self.registry.register_on_missing(ERROR_COMPONENT)
        for code in self._error_codes():
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_COMPONENT.ref}},
                },
            )
        # An error documented by a view without a body (OpenApiResponse(description=...)) gets the error body.
        for code, response in responses.items():
            if code.startswith(("4", "5")) and not response.get("content"):
                response["content"] = {"application/json": {"schema": ERROR_COMPONENT.ref}}
        return responses


class StrictCursorPagination(pagination.CursorPagination):
    """A cursor, not an offset: no COUNT(*) over millions of rows, every page costs the same. Subclasses set the
    ordering."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # A page size that is not a number from 1 to max_page_size is a 400, not silently the default.
        check_query_params(request, single={self.cursor_query_param, self.page_size_query_param})
        return int_param(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size) or self.page_size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
