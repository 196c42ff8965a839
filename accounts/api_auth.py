"""API-key authentication and the organization scope for DRF endpoints."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.api_scopes import scope_for_view
from accounts.models import ApiKey, Organization, hash_api_key
from accounts.scoping import OrgContext, context_for_api_key
from core.rawrows import RowReader, execute_prepared

KEYWORD = "Api-Key"


_KEYS, _ORGS = RowReader(ApiKey), RowReader(Organization)


# Kept for speed: as select_related("organization").first() an API submission costs 2.3 -> 3.2 ms Django + 0.7 -> 1.1 ms
# PostgreSQL CPU (bench_submissions --in-process 1000, spot "apikey", 2026-12-07); README "Benchmark figures".
def _active_key(hashed: str) -> ApiKey | None:
    """The unrevoked key with this hash and its organization: one hand-written query (it runs on every API call)."""
    query = (
        f"SELECT {_KEYS.columns('k')}, {_ORGS.columns('o')} FROM {ApiKey._meta.db_table} k "  # noqa: S608
        f"JOIN {Organization._meta.db_table} o ON o.id = k.organization_id "
        "WHERE k.hashed_key = %s AND k.revoked_at IS NULL"
    )
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cx_active_api_key", query, [hashed])
        row = cursor.fetchone()
    if row is None:
        return None
    api_key = _KEYS.build(row)
    api_key.organization = _ORGS.build(row, _KEYS.width)
    return api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`; the key is looked up by its hash and must not be revoked."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0] != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Api-Key header.")
        api_key = _active_key(hash_api_key(parts[1]))
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        from django.contrib.auth.models import AnonymousUser

        # The API answers in the key's organization's time zone (datetimes carry its offset), as its pages do; the
        # zone is active for this request only (CurrentOrganizationMiddleware restores the previous one).
        timezone.activate(api_key.organization.zone)
        return (AnonymousUser(), api_key)

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Api-Key <key>`"}


def api_context(request) -> OrgContext | None:
    """The OrgContext of an API request: its API key's organization, else the session's current organization."""
    if isinstance(request.auth, ApiKey):
        return context_for_api_key(request.auth)
    return getattr(request._request, "org", None)


KEY_LIMIT_MESSAGE = "This API key may not do this (it is read-only or limited to other areas)."


def key_allows(api_key: ApiKey, *, method: str, view) -> bool:
    """A read-only key only reads; a key with scopes only reaches views of those areas (none given: every area)."""
    if api_key.read_only and method not in permissions.SAFE_METHODS:
        return False
    return not api_key.scopes or scope_for_view(view) in api_key.scopes


class HasOrganization(permissions.BasePermission):
    """Authenticated by API key or session, with a current organization; writes need program-edit rights.

    The default permission of every endpoint (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]), so it also applies an
    API key's own limits: read-only and scopes (accounts.api_scopes)."""

    def has_permission(self, request, view):
        ctx = api_context(request)
        if ctx is None:
            if request.auth is None and not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            return False
        request.org_ctx = ctx
        if isinstance(request.auth, ApiKey) and not key_allows(request.auth, method=request.method, view=view):
            raise exceptions.PermissionDenied(KEY_LIMIT_MESSAGE)
        if request.method in permissions.SAFE_METHODS:
            return True
        allowed = getattr(view, "write_roles", None)
        return ctx.can_edit_program if allowed is None else ctx.role in allowed
