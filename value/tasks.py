"""Celery tasks of the value app: thin, by id."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organization


@shared_task(name="value.run_model")
def run_model(organization_id: int | None = None, snapshot_id: int | None = None) -> None:
    """Run the value model for one organization; without an id (nightly schedule), queue one run per organization."""
    from value.services import value_model_run

    if organization_id is None:
        for pk in Organization.objects.order_by("pk").values_list("pk", flat=True):
            run_model.delay(organization_id=pk)
        return
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        value_model_run(organization=organization, snapshot_id=snapshot_id)
