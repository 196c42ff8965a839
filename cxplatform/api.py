"""Shared DRF building blocks: every endpoint is scoped through its app's selectors and `request.org_ctx`."""

from __future__ import annotations

from rest_framework import serializers, viewsets


class OrgRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that only accepts rows of the caller's organization (another org's id is 'does not exist')."""

    def get_queryset(self):
        request = self.context["request"]
        return super().get_queryset().for_org(request.org_ctx.organization)


class OrgScopedViewSet(viewsets.ModelViewSet):
    """Subclasses set `selector`: a function (ctx=) -> queryset of rows visible to that context."""

    selector = None

    def get_queryset(self):
        return type(self).selector(ctx=self.request.org_ctx)

    def perform_create(self, serializer):
        serializer.save(organization=self.request.org_ctx.organization)
