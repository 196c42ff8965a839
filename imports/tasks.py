from celery import shared_task

from imports.services import import_job_run, import_jobs_requeue


@shared_task(name="imports.run")
def run_import(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(name="imports.requeue", ignore_result=True)
def requeue_imports() -> list[int]:
    """Queue again the started imports whose task was lost (broker down, crash after commit, worker died)."""
    return import_jobs_requeue()
