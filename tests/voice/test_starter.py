import pytest

from actions.models import RootCause
from voice.models import LANGUAGES, Taxonomy, Theme
from voice.starter import STARTER_THEMES, install_starter_taxonomy, iter_starter_themes

pytestmark = pytest.mark.django_db

EXPECTED_TOP = {
    "Installation",
    "Technician",
    "Waiting time",
    "Price",
    "Invoice",
    "Speed",
    "Outage",
    "Coverage",
    "Router & equipment",
    "Staff",
    "App & self-service",
    "Customer service",
    "Contract & cancellation",
    "Moving",
}


def _version(org) -> int:
    row = Taxonomy.objects.filter(organization=org).first()
    return row.version if row else 0


def test_installing_creates_every_starter_theme_under_its_parent(cast_a):
    created = install_starter_taxonomy(cast_a.org, user=cast_a.cx_manager.user)

    themes = Theme.objects.for_org(cast_a.org)
    assert created == len(iter_starter_themes()) == themes.count()
    assert set(themes.filter(parent=None).values_list("name", flat=True)) == EXPECTED_TOP
    invoice = themes.get(name="Invoice", parent=None)
    assert set(invoice.children.values_list("name", flat=True)) == {"Wrong invoice", "Unclear invoice"}
    assert invoice.labels == {"sv": "Faktura", "nb": "Faktura", "da": "Regning", "en": "Invoice"}
    assert "räkning" in invoice.keywords["sv"] and "regning" in invoice.keywords["nb"]
    assert all(t.origin == Theme.Origin.STARTER and t.status == Theme.Status.ACTIVE for t in themes)
    assert all(t.created_by_id == cast_a.cx_manager.user_id for t in themes)
    # Top-level themes in the order of the list, sub-themes in their parent's order.
    assert list(themes.filter(parent=None).order_by("position").values_list("name", flat=True)) == [
        t["name"] for t in STARTER_THEMES
    ]


def test_installing_twice_creates_nothing_the_second_time_and_keeps_edits(cast_a):
    install_starter_taxonomy(cast_a.org)
    version = _version(cast_a.org)
    price = Theme.objects.for_org(cast_a.org).get(name="Price", parent=None)
    price.keywords = {"sv": ["pris"]}
    price.save()
    Theme.objects.for_org(cast_a.org).filter(name="Chat").delete()

    assert install_starter_taxonomy(cast_a.org) == 1  # only the deleted sub-theme comes back
    assert install_starter_taxonomy(cast_a.org) == 0

    assert Theme.objects.for_org(cast_a.org).count() == len(iter_starter_themes())
    assert Theme.objects.for_org(cast_a.org).filter(name="Chat", parent__name="Customer service").exists()
    price.refresh_from_db()
    assert price.keywords == {"sv": ["pris"]}
    assert _version(cast_a.org) > version  # the re-created theme bumped the version once more


def test_installing_bumps_the_taxonomy_version(cast_a):
    before = _version(cast_a.org)
    install_starter_taxonomy(cast_a.org)
    assert _version(cast_a.org) > before


def test_every_theme_has_labels_keywords_and_examples_in_all_four_languages():
    for spec, _parent, _position in iter_starter_themes():
        assert set(spec["labels"]) == set(LANGUAGES), spec["name"]
        assert all(spec["labels"][lang].strip() for lang in LANGUAGES), spec["name"]
        assert set(spec["keywords"]) == set(LANGUAGES), spec["name"]
        assert set(spec["examples"]) == set(LANGUAGES), spec["name"]
        for lang in LANGUAGES:
            keywords = spec["keywords"][lang]
            assert keywords and all(k == k.strip().lower() and k for k in keywords), (spec["name"], lang)
            assert len(keywords) == len(set(keywords)), (spec["name"], lang)
            assert 1 <= len(spec["examples"][lang]) <= 3, (spec["name"], lang)


def test_themes_map_to_root_causes_of_the_same_name_when_the_organization_has_them(cast_a, cast_b):
    technician = RootCause.objects.create(organization=cast_a.org, name="Technician")
    late = RootCause.objects.create(organization=cast_a.org, name="Late", parent=technician)
    network = RootCause.objects.create(organization=cast_a.org, name="Network")
    outage = RootCause.objects.create(organization=cast_a.org, name="Outage", parent=network)
    # Another organization's cause of the same name is never used.
    other_billing = RootCause.objects.create(organization=cast_b.org, name="Billing")

    install_starter_taxonomy(cast_a.org)

    themes = Theme.objects.for_org(cast_a.org)
    assert themes.get(name="Technician", parent=None).root_cause == technician
    assert themes.get(name="Late or no-show").root_cause == late
    assert themes.get(name="Outage", parent=None).root_cause == outage
    assert themes.get(name="Downtime").root_cause == outage
    assert themes.get(name="Price", parent=None).root_cause is None  # "Billing" exists only in the other org
    assert themes.get(name="Friendly").root_cause is None
    assert not Theme.objects.filter(root_cause=other_billing).exists()


def test_installing_for_one_organization_leaves_the_other_alone(cast_a, cast_b):
    install_starter_taxonomy(cast_a.org)
    assert not Theme.objects.for_org(cast_b.org).exists()
    assert install_starter_taxonomy(cast_b.org) == len(iter_starter_themes())
