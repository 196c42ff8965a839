"""REST API for personas, journeys, stages and touchpoints.

Reads are open to every member (and API keys); writes need program-edit rights (`HasOrganization`). Rows come from
the journeys selectors (scoped to the caller's organization), related ids are checked against the same organization
(`OrgRelatedField`, `OrgMemberField`), and writes go through journeys.services. Nothing that may carry survey
history is hard-deleted: DELETE archives a journey or persona and deactivates a touchpoint; a stage can only be
deleted while it is empty.
"""

from __future__ import annotations

from functools import partial

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.models import Team
from core.api import Conflict, ModelSerializer, OrgRelatedField, OrgScopedViewSet
from core.api_params import IdFilter
from journeys import selectors, services
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint


class OrgMemberField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to a member of the caller's organization (anyone else 'does not exist')."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return selectors.owner_choices(ctx=self.context["request"].org_ctx)


# -- serializers -------------------------------------------------------------------------------------------------


class PersonaSerializer(ModelSerializer):
    class Meta:
        model = Persona
        fields = ["id", "name", "description", "goals", "is_archived"]

    def validate_name(self, value: str) -> str:
        value = value.strip()
        ctx = self.context["request"].org_ctx
        qs = selectors.persona_list(ctx=ctx, include_archived=True).filter(name__iexact=value)
        if self.instance is not None:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise serializers.ValidationError(_("A persona with this name already exists."))
        return value


class JourneySerializer(ModelSerializer):
    owner = OrgMemberField(allow_null=True, required=False, help_text="User id of a member of the organization.")
    personas = OrgRelatedField(many=True, queryset=Persona.objects.all(), required=False)

    class Meta:
        model = Journey
        fields = ["id", "name", "description", "owner", "personas", "is_archived", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class StageSerializer(ModelSerializer):
    journey = OrgRelatedField(queryset=Journey.objects.all())
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Order within the journey; new stages go last when omitted."
    )

    class Meta:
        model = Stage
        fields = ["id", "journey", "name", "description", "position"]

    def validate_journey(self, value: Journey) -> Journey:
        # Moving a stage would silently move its touchpoints' history to another journey.
        if self.instance is not None and value.pk != self.instance.journey_id:
            raise serializers.ValidationError(_("A stage cannot be moved to another journey."))
        return value


class TouchpointSerializer(ModelSerializer):
    stage = OrgRelatedField(
        queryset=Stage.objects.all(), help_text="Moving to another stage also moves the touchpoint to its journey."
    )
    owner = OrgMemberField(
        allow_null=True, required=False, help_text="Accountable owner: user id of a member of the organization."
    )
    responsible_team = OrgRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Order within the stage; new touchpoints go last when omitted."
    )

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "journey",
            "stage",
            "name",
            "description",
            "channel",
            "owner",
            "responsible_team",
            "is_moment_of_truth",
            "pain_points",
            "is_active",
            "position",
            "priority",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["journey", "created_at", "updated_at"]


# -- filters -----------------------------------------------------------------------------------------------------
# Related ids are plain numbers, not model choices: a choice filter would answer "invalid choice" for unknown ids
# and an empty list for another organization's, which tells the two apart.


class PersonaFilter(django_filters.FilterSet):
    is_archived = django_filters.BooleanFilter()

    class Meta:
        model = Persona
        fields = ["is_archived"]


class JourneyFilter(django_filters.FilterSet):
    is_archived = django_filters.BooleanFilter()

    class Meta:
        model = Journey
        fields = ["is_archived"]


class StageFilter(django_filters.FilterSet):
    journey = IdFilter(field_name="journey_id", label="Journey id")

    class Meta:
        model = Stage
        fields = ["journey"]


class TouchpointFilter(django_filters.FilterSet):
    journey = IdFilter(field_name="journey_id", label="Journey id")
    stage = IdFilter(field_name="stage_id", label="Stage id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    is_active = django_filters.BooleanFilter()
    is_moment_of_truth = django_filters.BooleanFilter()

    class Meta:
        model = Touchpoint
        fields = ["journey", "stage", "channel", "is_active", "is_moment_of_truth"]


# -- viewsets ----------------------------------------------------------------------------------------------------


@extend_schema_view(
    destroy=extend_schema(
        description="Archive the persona (it is not deleted; restore with `is_archived: false`).",
        responses={204: None},
    )
)
class PersonaViewSet(OrgScopedViewSet):
    """Personas: who walks the journeys. Archived personas are listed too (filter with `is_archived`)."""

    queryset = Persona.objects.none()  # for the schema; rows come from the selector
    selector = staticmethod(partial(selectors.persona_list, include_archived=True))
    serializer_class = PersonaSerializer
    filterset_class = PersonaFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        archived = data.pop("is_archived", False)
        persona = services.persona_create(ctx=self.request.org_ctx, **data)
        serializer.instance = services.persona_archive(persona=persona, archived=archived)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        archived = data.pop("is_archived", None)
        persona = services.persona_update(persona=serializer.instance, data=data)
        if archived is not None:
            services.persona_archive(persona=persona, archived=archived)

    def perform_destroy(self, instance):
        services.persona_archive(persona=instance, archived=True)


@extend_schema_view(
    destroy=extend_schema(
        description="Archive the journey (it is not deleted; restore with `is_archived: false`).",
        responses={204: None},
    )
)
class JourneyViewSet(OrgScopedViewSet):
    """Journeys, e.g. 'Move to a new address'. Archived journeys are listed too (filter with `is_archived`)."""

    queryset = Journey.objects.none()
    selector = staticmethod(partial(selectors.journey_list, include_archived=True, with_personas=True))
    serializer_class = JourneySerializer
    filterset_class = JourneyFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        archived = data.pop("is_archived", False)
        journey = services.journey_create(ctx=self.request.org_ctx, **data)
        serializer.instance = services.journey_archive(journey=journey, archived=archived)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        archived = data.pop("is_archived", None)
        journey = services.journey_update(journey=serializer.instance, data=data)
        if archived is not None:
            services.journey_archive(journey=journey, archived=archived)

    def perform_destroy(self, instance):
        services.journey_archive(journey=instance, archived=True)


@extend_schema_view(
    destroy=extend_schema(
        description="Delete an empty stage. A stage that still has touchpoints answers 409.",
        responses={204: None, 409: OpenApiResponse(description="The stage still has touchpoints.")},
    )
)
class StageViewSet(OrgScopedViewSet):
    """Stages of a journey, in order (`position`)."""

    queryset = Stage.objects.none()
    selector = staticmethod(selectors.stage_list)
    serializer_class = StageSerializer
    filterset_class = StageFilter

    def perform_create(self, serializer):
        serializer.instance = services.stage_create(ctx=self.request.org_ctx, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("journey", None)  # unchanged (validated)
        services.stage_update(stage=serializer.instance, data=data)

    def destroy(self, request, *args, **kwargs):
        try:
            services.stage_delete(stage=self.get_object())
        except services.StageNotEmpty:
            raise Conflict(_("The stage still has touchpoints: move or deactivate them first.")) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    destroy=extend_schema(
        description="Deactivate the touchpoint (`is_active: false`); it is not deleted, so its survey history stays.",
        responses={204: None},
    )
)
class TouchpointViewSet(OrgScopedViewSet):
    """Touchpoints, ordered within their stage; `journey` always follows the stage."""

    queryset = Touchpoint.objects.none()
    selector = staticmethod(selectors.touchpoint_list)
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter

    def perform_create(self, serializer):
        serializer.instance = services.touchpoint_create(ctx=self.request.org_ctx, **serializer.validated_data)

    def perform_update(self, serializer):
        services.touchpoint_update(touchpoint=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.touchpoint_set_active(touchpoint=instance, active=False)
