from django.conf import settings

from accounts.models import Role
from accounts.scoping import memberships_for_user


def _role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def platform(request):
    """Navigation context: current organization and role (its label in words), the organizations the user can switch
    to."""
    ctx = getattr(request, "org", None)
    return {
        "org": ctx,
        "org_role_label": _role_label(ctx.role) if ctx is not None else "",
        "user_memberships": (lambda: memberships_for_user(request.user)) if hasattr(request, "user") else list,
        "LANGUAGES": settings.LANGUAGES,
    }
