"""REST API of the voice of the customer, under /api/v1/voice/ (routes in voice/api_urls.py).

Scope: every read goes through voice.selectors with the caller's context, so another organization's ids are 404s
and a frontline user sees the comments and figures of their teams' touchpoints only; an API key acts as a CX manager
of its organization. Every write goes through voice.taxonomy (themes, proposals, discovery), which re-tags the
comments in the background. Writes need a CX manager or an admin (the default permission); proposals are read by
those who curate the taxonomy and by executives, as on the pages.

Comments are served with their masked text only: the answer's own text never leaves surveys.Answer through here.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.scoping import WRITE_PROGRAM_ROLES, OrgContext
from core.api import Conflict, StrictCursorPagination
from core.api_params import check_query_params, choice_param
from voice import selectors, taxonomy
from voice import serializers as s
from voice.models import CommentAnalysis, Theme, ThemeProposal, VoiceRun
from voice.stats import add_months, month_start, months_between

# Executives read the proposals; frontline staff work cases and do not curate the taxonomy (as voice.views).
PROPOSAL_READ_ROLES = WRITE_PROGRAM_ROLES | {Role.EXECUTIVE}
STATS_MONTHS_BACK = 3  # default period of the theme statistics: the last three full months and this one
TREND_MONTHS_BACK = 11  # default period of a trend: twelve months
MAX_TREND_MONTHS = 120

NOT_FOUND_IN_SCOPE = OpenApiResponse(
    description="No such theme, touchpoint or journey in the caller's organization (or not the frontline user's)."
)


def _params(request, params_class: type) -> dict:
    """The query parameters validated by `params_class`: each given once, none empty."""
    names = set(params_class().fields)
    check_query_params(request, single=names, nonempty=names)
    params = params_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _status_param(request, choices) -> str | None:
    check_query_params(request, nonempty={"status"})
    return choice_param(request, "status", choices)


def _default_metric(ctx: OrgContext) -> str:
    metric = ctx.organization.primary_metric
    return metric if metric in s.METRICS else "nps"


def _period(request, *, months_back: int) -> tuple[dt.date, dt.date, dict]:
    """(start, end, scope keyword arguments of the statistics selectors) of a statistics request."""
    d = _params(request, s.StatsParams)
    end = d.get("end") or timezone.localdate()
    start = d.get("start") or add_months(month_start(end), -months_back)
    if start > end:
        raise exceptions.ValidationError({"start": [_("The start comes after the end.")]})
    scope = {
        "touchpoint_id": d.get("touchpoint"),
        "journey_id": d.get("journey"),
        "metric": d.get("metric") or _default_metric(request.org_ctx),
    }
    return start, end, scope


def _month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


class CanReadProposals(permissions.BasePermission):
    """After HasOrganization (which sets request.org_ctx): admins, CX managers, executives and API keys."""

    def has_permission(self, request, view):
        ctx = getattr(request, "org_ctx", None)
        return ctx is not None and ctx.role in PROPOSAL_READ_ROLES


# -- themes ------------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List themes",
        description="Main themes and sub-themes (`parent` set), the active ones unless `status` says otherwise.",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=Theme.Status.values, description="Default: active themes only."
            )
        ],
    ),
    create=extend_schema(
        summary="Create a theme or sub-theme",
        description="The comments are re-tagged in the background (see /api/v1/voice/taxonomy/ for the progress).",
    ),
    retrieve=extend_schema(summary="Read a theme"),
    update=extend_schema(summary="Replace a theme"),
    partial_update=extend_schema(
        summary="Change a theme",
        description="A change of keywords, examples or parent re-tags the comments in the background.",
    ),
    destroy=extend_schema(
        summary="Archive a theme",
        description="Archives the theme and its sub-themes: no comment is tagged with them any more. The row stays "
        "(GET still reads it, with status archived).",
        responses={204: None},
    ),
)
class ThemeViewSet(viewsets.ModelViewSet):
    """The organization's theme taxonomy: themes, sub-themes, their keywords and example phrases per language."""

    queryset = Theme.objects.none()
    serializer_class = s.ThemeSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Theme.objects.none()
        theme_status = _status_param(self.request, Theme.Status.values) if self.action == "list" else None
        qs = selectors.theme_list(self.request.org_ctx, include_archived=theme_status is not None)
        return qs.filter(status=theme_status) if theme_status else qs

    def get_object(self) -> Theme:
        return selectors.theme_get(self.request.org_ctx, pk=self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = taxonomy.theme_create(self.request.org_ctx, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = taxonomy.theme_update(
            self.request.org_ctx, serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        taxonomy.theme_archive(self.request.org_ctx, instance)

    @extend_schema(
        summary="A theme's monthly trend",
        description="One point per month from start to end (default: the last twelve months). A figure resting on "
        "fewer than 10 comments is null: a gap, not a zero.",
        parameters=[s.StatsParams],
        responses={200: s.TrendPointSerializer(many=True), 404: NOT_FOUND_IN_SCOPE},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def trend(self, request, pk=None):
        theme = self.get_object()
        start, end, scope = _period(request, months_back=TREND_MONTHS_BACK)
        if len(months_between(start, end)) > MAX_TREND_MONTHS:
            raise exceptions.ValidationError(
                {"start": [_("Ask for at most %(months)s months.") % {"months": MAX_TREND_MONTHS}]}
            )
        points = selectors.theme_trend(request.org_ctx, theme, start=start, end=end, **scope)
        return Response(s.TrendPointSerializer(points, many=True).data)


class TaxonomyView(APIView):
    """The taxonomy as a tree, its version and the progress of the latest re-tagging."""

    @extend_schema(summary="Read the taxonomy tree", responses=s.TaxonomySerializer)
    def get(self, request):
        ctx = request.org_ctx
        data = {
            "version": selectors.taxonomy_version(ctx),
            "themes": selectors.theme_tree(ctx),
            "last_run": selectors.run_latest(ctx, VoiceRun.Kind.RETAG),
        }
        return Response(s.TaxonomySerializer(data).data)


# -- comments ----------------------------------------------------------------------------------------------------


class CommentCursorPagination(StrictCursorPagination):
    # The selector's own order (newest first).
    ordering = ("-submitted_on", "-pk")
    page_size = 50


@extend_schema_view(
    list=extend_schema(
        summary="Search the analysed comments",
        description="Newest first. `q` searches the masked text (full-text, stemmed in Swedish, Norwegian, Danish "
        "and English). Frontline users get their teams' touchpoints only.",
        parameters=[s.CommentListParams],
        responses={200: s.CommentSerializer(many=True), 404: NOT_FOUND_IN_SCOPE},
    ),
    retrieve=extend_schema(
        summary="Read one comment's analysis",
        parameters=[
            OpenApiParameter("answer", OpenApiTypes.INT, OpenApiParameter.PATH, description="The comment's id.")
        ],
        responses=s.CommentDetailSerializer,
    ),
)
class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Analysed comments: masked text, language, sentiment per sentence, drivers and themes."""

    queryset = CommentAnalysis.objects.none()
    serializer_class = s.CommentSerializer
    pagination_class = CommentCursorPagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CommentAnalysis.objects.none()
        d = _params(self.request, s.CommentListParams)
        return selectors.comment_search(
            self.request.org_ctx,
            q=d.get("q", ""),
            theme_id=d.get("theme"),
            sentiment=d.get("sentiment"),
            language=d.get("language"),
            touchpoint_id=d.get("touchpoint"),
            journey_id=d.get("journey"),
            score_min=d.get("score_min"),
            score_max=d.get("score_max"),
            segment=d.get("segment"),
            start=d.get("start"),
            end=d.get("end"),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "theme_links": selectors.comment_themes(request.org_ctx, page)}
        return self.get_paginated_response(s.CommentSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        analysis = selectors.comment_get(request.org_ctx, pk=kwargs["pk"])
        context = {
            **self.get_serializer_context(),
            "theme_links": selectors.comment_themes(request.org_ctx, [analysis]),
        }
        return Response(s.CommentDetailSerializer(analysis, context=context).data)


# -- statistics --------------------------------------------------------------------------------------------------


class ThemeStatsView(APIView):
    """Per theme: volume, share, the score with and without it, its impact and significance, sentiment."""

    @extend_schema(
        summary="Theme statistics of a period",
        description="From the monthly rollup: whole months from start to end (default: the last three full months "
        "and this one), one row per active theme and sub-theme, most harmful first. The impact is mean_with - "
        "mean_without on `metric` (negative: the theme lowers the score), tested with Welch's t test; significant "
        "means p < 0.05 with at least 10 scored comments on each side.",
        parameters=[s.StatsParams],
        responses={200: s.ThemeStatsSerializer, 404: NOT_FOUND_IN_SCOPE},
    )
    def get(self, request):
        ctx = request.org_ctx
        start, end, scope = _period(request, months_back=STATS_MONTHS_BACK)
        overview = selectors.theme_overview(ctx, start=start, end=end, **scope)
        values = selectors.values_at_stake(ctx, list(overview))
        data = {
            "start": overview.scope.start,
            "end": _month_end(overview.scope.end),
            "metric": overview.scope.metric,
            "totals": overview.totals,
            "themes": [s.theme_stat_row(row, values.get(row.theme.pk)) for row in overview],
        }
        return Response(s.ThemeStatsSerializer(data).data)


class EmergingView(APIView):
    """Themes whose share of the comments rose significantly in a month against the three months before."""

    @extend_schema(
        summary="Emerging themes of a month",
        description="Active themes whose share of the month's comments is at least 1.5 times the share of the three "
        "months before, with p < 0.05 (two-proportion z test) and at least 10 comments in the month. Largest rise "
        "first.",
        parameters=[s.EmergingParams],
        responses={200: s.EmergingThemeSerializer(many=True), 404: NOT_FOUND_IN_SCOPE},
    )
    def get(self, request):
        d = _params(request, s.EmergingParams)
        rows = selectors.emerging_themes(
            request.org_ctx,
            month=d.get("month") or month_start(timezone.localdate()),
            touchpoint_id=d.get("touchpoint"),
            journey_id=d.get("journey"),
        )
        return Response(s.EmergingThemeSerializer(rows, many=True).data)


# -- proposals and runs ------------------------------------------------------------------------------------------


ALREADY_DECIDED = OpenApiResponse(description="The proposal has already been accepted, merged or rejected.")


@extend_schema_view(
    list=extend_schema(
        summary="List theme proposals",
        description="Themes proposed by discovery from comments no theme covers, largest first.",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=ThemeProposal.Status.values, description="Default: every status."
            )
        ],
    ),
    retrieve=extend_schema(summary="Read a theme proposal", responses=s.ProposalDetailSerializer),
)
class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Theme proposals from discovery: accept (a new theme), merge (terms added to a theme) or reject."""

    queryset = ThemeProposal.objects.none()
    serializer_class = s.ProposalSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "head", "options"]

    def get_permissions(self):
        return [*super().get_permissions(), CanReadProposals()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ThemeProposal.objects.none()
        proposal_status = _status_param(self.request, ThemeProposal.Status.values)
        return selectors.proposal_list(self.request.org_ctx, status=proposal_status).order_by("-size", "pk")

    def get_object(self) -> ThemeProposal:
        proposal = selectors.proposal_get(self.request.org_ctx, pk=self.kwargs["pk"])
        if self.request.method == "POST" and proposal.status != ThemeProposal.Status.PROPOSED:
            raise Conflict(_("This proposal has already been decided."))
        return proposal

    def retrieve(self, request, *args, **kwargs):
        return Response(s.ProposalDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Accept a proposal as a new theme",
        description="The proposal's top terms become the new theme's keywords in its language (origin: "
        "discovered); the comments are re-tagged in the background.",
        request=s.ProposalAcceptSerializer,
        responses={201: s.ThemeSerializer, 409: ALREADY_DECIDED},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        proposal = self.get_object()
        data = s.ProposalAcceptSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        d = data.validated_data
        name = d.get("name") or proposal.label
        theme = taxonomy.proposal_accept(request.org_ctx, proposal, name=name, parent=d.get("parent"))
        data = s.ThemeSerializer(theme, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge a proposal into a theme",
        description="The proposal's top terms are added to the theme's keywords in the proposal's language.",
        request=s.ProposalMergeSerializer,
        responses={200: s.ThemeSerializer, 409: ALREADY_DECIDED},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        proposal = self.get_object()
        data = s.ProposalMergeSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        theme = taxonomy.proposal_merge(request.org_ctx, proposal, data.validated_data["theme"])
        return Response(s.ThemeSerializer(theme, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Reject a proposal",
        description="Its terms are not proposed again.",
        request=None,
        responses={200: s.ProposalSerializer, 409: ALREADY_DECIDED},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        proposal = taxonomy.proposal_reject(request.org_ctx, self.get_object())
        return Response(s.ProposalSerializer(proposal).data)


class DiscoveryView(APIView):
    """Start theme discovery: comments no theme covers are clustered into proposals, in the background."""

    @extend_schema(
        summary="Start theme discovery",
        description="Answers at once with the queued run; follow it at /api/v1/voice/runs/{id}/. Its proposals "
        "appear at /api/v1/voice/proposals/.",
        request=None,
        responses={
            202: s.VoiceRunSerializer,
            409: OpenApiResponse(description="Discovery is already queued or running."),
        },
    )
    def post(self, request):
        try:
            run = taxonomy.discovery_start(request.org_ctx)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from exc
        return Response(s.VoiceRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(retrieve=extend_schema(summary="Read a background run's progress"))
class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background runs: re-tagging after a taxonomy change, theme discovery."""

    queryset = VoiceRun.objects.none()
    serializer_class = s.VoiceRunSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_object(self) -> VoiceRun:
        return selectors.run_get(self.request.org_ctx, pk=self.kwargs["pk"])
