"""Celery tasks of surveys.distribution (imported by surveys/tasks.py for autodiscovery)."""
