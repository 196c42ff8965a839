"""Response ingestion API: submit one response, a batch of responses, and list/read them.

Retries are safe: an `Idempotency-Key` header (or `idempotency_key` field) makes a repeated submission return the
first response; the same key with a different payload is a 409 (surveys.idempotency). Writes are throttled per API
key (or user); bodies above DATA_UPLOAD_MAX_MEMORY_SIZE get 413. The API validates the fields and reads the header;
surveys.ingestion.batch submits, and a refusal comes back here to become its HTTP error (core.api's one shape).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, throttling, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from accounts.models import ApiKey
from core import ratelimit
from core.api import (
    IDEMPOTENCY_HEADER,
    Conflict,
    IdempotencyKeyReused,
    PayloadTooLarge,
    StrictCursorPagination,
    idempotency_header,
)
from core.api_params import check_query_params
from journeys.models import Channel
from surveys.idempotency import fingerprints_conflict, payload_fingerprint
from surveys.ingestion import selectors
from surveys.ingestion.batch import ItemResult, responses_ingest
from surveys.ingestion.errors import (
    AnswerValidationError,
    IdempotencyConflict,
    IngestionError,
    InvitationExpired,
    InvitationUsed,
    UnknownRows,
)
from surveys.ingestion.services import IDEMPOTENCY_KEY_MAX_LENGTH
from surveys.models import Response

MAX_ID = 2**53
MAX_ANSWERS = 200


def batch_max_items() -> int:
    return getattr(settings, "SURVEYS_API_BATCH_MAX_ITEMS", 500)


# -- errors ------------------------------------------------------------------------------------------------------


class InvitationGone(exceptions.APIException):
    """410: the invitation has expired."""

    status_code = status.HTTP_410_GONE
    default_code = "invitation_expired"


def _refusal_error(exc: IngestionError) -> exceptions.APIException:
    """The API's error for a refused submission: raised for one response, listed in `results` for a batch."""
    if isinstance(exc, UnknownRows):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, AnswerValidationError):
        return exceptions.ValidationError({"answers": exc.errors})
    if isinstance(exc, IdempotencyConflict):
        return IdempotencyKeyReused()
    if isinstance(exc, InvitationUsed):
        return Conflict({"invitation_token": [exc.message]})
    if isinstance(exc, InvitationExpired):
        return InvitationGone({"invitation_token": [exc.message]})
    return exceptions.ValidationError({"non_field_errors": [exc.message]})


# -- transport guards --------------------------------------------------------------------------------------------


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


# -- items -------------------------------------------------------------------------------------------------------


def _validated(item: object) -> dict:
    """An item's fields, checked as the body of POST /responses/, with its payload's fingerprint."""
    if not isinstance(item, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    serializer = ResponseInSerializer(data=item)
    serializer.is_valid(raise_exception=True)
    return {**serializer.validated_data, "idempotency_fingerprint": payload_fingerprint(item)}


def _refused_out(index: int, exc: exceptions.APIException) -> dict:
    return {"index": index, "status": "error", "id": None, "errors": exc.detail}


def _result_out(result: ItemResult) -> dict:
    """A batch item's row in `results` (BatchItemResultSerializer)."""
    if result.refused is not None:
        return _refused_out(result.index, _refusal_error(result.refused))
    return {"index": result.index, "status": "created" if result.created else "duplicate", "id": result.response.pk}


# -- views -------------------------------------------------------------------------------------------------------


class ResponseCursorPagination(StrictCursorPagination):
    ordering = ("-submitted_at", "-id")


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
        data = _validated(request.data)
        header_key = idempotency_header(request, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        if header_key:
            data["idempotency_key"] = header_key
        (result,) = responses_ingest(ctx=request.org_ctx, items=[(0, data)])
        if result.refused is not None:
            raise _refusal_error(result.refused)
        if not result.created:
            response = selectors.response_get(ctx=request.org_ctx, pk=result.response.pk)
            return ApiResponse(response_out(response), status=status.HTTP_200_OK)
        # A new response carries its answers already (see response_submit): nothing is read back.
        return ApiResponse(response_out(result.response), status=status.HTTP_201_CREATED)

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
        suffix = len(f"#{batch_max_items() - 1}")
        header_key = idempotency_header(request, max_length=IDEMPOTENCY_KEY_MAX_LENGTH - suffix)
        valid: list[tuple[int, dict]] = []
        header_keyed: dict[str, str] = {}
        results: dict[int, dict] = {}
        for index, item in enumerate(items):
            try:
                data = _validated(item)
            except exceptions.ValidationError as exc:
                results[index] = _refused_out(index, exc)
                continue
            if header_key and not data.get("idempotency_key"):
                data["idempotency_key"] = f"{header_key}#{index}"
                header_keyed[data["idempotency_key"]] = data["idempotency_fingerprint"]
            valid.append((index, data))
        # The header names the whole batch: sent again with other items, nothing is stored and the answer is 409.
        stored = selectors.fingerprints_by_idempotency_key(ctx=request.org_ctx, keys=header_keyed)
        if any(fingerprints_conflict(fp, header_keyed[key]) for key, fp in stored.items()):
            raise IdempotencyKeyReused()
        for result in responses_ingest(ctx=request.org_ctx, items=valid):
            results[result.index] = _result_out(result)
        ordered = [results[i] for i in range(len(items))]
        body = {
            "created": sum(r["status"] == "created" for r in ordered),
            "duplicates": sum(r["status"] == "duplicate" for r in ordered),
            "errors": sum(r["status"] == "error" for r in ordered),
            "results": ordered,
        }
        return ApiResponse(body, status=status.HTTP_200_OK)
