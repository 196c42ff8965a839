from django.conf import settings

from accounts.scoping import memberships_for_user


def platform(request):
    """Navigation context: current organization and role, the organizations the user can switch to."""
    ctx = getattr(request, "org", None)
    return {
        "org": ctx,
        "user_memberships": (lambda: memberships_for_user(request.user)) if hasattr(request, "user") else list,
        "LANGUAGES": settings.LANGUAGES,
    }
