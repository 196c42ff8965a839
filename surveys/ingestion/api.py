"""Response ingestion API: submit one response, a batch of responses, and list/read them.

Retries are safe: an `Idempotency-Key` header (or `idempotency_key` field) makes a repeated submission return the
first response; the same key with a different payload is a 409 (surveys.idempotency). Writes are throttled per API
key (or user); bodies above DATA_UPLOAD_MAX_MEMORY_SIZE get 413.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, pagination, serializers, status, throttling, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from accounts.models import ApiKey
from accounts.scoping import OrgContext
from core import ratelimit
from core.api_params import check_query_params, int_param
from journeys.models import Channel
from surveys.idempotency import fingerprints_conflict, payload_fingerprint
from surveys.ingestion import selectors
from surveys.ingestion.errors import (
    AnswerValidationError,
    IdempotencyConflict,
    IngestionError,
    InvitationExpired,
    InvitationUsed,
)
from surveys.ingestion.services import IDEMPOTENCY_KEY_MAX_LENGTH, response_submit
from surveys.models import Response, Survey

MAX_ID = 2**53
MAX_ANSWERS = 200
IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_header(request: Request, *, reserve: int = 0) -> str:
    """The request's `Idempotency-Key` header ('' without one), the one way every endpoint reads it.

    A key longer than can be stored (less `reserve` characters kept for a per-item suffix) is a 400, never cut:
    two different keys cut to the same prefix would make a new request look like a retry and store nothing.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    longest = IDEMPOTENCY_KEY_MAX_LENGTH - reserve
    if len(key) > longest:
        message = _("The Idempotency-Key header may be at most %(n)s characters long.") % {"n": longest}
        raise exceptions.ValidationError({"idempotency_key": [message]})
    return key


class IdempotencyKeyReused(exceptions.APIException):
    """409: the Idempotency-Key was used before with a different payload (surveys.idempotency)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_conflict"

    def __init__(self):
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


def batch_max_items() -> int:
    return getattr(settings, "SURVEYS_API_BATCH_MAX_ITEMS", 500)


# -- transport guards --------------------------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class BoundedJSONParser(JSONParser):
    """JSON only, refused before reading when larger than DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the raw stream
    and would otherwise skip Django's limit); absurd nesting is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.")


class _ResponsesThrottle(throttling.SimpleRateThrottle):
    """Rate per API key (or per user for session clients, per address otherwise); rates in settings.

    A fixed-window counter (core.ratelimit) instead of DRF's list of request times."""

    def get_rate(self):
        return getattr(settings, "SURVEYS_API_THROTTLE_RATES", {}).get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        allowed, self._wait = ratelimit.hit(key, limit=self.num_requests, period=self.duration)
        return allowed

    def wait(self):
        return self._wait


class ResponsesThrottle(_ResponsesThrottle):
    scope = "responses"


class ResponsesBatchThrottle(_ResponsesThrottle):
    scope = "responses_batch"


# -- serializers -------------------------------------------------------------------------------------------------


class ResponseInSerializer(serializers.Serializer):
    survey = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="Defaults to the current version."
    )
    touchpoint = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    customer_external_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    invitation_token = serializers.CharField(required=False, allow_blank=True, max_length=64)
    answers = serializers.DictField(help_text="{question code: value}; scores as integers, choices as option codes.")
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$", required=False, allow_blank=True, max_length=8
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    submitted_at = serializers.DateTimeField(required=False, allow_null=True)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)

    def validate_answers(self, value):
        if not value:
            raise serializers.ValidationError(_("Answer at least one question."))
        if len(value) > MAX_ANSWERS:
            raise serializers.ValidationError(_("Too many answers."))
        return value

    def validate_submitted_at(self, value):
        if value is None:
            return value
        if value > timezone.now() + dt.timedelta(hours=1):
            raise serializers.ValidationError(_("The submission time is in the future."))
        if value.year < 2000:
            raise serializers.ValidationError(_("The submission time is too far in the past."))
        return value


class BatchInSerializer(serializers.Serializer):
    # Each item is validated on its own (as the body of POST /responses/) and refused in `results`, not by a 400 of
    # the whole batch: so the schema of an item is any value.
    items = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=500,
        help_text="1 to 500 responses, each as the body of POST /responses/; each is accepted or refused on its own.",
    )


class AnswerOutSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.code")
    metric = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class ResponseOutSerializer(serializers.Serializer):
    # A plain Serializer rather than a ModelSerializer: building model fields per instance is a visible share of a
    # submission's CPU time.
    id = serializers.IntegerField(read_only=True)
    survey = serializers.IntegerField(source="survey_id", read_only=True)
    version = serializers.IntegerField(source="version_id", read_only=True)
    touchpoint = serializers.IntegerField(source="touchpoint_id", read_only=True, allow_null=True)
    journey = serializers.IntegerField(source="journey_id", read_only=True, allow_null=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True, allow_null=True)
    customer_external_id = serializers.CharField(
        source="customer.external_id", default=None, allow_null=True, read_only=True
    )
    language = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=Response.Source.choices, read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True)
    processed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    idempotency_key = serializers.CharField(read_only=True, allow_null=True)
    answers = AnswerOutSerializer(many=True, read_only=True)


_DATETIME = serializers.DateTimeField()


def response_out(response: Response) -> dict:
    """ResponseOutSerializer(response).data, written out: the serializer's per-instance field copies cost more
    than the rest of a submission's reply (tests/surveys/ingestion/test_api.py checks that both agree)."""
    customer = response.customer if response.customer_id is not None else None
    return {
        "id": response.pk,
        "survey": response.survey_id,
        "version": response.version_id,
        "touchpoint": response.touchpoint_id,
        "journey": response.journey_id,
        "customer": response.customer_id,
        "customer_external_id": customer.external_id if customer is not None else None,
        "language": response.language,
        "channel": response.channel,
        "source": response.source,
        "submitted_at": _DATETIME.to_representation(response.submitted_at),
        "processed_at": _DATETIME.to_representation(response.processed_at) if response.processed_at else None,
        "idempotency_key": response.idempotency_key,
        "answers": [
            {
                "question": a.question.code,
                "metric": a.metric,
                "value": float(a.value) if a.value is not None else None,
                "text": a.text,
                "choices": [str(c) for c in a.choices],
            }
            for a in response.answers.all()
        ],
    }


class BatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(required=False)


class BatchOutSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = BatchItemResultSerializer(many=True)


class ResponseListParams(serializers.Serializer):
    touchpoint = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    journey = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    survey = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    customer = serializers.CharField(required=False, max_length=100, help_text="Customer external id.")
    source = serializers.ChoiceField(required=False, choices=Response.Source.choices)

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a keyword in Python, so these two are added here rather than declared.
        fields["from"] = serializers.DateField(required=False, help_text="First day (organization time zone).")
        fields["to"] = serializers.DateField(required=False, help_text="Last day, inclusive.")
        return fields

    def to_filters(self) -> selectors.ResponseFilters:
        d = self.validated_data
        return selectors.ResponseFilters(
            touchpoint_id=d.get("touchpoint"),
            journey_id=d.get("journey"),
            survey_id=d.get("survey"),
            customer_external_id=d.get("customer"),
            source=d.get("source"),
            date_from=d.get("from"),
            date_to=d.get("to"),
        )


# -- ingestion of validated items --------------------------------------------------------------------------------


@dataclass
class ItemResult:
    index: int
    status: str
    response: Response | None = None
    errors: dict = field(default_factory=dict)
    http_status: int = status.HTTP_400_BAD_REQUEST

    def as_dict(self) -> dict:
        data = {"index": self.index, "status": self.status, "id": self.response.pk if self.response else None}
        if self.errors:
            data["errors"] = self.errors
        return data


def _error(index: int, errors: dict, http_status: int = status.HTTP_400_BAD_REQUEST) -> ItemResult:
    return ItemResult(index=index, status="error", errors=errors, http_status=http_status)


def ingest_items(*, ctx: OrgContext, items: list[tuple[int, dict]]) -> list[ItemResult]:
    """Resolve the related rows of validated items in bulk (scoped to ctx), then submit each on its own."""
    surveys = selectors.surveys_by_id(ctx=ctx, ids=[d["survey"] for _, d in items])
    version_ids = {d.get("version") or getattr(surveys.get(d["survey"]), "current_version_id", None) for _, d in items}
    versions = selectors.published_versions_by_id(ctx=ctx, ids=[v for v in version_ids if v])
    touchpoint_ids = [d["touchpoint"] for _, d in items if d.get("touchpoint")]
    touchpoints = selectors.touchpoints_by_id(ctx=ctx, ids=touchpoint_ids) if touchpoint_ids else {}
    customer_ids = [d["customer"] for _, d in items if d.get("customer")]
    external_ids = [d["customer_external_id"] for _, d in items if d.get("customer_external_id")]
    customers = selectors.customers_by_id(ctx=ctx, ids=customer_ids, external_ids=external_ids)
    tokens = [d["invitation_token"] for _, d in items if d.get("invitation_token")]
    invitations = selectors.invitations_by_token(ctx=ctx, tokens=tokens) if tokens else {}
    results = []
    for index, d in items:
        survey = surveys.get(d["survey"])
        if survey is None:
            results.append(_error(index, {"survey": [_("Unknown survey.")]}))
            continue
        if survey.status != Survey.Status.PUBLISHED:
            results.append(_error(index, {"survey": [_("The survey is not open for responses.")]}))
            continue
        version = versions.get(d.get("version") or survey.current_version_id)
        if version is None or version.survey_id != survey.pk:
            results.append(_error(index, {"version": [_("Unknown or unpublished survey version.")]}))
            continue
        errors = {}
        touchpoint = None
        if d.get("touchpoint"):
            touchpoint = touchpoints.get(d["touchpoint"])
            if touchpoint is None:
                errors["touchpoint"] = [_("Unknown touchpoint.")]
        customer = None
        customer_key = d.get("customer") or d.get("customer_external_id")
        if customer_key:
            customer = customers.get(customer_key)
            if customer is None:
                errors["customer" if d.get("customer") else "customer_external_id"] = [_("Unknown customer.")]
        invitation = None
        if d.get("invitation_token"):
            invitation = invitations.get(d["invitation_token"])
            if invitation is None or invitation.survey_id != survey.pk:
                errors["invitation_token"] = [_("Unknown invitation.")]
        if errors:
            results.append(_error(index, errors))
            continue
        try:
            response, created = response_submit(
                organization=ctx.organization,
                survey=survey,
                version=version,
                answers=d["answers"],
                touchpoint=touchpoint,
                customer=customer,
                invitation=invitation,
                language=d.get("language") or "",
                channel=d.get("channel") or "",
                source=Response.Source.API,
                submitted_at=d.get("submitted_at"),
                idempotency_key=d.get("idempotency_key") or None,
                idempotency_fingerprint=d.get("idempotency_fingerprint", ""),
            )
        except AnswerValidationError as exc:
            results.append(_error(index, {"answers": exc.errors}))
            continue
        except IdempotencyConflict:
            results.append(_error(index, IdempotencyKeyReused().detail, status.HTTP_409_CONFLICT))
            continue
        except InvitationUsed as exc:
            results.append(_error(index, {"invitation_token": [exc.message]}, status.HTTP_409_CONFLICT))
            continue
        except InvitationExpired as exc:
            results.append(_error(index, {"invitation_token": [exc.message]}, status.HTTP_410_GONE))
            continue
        except IngestionError as exc:
            results.append(_error(index, {"non_field_errors": [exc.message]}))
            continue
        results.append(
            ItemResult(
                index=index,
                status="created" if created else "duplicate",
                response=response,
                http_status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )
        )
    return results


# -- views -------------------------------------------------------------------------------------------------------


class ResponseCursorPagination(pagination.CursorPagination):
    # No COUNT(*) over millions of rows: every page costs the same.
    ordering = ("-submitted_at", "-id")
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


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Makes retries safe: the same key with the same body returns the first response (status 200) "
    "instead of a new one; the same key with a different body is refused (409).",
)


@extend_schema_view(
    list=extend_schema(
        summary="List responses",
        parameters=[ResponseListParams],
        responses=ResponseOutSerializer(many=True),
    ),
    retrieve=extend_schema(summary="Read one response", responses=ResponseOutSerializer),
)
class ResponseViewSet(viewsets.GenericViewSet):
    queryset = Response.objects.none()  # for the schema; requests go through the selectors
    serializer_class = ResponseOutSerializer
    parser_classes = [BoundedJSONParser]
    pagination_class = ResponseCursorPagination
    filter_backends: list = []

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        # Refuse before the body is read (after authentication, so strangers still get a 401).
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            raise PayloadTooLarge()

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        return super().handle_exception(exc)

    def get_throttles(self):
        if self.action == "batch":
            return [ResponsesBatchThrottle()]
        return [ResponsesThrottle()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Response.objects.none()
        filters = None
        if self.action == "list":
            names = set(ResponseListParams().fields)
            check_query_params(self.request, single=names, nonempty=names)
            params = ResponseListParams(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            filters = params.to_filters()
        return selectors.response_list(ctx=self.request.org_ctx, filters=filters)

    def list(self, request: Request) -> ApiResponse:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ResponseOutSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> ApiResponse:
        response = selectors.response_get(ctx=request.org_ctx, pk=pk)
        return ApiResponse(ResponseOutSerializer(response).data)

    @extend_schema(
        summary="Submit one response",
        request=ResponseInSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: ResponseOutSerializer,
            200: OpenApiResponse(ResponseOutSerializer, description="Replay of an earlier submission (same key)."),
            400: OpenApiResponse(description="Invalid input; `answers` maps question codes to messages."),
            409: OpenApiResponse(
                description="The invitation was already used, or the idempotency key was used before for a "
                "different request."
            ),
            410: OpenApiResponse(description="The invitation has expired."),
            413: OpenApiResponse(description="Body too large."),
        },
    )
    def create(self, request: Request) -> ApiResponse:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        serializer = ResponseInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        header_key = idempotency_header(request)
        if header_key:
            data["idempotency_key"] = header_key
        data["idempotency_fingerprint"] = payload_fingerprint(request.data)
        (result,) = ingest_items(ctx=request.org_ctx, items=[(0, data)])
        if result.status == "error":
            return ApiResponse(result.errors, status=result.http_status)
        response = result.response
        if result.status == "duplicate":
            response = selectors.response_get(ctx=request.org_ctx, pk=response.pk)
        # A new response carries its answers already (see response_submit): nothing is read back.
        return ApiResponse(response_out(response), status=result.http_status)

    @extend_schema(
        summary="Submit a batch of responses",
        description="Each item is stored or refused on its own. With an `Idempotency-Key` header, items without "
        "their own key get `<header>#<index>`, so the whole batch can be retried; the same header with different "
        "items is refused whole (409) and stores nothing. An item whose own key was used for a different response "
        "is refused in `results`.",
        request=BatchInSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: BatchOutSerializer,
            400: OpenApiResponse(description="Not a list of items, or too many."),
            409: OpenApiResponse(description="The Idempotency-Key was used before for a different batch."),
            413: OpenApiResponse(description="Body too large."),
        },
    )
    @action(detail=False, methods=["post"], url_path="batch")
    def batch(self, request: Request) -> ApiResponse:
        items = request.data.get("items") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError({"items": [_("Send a non-empty list of responses.")]})
        if len(items) > batch_max_items():
            raise exceptions.ValidationError(
                {"items": [_("At most %(n)s responses per request.") % {"n": batch_max_items()}]}
            )
        # Items without their own key get "<header>#<index>": the header leaves room for the longest suffix.
        header_key = idempotency_header(request, reserve=len(f"#{batch_max_items() - 1}"))
        valid: list[tuple[int, dict]] = []
        header_keyed: dict[str, str] = {}
        results: dict[int, ItemResult] = {}
        for index, item in enumerate(items):
            serializer = ResponseInSerializer(data=item) if isinstance(item, dict) else None
            if serializer is None:
                results[index] = _error(index, {"non_field_errors": [_("Expected a JSON object.")]})
                continue
            if not serializer.is_valid():
                results[index] = _error(index, serializer.errors)
                continue
            data = dict(serializer.validated_data)
            data["idempotency_fingerprint"] = payload_fingerprint(item)
            if header_key and not data.get("idempotency_key"):
                data["idempotency_key"] = f"{header_key}#{index}"
                header_keyed[data["idempotency_key"]] = data["idempotency_fingerprint"]
            valid.append((index, data))
        # The header names the whole batch: sent again with other items, nothing is stored and the answer is 409.
        stored = selectors.fingerprints_by_idempotency_key(ctx=request.org_ctx, keys=header_keyed)
        if any(fingerprints_conflict(fp, header_keyed[key]) for key, fp in stored.items()):
            raise IdempotencyKeyReused()
        for result in ingest_items(ctx=request.org_ctx, items=valid) if valid else []:
            results[result.index] = result
        ordered = [results[i] for i in range(len(items))]
        body = {
            "created": sum(r.status == "created" for r in ordered),
            "duplicates": sum(r.status == "duplicate" for r in ordered),
            "errors": sum(r.status == "error" for r in ordered),
            "results": [r.as_dict() for r in ordered],
        }
        return ApiResponse(body, status=status.HTTP_200_OK)
