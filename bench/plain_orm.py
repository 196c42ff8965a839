"""Plain-ORM stand-ins for the submission path's hand-written spots, to measure what each of them saves.

`apply("all")` (or a comma-separated list of spot names) swaps the spots of this process for what the ORM does
without help; `bench_submissions --plain-orm SPOTS` applies them in its in-process run and in the gunicorn workers
(through bench.gunicorn_hooks). Benchmark code only: the application never imports this module.

Spots:
- token: the public page's token look-up (surveys.public.selectors._by_token, one prepared statement)
- apikey: the API-key look-up (accounts.api_auth._active_key, one prepared statement)
- ids: the API's survey/touchpoint look-ups by id (core.rawrows.RowReader.in_org_by_ids)
- insert: the one-statement response + answers insert (surveys.ingestion.services._insert_response)
- prefetch: the new response's answers handed over as prefetched (otherwise read back with one query)
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects

SPOTS = ("token", "apikey", "ids", "insert", "prefetch")


def _by_token(head, token):
    from surveys.models import Invitation, Survey

    related = ["survey__organization", "survey__current_version", "touchpoint__journey"]
    if head is Invitation:
        related.append("customer")
    covers = Survey.touchpoints.through.objects.filter(
        survey_id=OuterRef("survey_id"), touchpoint_id=OuterRef("touchpoint_id")
    )
    qs = head.objects.select_related(*related).annotate(survey_covers_touchpoint=Exists(covers))
    return qs.filter(token=token).first()


def _active_key(hashed):
    from accounts.models import ApiKey

    return ApiKey.objects.select_related("organization").filter(hashed_key=hashed, revoked_at__isnull=True).first()


def _in_org_by_ids(self, *, organization_id, ids):
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    return {obj.pk: obj for obj in self.model.objects.filter(organization_id=organization_id, pk__in=ids)}


def _hand_over_answers(response, answers):
    from surveys.models import Answer

    prefetch_related_objects([response], Prefetch("answers", queryset=Answer.objects.select_related("question")))


def apply(spots: str) -> list[str]:
    """Swap the named spots ("all" for every one) for plain ORM; return the names swapped."""
    import accounts.api_auth
    import core.rawrows
    import surveys.ingestion.services
    import surveys.public.selectors

    names = list(SPOTS) if spots.strip() == "all" else [s.strip() for s in spots.split(",") if s.strip()]
    unknown = set(names) - set(SPOTS)
    if unknown:
        raise SystemExit(f"Unknown --plain-orm spot(s): {', '.join(sorted(unknown))} (known: {', '.join(SPOTS)}, all)")
    services = surveys.ingestion.services
    swaps = {
        "token": (surveys.public.selectors, "_by_token", _by_token),
        "apikey": (accounts.api_auth, "_active_key", _active_key),
        "ids": (core.rawrows.RowReader, "in_org_by_ids", _in_org_by_ids),
        "insert": (services, "_insert_response", services._insert_response_orm),
        "prefetch": (services, "_hand_over_answers", _hand_over_answers),
    }
    for name in names:
        target, attribute, replacement = swaps[name]
        setattr(target, attribute, replacement)
    return names
