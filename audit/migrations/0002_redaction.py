"""Erasure of a person may mask what the log quotes of them (audit.services.audit_redact).

The append-only trigger gains one more exception: with cx.audit_redact = 'on' (set for its own transaction by
audit_redact only), an UPDATE may change the object's label and the detail, and nothing else: who, what, when and
which object stay as they were.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('cx.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    -- A deleted user's events keep their actor label; only the link is cleared (ON DELETE SET NULL).
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;%s
    RAISE EXCEPTION 'audit events are append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
REDACT = """
    -- An erased person's name is masked in the object's label and the detail (audit.services.audit_redact).
    IF TG_OP = 'UPDATE' AND current_setting('cx.audit_redact', true) = 'on'
       AND (to_jsonb(NEW) - 'target_label' - 'detail') = (to_jsonb(OLD) - 'target_label' - 'detail') THEN
        RETURN NEW;
    END IF;"""


def allow_redaction(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION % REDACT, params=None)


def refuse_redaction(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION % "", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(allow_redaction, refuse_redaction)]
