"""Shared pieces of the actions API: related-row fields."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers


class OrgUserField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to a member of the caller's organization."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        ctx = self.context["request"].org_ctx
        return get_user_model().objects.filter(memberships__organization=ctx.organization)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()
