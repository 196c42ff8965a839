import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from customers.models import Customer
from imports.models import ImportJob
from tests.imports.helpers import import_file
from value.models import ChurnEvent

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = "/api/v1/imports/"
CONTENT = b"external_id,name,email\nA-1,Anna,anna@example.se\nA-2,Bo,not-mail\nA-3,Cai,\n"


def post(client, content=CONTENT, name="customers.csv", kind="customers", **fields):
    return client.post(URL, {"kind": kind, "file": SimpleUploadedFile(name, content), **fields}, format="multipart")


@pytest.fixture
def api_import(django_capture_on_commit_callbacks):
    def run(client, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, **kwargs)
        return response

    return run


def test_api_key_uploads_a_file_and_polls_the_job(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    response = api_import(c)
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert response["Location"] == f"{URL}{job_id}/"
    data = c.get(f"{URL}{job_id}/").json()
    assert data["status"] == "done" and data["percent"] == 100
    assert (data["created_count"], data["updated_count"], data["error_count"]) == (2, 0, 1)
    assert data["errors"] == [{"row": 3, "column": "email", "message": '"not-mail" is not a valid e-mail address.'}]
    assert sorted(Customer.objects.for_org(cast_a.org).values_list("external_id", flat=True)) == ["A-1", "A-3"]
    report = c.get(data["error_report_url"])
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        {
            "external_id": "A-2",
            "name": "Bo",
            "email": "not-mail",
            "import_row": "3",
            "import_error": 'email: "not-mail" is not a valid e-mail address.',
        }
    ]
    assert [j["id"] for j in c.get(URL).json()["results"]] == [job_id]
    job = ImportJob.objects.get(pk=job_id)
    assert job.created_by is None and job.options["api_key_id"]


def test_api_reimport_of_the_same_file_creates_nothing(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    api_import(c)
    data = c.get(f"{URL}{api_import(c).json()['id']}/").json()
    assert (data["created_count"], data["updated_count"], data["unchanged_count"]) == (0, 0, 2)
    assert Customer.objects.for_org(cast_a.org).count() == 2


def test_api_refuses_bad_files_and_unavailable_kinds(api_key_client, cast_a):
    c = api_key_client(cast_a.org)
    response = post(c, content=b"%PDF-1.4", name="x.pdf")
    assert response.status_code == 400 and "CSV" in response.json()["file"][0]
    assert post(c, kind="nonsense").status_code == 400
    assert not ImportJob.objects.exists()


def test_api_failed_header_is_reported_on_the_job(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    job_id = api_import(c, content=b"who,what\n1,2\n").json()["id"]
    data = c.get(f"{URL}{job_id}/").json()
    assert data["status"] == "failed"
    assert "No column is chosen for the required field(s): Customer id (external_id)." in data["message"]
    assert 'Columns in the file: "who", "what".' in data["message"]


def test_api_maps_synonyms_ignores_unknown_columns_and_names_them_in_warnings(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    content = b"CustomerID;E-post;Favourite colour;Kundnamn\nA-1;anna@example.se;blue;Anna\nA-2;;green;\n"
    data = c.get(f"{URL}{api_import(c, content=content).json()['id']}/").json()
    assert data["status"] == "done", data["message"]
    assert (data["created_count"], data["error_count"]) == (2, 0)
    assert data["warnings"] == ['Not imported (no field chosen): "Favourite colour".']
    anna = Customer.objects.get(external_id="A-1")
    assert (anna.name, anna.email) == ("Anna", "anna@example.se")
    assert Customer.objects.get(external_id="A-2").name == ""


def test_api_takes_a_mapping_json_field_on_top_of_the_header(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    content = b"Nr,Who,Mail\n7,Sven,sven@example.se\n"
    mapping = '{"Nr": "external_id", "Who": "name", "Mail": null}'
    response = api_import(c, content=content, mapping=mapping)
    assert response.status_code == 202, response.json()
    data = c.get(f"{URL}{response.json()['id']}/").json()
    assert data["status"] == "done" and data["warnings"] == ['Not imported (no field chosen): "Mail".']
    sven = Customer.objects.get(external_id="7")
    assert (sven.name, sven.email) == ("Sven", "")
    bad = post(c, content=content, mapping='["external_id"]')
    assert bad.status_code == 400 and "JSON object" in bad.json()["mapping"][0]
    job_id = api_import(c, content=content, mapping='{"Nr": "kundnr"}').json()["id"]
    unknown = c.get(f"{URL}{job_id}/").json()
    assert unknown["status"] == "failed" and '"kundnr" is not a field of this import' in unknown["message"]


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_roles_without_program_rights_cannot_upload_or_read_imports(
    api_session_client, api_key_client, api_import, cast_a, role
):
    job_id = api_import(api_key_client(cast_a.org)).json()["id"]
    c = api_session_client(cast_a.member(role))
    assert post(c).status_code == 403
    assert c.get(URL).status_code == 403
    assert c.get(f"{URL}{job_id}/").status_code == 403
    assert ImportJob.objects.count() == 1


def test_cx_manager_session_can_upload(api_session_client, api_import, cast_a):
    response = api_import(api_session_client(cast_a.cx_manager))
    assert response.status_code == 202
    assert ImportJob.objects.get().created_by == cast_a.cx_manager.user


def test_another_organization_sees_no_jobs_and_gets_404(api_key_client, api_session_client, api_import, cast_a, cast_b):
    job_id = api_import(api_key_client(cast_a.org)).json()["id"]
    for c in (api_key_client(cast_b.org), api_session_client(cast_b.admin)):
        assert c.get(URL).json()["count"] == 0
        assert c.get(f"{URL}{job_id}/").status_code == 404
        assert c.get(f"{URL}{job_id}/error-report/").status_code == 404
        assert c.delete(f"{URL}{job_id}/").status_code == 405
    assert ImportJob.objects.get(pk=job_id).organization == cast_a.org


def test_imports_api_needs_authentication(client):
    assert client.get(URL).status_code in (401, 403)


def test_api_churn_file_with_a_label_takes_the_date_and_may_create_customers(api_key_client, api_import, cast_a):
    c = api_key_client(cast_a.org)
    content = b"customerID,MonthlyCharges,Churn\nT-1,29.85,Yes\nT-2,56.95,No\n"
    without_date = c.get(f"{URL}{api_import(c, content=content, kind='churn').json()['id']}/").json()
    assert without_date["status"] == "failed" and "give the date these customers left" in without_date["message"]
    response = api_import(c, content=content, kind="churn", date="2026-11-30", create_customers="true")
    data = c.get(f"{URL}{response.json()['id']}/").json()
    assert data["status"] == "done", data["message"]
    assert (data["created_count"], data["unchanged_count"], data["error_count"]) == (1, 1, 0)
    assert "1 customer that did not exist yet was created (id only)." in data["warnings"]
    assert list(ChurnEvent.objects.values_list("customer__external_id", "date")) == [("T-1", dt.date(2026, 11, 30))]


def test_api_reuses_the_mapping_confirmed_in_the_app_for_the_same_header(
    api_key_client, api_import, client_for, django_capture_on_commit_callbacks, cast_a
):
    content = "Nr;Vem;Anteckning\n1;Anna;x\n"
    import_file(
        client_for(cast_a.cx_manager),
        django_capture_on_commit_callbacks,
        content,
        kind="customers",
        columns={"Nr": "external_id", "Vem": "name"},
    )
    c = api_key_client(cast_a.org)
    job_id = api_import(c, content=b"Nr;Vem;Anteckning\n2;Bo;y\n").json()["id"]
    data = c.get(f"{URL}{job_id}/").json()
    assert data["status"] == "done", data["message"]
    assert Customer.objects.get(external_id="2").name == "Bo"
    assert data["warnings"] == ['Not imported (no field chosen): "Anteckning".']
