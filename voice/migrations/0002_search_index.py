"""The GIN index on CommentAnalysis.search (PostgreSQL only: SQLite has no tsvector; its search falls back to a plain
containment match)."""

from django.db import migrations

INDEX = "voice_ca_search_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON voice_commentanalysis USING gin (search)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("voice", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
