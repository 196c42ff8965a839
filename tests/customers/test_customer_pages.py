import re

import pytest
from django.urls import reverse

from accounts.models import Role
from customers.models import Customer
from tests.factories import CustomerFactory, PersonaFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LIST = reverse("customers:customer_list")


def rows(page: str) -> list[str]:
    """Customer names in the result table, in order."""
    return re.findall(r'<td><a href="/customers/\d+/">([^<]+)</a></td>', page)


def test_list_shows_the_total_and_pages_of_fifty(client_for, cast_a):
    Customer.objects.bulk_create(
        Customer(organization=cast_a.org, external_id=f"X{i:03d}", name=f"Customer {i:03d}") for i in range(120)
    )
    c = client_for(cast_a.executive)
    page = c.get(LIST).content.decode()
    assert "120 customers" in page
    assert len(rows(page)) == 50 and rows(page)[0] == "Customer 000"
    last = c.get(LIST, {"page": 3}).content.decode()
    assert rows(last) == [f"Customer {i}" for i in range(100, 120)]


def test_list_query_count_does_not_grow_with_customers_or_filters(client_for, cast_a, django_assert_max_num_queries):
    persona = PersonaFactory(organization=cast_a.org, name="Mover")
    Customer.objects.bulk_create(
        Customer(organization=cast_a.org, external_id=f"X{i}", name=f"C{i}", persona=persona, segment=f"S{i % 5}")
        for i in range(200)
    )
    c = client_for(cast_a.cx_manager)
    c.get(LIST)  # the first request also stores the current organization in the session
    with django_assert_max_num_queries(10):  # + the audit log's INSERT
        assert c.get(LIST).status_code == 200
    with django_assert_max_num_queries(11):  # + the persona filter's own lookup, the audit INSERT
        response = c.get(LIST, {"q": "C1", "segment": "S1", "persona": persona.pk, "may_contact": "false", "page": 2})
        assert response.status_code == 200


def test_search_finds_by_name_email_external_id_and_phone(client_for, cast_a):
    CustomerFactory(organization=cast_a.org, name="Astrid Lindqvist", email="astrid@example.se", external_id="A-1")
    CustomerFactory(organization=cast_a.org, name="Ole Nordmann", email="ole@example.no", external_id="CRM-77")
    CustomerFactory(organization=cast_a.org, name="Mette Hansen", phone="+4520123456", external_id="B-9")
    c = client_for(cast_a.cx_manager)
    assert rows(c.get(LIST, {"q": "lindq"}).content.decode()) == ["Astrid Lindqvist"]
    assert rows(c.get(LIST, {"q": "ole@example"}).content.decode()) == ["Ole Nordmann"]
    assert rows(c.get(LIST, {"q": "crm-77"}).content.decode()) == ["Ole Nordmann"]
    assert rows(c.get(LIST, {"q": "20 12 34"}).content.decode()) == ["Mette Hansen"]
    assert "No customer matches these filters." in c.get(LIST, {"q": "nobody"}).content.decode()


def test_filters_by_segment_language_persona_and_consent(client_for, cast_a):
    mover = PersonaFactory(organization=cast_a.org, name="Mover")
    CustomerFactory(organization=cast_a.org, name="Anna", segment="Business", language="sv", persona=mover)
    CustomerFactory(organization=cast_a.org, name="Bo", segment="Private", language="da", may_contact=False)
    CustomerFactory(organization=cast_a.org, name="Cecilie", segment="Private", language="nb", may_survey=False)
    c = client_for(cast_a.frontline)
    assert rows(c.get(LIST, {"segment": "Private"}).content.decode()) == ["Bo", "Cecilie"]
    assert rows(c.get(LIST, {"language": "da"}).content.decode()) == ["Bo"]
    assert rows(c.get(LIST, {"persona": mover.pk}).content.decode()) == ["Anna"]
    assert rows(c.get(LIST, {"may_contact": "false"}).content.decode()) == ["Bo"]
    assert rows(c.get(LIST, {"may_survey": "false", "segment": "Private"}).content.decode()) == ["Cecilie"]


def test_another_organizations_customers_never_appear(client_for, cast_a, cast_b):
    CustomerFactory(organization=cast_a.org, name="Alpha customer")
    other_persona = PersonaFactory(organization=cast_b.org)
    CustomerFactory(organization=cast_b.org, name="Beta customer", persona=other_persona, segment="Secret")
    c = client_for(cast_a.admin)
    page = c.get(LIST).content.decode()
    assert rows(page) == ["Alpha customer"] and "Secret" not in page
    # Another organization's persona is not a valid choice: it filters nothing in and reveals nothing.
    assert "Beta customer" not in c.get(LIST, {"persona": other_persona.pk}).content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE])
def test_managers_and_executives_see_contact_data_even_without_contact_consent(client_for, cast_a, role):
    customer = CustomerFactory(
        organization=cast_a.org, email="quiet@example.se", phone="+46701112233", may_contact=False
    )
    page = (
        client_for(cast_a.member(role)).get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    )
    assert "quiet@example.se" in page and "+46701112233" in page
    assert "did not consent to be contacted back" in page  # warned not to use it for follow-up


def test_frontline_sees_contact_data_only_of_customers_who_consented(client_for, cast_a):
    yes = CustomerFactory(organization=cast_a.org, email="yes@example.se", phone="+46700000001", may_contact=True)
    no = CustomerFactory(organization=cast_a.org, email="no@example.se", phone="+46700000002", may_contact=False)
    c = client_for(cast_a.frontline)
    page = c.get(reverse("customers:customer_detail", args=[yes.pk])).content.decode()
    assert "yes@example.se" in page and "+46700000001" in page
    page = c.get(reverse("customers:customer_detail", args=[no.pk])).content.decode()
    assert "no@example.se" not in page and "+46700000002" not in page
    assert "did not consent to be contacted back" in page
    listing = c.get(LIST).content.decode()
    assert "yes@example.se" in listing and "no@example.se" not in listing


def test_frontline_cannot_find_a_non_consenting_customer_by_email_or_phone(client_for, cast_a):
    CustomerFactory(
        organization=cast_a.org, name="Hidden", email="hidden@example.se", phone="+4670999888", may_contact=False
    )
    c = client_for(cast_a.frontline)
    assert rows(c.get(LIST, {"q": "hidden@example.se"}).content.decode()) == []
    assert rows(c.get(LIST, {"q": "70999888"}).content.decode()) == []
    assert rows(c.get(LIST, {"q": "Hidden"}).content.decode()) == ["Hidden"]
    assert rows(client_for(cast_a.cx_manager).get(LIST, {"q": "hidden@example.se"}).content.decode()) == ["Hidden"]


def test_detail_shows_consent_flags_and_the_history_placeholder(client_for, cast_a):
    customer = CustomerFactory(organization=cast_a.org, may_survey=False, may_contact=True)
    response = client_for(cast_a.executive).get(reverse("customers:customer_detail", args=[customer.pk]))
    page = response.content.decode()
    assert "Must not be surveyed" in page and "May be contacted back" in page
    assert "customers/_customer_history.html" in [t.name for t in response.templates]


def _form(**overrides):
    data = {
        "external_id": "NEW-1",
        "name": "Nils Holgersson",
        "email": "nils@example.se",
        "phone": "+46 70-123 45 67",
        "language": "sv",
        "country": "se",
        "segment": "Private",
        "persona": "",
        "may_survey": "on",
    }
    return {**data, **overrides}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER])
def test_admins_and_cx_managers_create_and_edit_customers(client_for, cast_a, role):
    persona = PersonaFactory(organization=cast_a.org)
    c = client_for(cast_a.member(role))
    response = c.post(reverse("customers:customer_create"), _form(persona=persona.pk))
    customer = Customer.objects.get(external_id="NEW-1")
    assert response["Location"] == reverse("customers:customer_detail", args=[customer.pk])
    assert customer.organization == cast_a.org and customer.persona == persona
    assert customer.phone == "+46701234567" and customer.country == "SE"
    assert customer.may_survey and not customer.may_contact
    c.post(reverse("customers:customer_edit", args=[customer.pk]), _form(name="Nils H.", may_contact="on"))
    customer.refresh_from_db()
    assert customer.name == "Nils H." and customer.may_contact


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_frontline_and_executives_cannot_create_or_edit(client_for, cast_a, role):
    customer = CustomerFactory(organization=cast_a.org, name="Original")
    c = client_for(cast_a.member(role))
    assert c.get(reverse("customers:customer_create")).status_code == 403
    assert c.post(reverse("customers:customer_create"), _form()).status_code == 403
    assert c.post(reverse("customers:customer_edit", args=[customer.pk]), _form(name="Changed")).status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Original" and not Customer.objects.filter(external_id="NEW-1").exists()
    assert "customers/new/" not in c.get(LIST).content.decode()


def test_duplicate_external_id_and_foreign_persona_are_refused(client_for, cast_a, cast_b):
    CustomerFactory(organization=cast_a.org, external_id="TAKEN")
    c = client_for(cast_a.cx_manager)
    page = c.post(reverse("customers:customer_create"), _form(external_id="TAKEN")).content.decode()
    assert "Another customer already has this external id." in page
    foreign = PersonaFactory(organization=cast_b.org)
    assert c.post(reverse("customers:customer_create"), _form(persona=foreign.pk)).status_code == 200
    assert not Customer.objects.filter(external_id="NEW-1").exists()
    # The same external id in another organization is a different customer.
    CustomerFactory(organization=cast_b.org, external_id="NEW-1")
    assert c.post(reverse("customers:customer_create"), _form()).status_code == 302


def test_another_organizations_customer_is_404_and_unchanged(client_for, cast_a, cast_b):
    theirs = CustomerFactory(organization=cast_b.org, name="Beta only")
    for role in Role.values:
        c = client_for(cast_a.member(role))
        assert c.get(reverse("customers:customer_detail", args=[theirs.pk])).status_code == 404
    c = client_for(cast_a.admin)
    assert c.get(reverse("customers:customer_edit", args=[theirs.pk])).status_code == 404
    assert c.post(reverse("customers:customer_edit", args=[theirs.pk]), _form(name="Hijacked")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Beta only"
