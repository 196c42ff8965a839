"""REST API of the closed loop (cases, root causes, improvement actions); routes in actions/api_urls.py.

Scope: rows come from the actions selectors, so a session user of the frontline role sees their teams' cases only,
and an API key acts as a CX manager of its organization. Writes go through actions.services, which check the
caller's right to act on the case; Django's ValidationError becomes a 400 and PermissionDenied a 403.
Contact data (e-mail, phone) is only ever serialized for customers who agreed to be contacted back.
"""

from actions.api.cases import CaseViewSet, RootCauseViewSet
from actions.api.improvements import ImprovementActionViewSet

__all__ = ["CaseViewSet", "ImprovementActionViewSet", "RootCauseViewSet"]
