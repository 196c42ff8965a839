import pytest

from accounts.models import Role
from customers.models import Customer
from tests.factories import CustomerFactory, PersonaFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = "/api/v1/customers/"


def names(response) -> list[str]:
    return [c["name"] for c in response.json()["results"]]


def test_api_key_lists_searches_filters_and_paginates(api_key_client, cast_a):
    persona = PersonaFactory(organization=cast_a.org)
    CustomerFactory(
        organization=cast_a.org, name="Astrid", email="astrid@example.se", segment="Business", persona=persona
    )
    CustomerFactory(organization=cast_a.org, name="Bo", language="da", may_contact=False)
    CustomerFactory(organization=cast_a.org, name="Cecilie", language="nb", may_survey=False)
    c = api_key_client(cast_a.org)
    assert names(c.get(URL)) == ["Astrid", "Bo", "Cecilie"]
    assert names(c.get(URL, {"q": "astrid@"})) == ["Astrid"]
    assert names(c.get(URL, {"segment": "Business"})) == ["Astrid"]
    assert names(c.get(URL, {"language": "da"})) == ["Bo"]
    assert names(c.get(URL, {"persona": persona.pk})) == ["Astrid"]
    assert names(c.get(URL, {"may_survey": "false"})) == ["Cecilie"]
    assert names(c.get(URL, {"may_contact": "true"})) == ["Astrid", "Cecilie"]
    page = c.get(URL, {"limit": 2, "offset": 2}).json()
    assert page["count"] == 3 and [r["name"] for r in page["results"]] == ["Cecilie"]


def test_api_key_creates_updates_and_patches_a_customer(api_key_client, cast_a):
    persona = PersonaFactory(organization=cast_a.org)
    c = api_key_client(cast_a.org)
    response = c.post(
        URL,
        {
            "external_id": "API-1",
            "name": "Kari",
            "email": "kari@example.no",
            "language": "nb-NO",
            "persona": persona.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(external_id="API-1")
    assert customer.organization == cast_a.org and customer.language == "nb" and customer.persona == persona
    assert response.json()["contact_visible"] is True and response.json()["email"] == "kari@example.no"
    response = c.put(
        f"{URL}{customer.pk}/", {"external_id": "API-1", "name": "Kari N.", "may_contact": True}, format="json"
    )
    assert response.status_code == 200
    response = c.patch(f"{URL}{customer.pk}/", {"segment": "VIP", "phone": "+47 912 34 567"}, format="json")
    customer.refresh_from_db()
    assert (customer.name, customer.segment, customer.phone, customer.may_contact) == (
        "Kari N.",
        "VIP",
        "+4791234567",
        True,
    )
    assert c.get(f"{URL}{customer.pk}/").json()["segment"] == "VIP"


def test_api_refuses_duplicate_external_id_bad_language_and_foreign_persona(api_key_client, cast_a, cast_b):
    CustomerFactory(organization=cast_a.org, external_id="DUP")
    c = api_key_client(cast_a.org)
    assert c.post(URL, {"external_id": "DUP", "name": "X"}, format="json").status_code == 400
    response = c.post(URL, {"external_id": "L", "name": "X", "language": "se"}, format="json")
    assert response.status_code == 400 and "did you mean" in response.json()["language"][0]
    foreign = PersonaFactory(organization=cast_b.org)
    assert c.post(URL, {"external_id": "P", "name": "X", "persona": foreign.pk}, format="json").status_code == 400
    assert Customer.objects.for_org(cast_a.org).count() == 1


def test_upsert_by_external_id_creates_then_updates(api_key_client, cast_a):
    c = api_key_client(cast_a.org)
    url = f"{URL}by-external-id/CRM-42/"
    response = c.put(url, {"name": "Sven", "email": "sven@example.se"}, format="json")
    assert response.status_code == 201
    response = c.put(url, {"segment": "Business"}, format="json")
    assert response.status_code == 200
    customer = Customer.objects.get(external_id="CRM-42")
    assert (customer.name, customer.email, customer.segment) == ("Sven", "sven@example.se", "Business")
    assert c.get(url).json()["id"] == customer.pk
    # The name is optional (many exports carry only an id): the customer is created and shown by its id.
    created = c.put(f"{URL}by-external-id/NEW/", {"segment": "x"}, format="json")
    assert created.status_code == 201 and created.json()["name"] == ""
    assert Customer.objects.get(external_id="NEW").label == "NEW"


def test_frontline_session_reads_with_contact_data_withheld_and_cannot_write(api_session_client, cast_a):
    CustomerFactory(organization=cast_a.org, name="Yes", email="yes@example.se", may_contact=True)
    no = CustomerFactory(organization=cast_a.org, name="No", email="no@example.se", phone="+4611", may_contact=False)
    c = api_session_client(cast_a.frontline)
    data = {r["name"]: r for r in c.get(URL).json()["results"]}
    assert data["Yes"]["email"] == "yes@example.se"
    assert data["No"]["email"] == "" and data["No"]["phone"] == "" and data["No"]["contact_visible"] is False
    assert c.get(URL, {"q": "no@example.se"}).json()["count"] == 0
    assert c.patch(f"{URL}{no.pk}/", {"name": "Changed"}, format="json").status_code == 403
    assert c.post(URL, {"external_id": "F", "name": "F"}, format="json").status_code == 403
    assert c.put(f"{URL}by-external-id/F/", {"name": "F"}, format="json").status_code == 403
    no.refresh_from_db()
    assert no.name == "No" and not Customer.objects.filter(external_id="F").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE])
def test_other_roles_see_contact_data_and_only_editors_write(api_session_client, cast_a, role):
    customer = CustomerFactory(organization=cast_a.org, email="no@example.se", may_contact=False)
    c = api_session_client(cast_a.member(role))
    assert c.get(f"{URL}{customer.pk}/").json()["email"] == "no@example.se"
    expected = 403 if role == Role.EXECUTIVE else 200
    assert c.patch(f"{URL}{customer.pk}/", {"segment": "S"}, format="json").status_code == expected


def test_another_organizations_key_and_user_get_empty_lists_and_404(api_key_client, api_session_client, cast_a, cast_b):
    theirs = CustomerFactory(organization=cast_a.org, name="Alpha only", external_id="A-1")
    for c in (api_key_client(cast_b.org), api_session_client(cast_b.admin)):
        assert c.get(URL).json()["count"] == 0
        assert c.get(URL, {"q": "Alpha"}).json()["count"] == 0
        assert c.get(f"{URL}{theirs.pk}/").status_code == 404
        assert c.patch(f"{URL}{theirs.pk}/", {"name": "Hijacked"}, format="json").status_code == 404
        assert c.put(f"{URL}{theirs.pk}/", {"external_id": "A-1", "name": "Hijacked"}, format="json").status_code == 404
        assert c.get(f"{URL}by-external-id/A-1/").status_code == 404
    # Upserting the same external id from org B creates B's own customer and leaves A's alone.
    assert (
        api_key_client(cast_b.org).put(f"{URL}by-external-id/A-1/", {"name": "Beta's"}, format="json").status_code
        == 201
    )
    theirs.refresh_from_db()
    assert theirs.name == "Alpha only"
    assert Customer.objects.get(organization=cast_b.org, external_id="A-1").name == "Beta's"


def test_customer_api_needs_authentication(client):
    assert client.get(URL).status_code in (401, 403)
