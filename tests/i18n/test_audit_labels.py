"""The audit page's object types are named in the reader's language, not by Django's English model names."""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise

from audit import actions


def test_every_object_type_of_the_filter_has_a_marked_label():
    assert set(actions.OBJECT_TYPES) <= set(actions.OBJECT_TYPE_LABELS)
    assert all(isinstance(label, Promise) for label in actions.OBJECT_TYPE_LABELS.values())


def test_an_object_type_is_named_in_the_active_language():
    with translation.override("sv"):
        swedish = actions.object_type_label("privacy.retentionpolicy")
    with translation.override("en"):
        english = actions.object_type_label("privacy.retentionpolicy")
    assert english == "Retention policy"
    compiled = translation.trans_real.translation("sv")._catalog.get("Retention policy")
    assert swedish == (compiled or "Retention policy")  # the Swedish name once the catalogue has it
    assert actions.object_type_label("no.such") == "no.such"


def test_a_label_made_from_type_and_id_is_shown_as_the_type_in_words():
    with translation.override("en"):
        assert actions.target_label("privacy.retentionpolicy", "retention policy") == "Retention policy"
        assert actions.target_label("privacy.retentionrun", "retention run 12") == "Retention run"
        assert actions.target_label("webhooks.webhookendpoint", "webhook endpoint 3") == "Webhook endpoint"
        # A real name stays as written.
        assert actions.target_label("webhooks.webhookendpoint", "CRM sync") == "CRM sync"
        assert actions.target_label("customers.customer", "retention run 12 (a customer's name)") == (
            "retention run 12 (a customer's name)"
        )
