"""Celery tasks of surveys.ingestion (imported by surveys/tasks.py for autodiscovery)."""
