import re

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/api/v1/journeys/", "/api/v1/touchpoints/", "/api/v1/customers/", "/api/v1/responses/"):
        assert path in schema


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_api_docs_pages_load_everything_from_our_own_origin(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.findall(r"""(?:src|href)=["']https?://""", page), "the docs page pulls a third-party asset"
    assert "/static/drf_spectacular_sidecar/" in page
