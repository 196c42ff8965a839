"""Import a file the way a user does: upload, look at the mapping page, confirm it (changing what is asked)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob


def upload(client, content: bytes | str, *, kind: str, name: str = "data.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("imports:job_create"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def mapping_post_data(form, *, columns: dict[str, str | None] | None = None, options: dict | None = None) -> dict:
    """The mapping form as the page prefilled it, with `columns` ({header cell: field or None}) and `options`
    changed as a user would."""
    data: dict[str, Any] = {}
    for i in range(len(form.header)):
        key = form.column_key(i)
        data[key] = form.initial.get(key) or ""
    for name in [o.name for o in form.handler.options]:
        value = form.initial.get(form.option_key(name))
        if value not in (None, "", False):
            data[form.option_key(name)] = "on" if value is True else value
    for cell, field in (columns or {}).items():
        data[form.column_key(form.header.index(cell))] = field or ""
    for name, value in (options or {}).items():
        key = form.option_key(name)
        if value is True:
            data[key] = "on"
        elif value in (None, False, ""):
            data.pop(key, None)
        else:
            data[key] = str(value)
    return data


def import_file(
    client,
    capture,
    content: bytes | str,
    *,
    kind: str,
    name: str = "data.csv",
    columns: dict[str, str | None] | None = None,
    options: dict | None = None,
) -> ImportJob:
    """Upload, confirm the mapping page (with `columns` / `options` changed) and return the finished job.

    `capture` is pytest-django's `django_capture_on_commit_callbacks`: the queued task runs (eagerly) on commit.
    """
    response = upload(client, content, kind=kind, name=name)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    mapping_url = reverse("imports:job_mapping", args=[job.pk])
    assert response["Location"] == mapping_url
    assert job.status == ImportJob.Status.PENDING and job.needs_mapping
    page = client.get(mapping_url)
    assert page.status_code == 200
    data = mapping_post_data(page.context["form"], columns=columns, options=options)
    with capture(execute=True):
        confirmed = client.post(mapping_url, data)
    assert confirmed.status_code == 302, _form_errors(confirmed)
    assert confirmed["Location"] == reverse("imports:job_detail", args=[job.pk])
    job.refresh_from_db()
    return job


def _form_errors(response) -> str:
    form = response.context["form"] if response.context else None
    return str(form.errors) if form is not None else response.content.decode()[:2000]
