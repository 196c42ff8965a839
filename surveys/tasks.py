"""Celery autodiscovery entry point: the tasks live with the code they serve."""

from surveys.distribution.tasks import *  # noqa: F403
from surveys.ingestion.tasks import *  # noqa: F403
