from celery import shared_task

from imports.services import import_job_run


@shared_task(name="imports.run")
def run_import(job_id: int) -> None:
    import_job_run(job_id=job_id)
