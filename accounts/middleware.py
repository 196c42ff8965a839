from accounts.scoping import context_for_session


class CurrentOrganizationMiddleware:
    """Attach `request.org` (an OrgContext, or None for anonymous users and users without a membership)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.org = context_for_session(request)
        return self.get_response(request)
