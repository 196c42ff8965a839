"""Saved explorer filters (issue 13): save the current filters under a name, list, apply, delete; per organization and
user, optionally shared with the organization; another organization's user gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import SavedFilter

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LIST = reverse("surveys:response_list")
SAVE = reverse("surveys:saved_filter_create")


def apply_url(saved: SavedFilter) -> str:
    return reverse("surveys:saved_filter_apply", args=[saved.pk])


def delete_url(saved: SavedFilter) -> str:
    return reverse("surveys:saved_filter_delete", args=[saved.pk])


def save(client, name: str, query: str, *, shared: bool = False, follow: bool = False):
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post(SAVE, data, follow=follow)


def test_a_user_saves_the_current_filters_and_finds_them_above_the_explorer(client_for, prog_a):
    c = client_for(prog_a.cast.cx_manager)
    page = c.get(LIST, {"band": "detractor", "touchpoint": prog_a.touchpoint.pk}).content.decode()
    # The save form carries the validated filters of the list shown (in field order).
    query = f"touchpoint={prog_a.touchpoint.pk}&amp;band=detractor"
    assert f'name="query" value="{query}"' in page

    r = save(c, "  Detractors   at order  ", f"touchpoint={prog_a.touchpoint.pk}&band=detractor&page=3&bogus=1")
    saved = SavedFilter.objects.get()
    assert (saved.organization, saved.user, saved.name, saved.shared) == (
        prog_a.org,
        prog_a.cast.cx_manager.user,
        "Detractors at order",
        False,
    )
    assert saved.query == f"touchpoint={prog_a.touchpoint.pk}&band=detractor"  # unknown and paging keys dropped
    assert r.status_code == 302 and r["Location"] == f"{LIST}?{saved.query}"

    page = c.get(LIST).content.decode()
    assert 'data-testid="saved-filters"' in page and "Detractors at order" in page
    assert apply_url(saved) in page and delete_url(saved) in page


def test_applying_a_saved_filter_opens_the_explorer_with_its_filters(client_for, prog_a):
    c = client_for(prog_a.cast.executive)
    save(c, "Promoters", "band=promoter")
    saved = SavedFilter.objects.get()
    r = c.get(apply_url(saved), follow=True)
    assert r.redirect_chain[-1][0] == f"{LIST}?band=promoter"
    assert r.context["form"].cleaned_data["band"] == "promoter"


def test_saving_under_a_name_used_before_replaces_that_filter(client_for, prog_a):
    c = client_for(prog_a.cast.cx_manager)
    save(c, "Mine", "band=promoter")
    r = save(c, "Mine", "band=passive", follow=True)
    assert SavedFilter.objects.get().query == "band=passive"
    assert "Filter “Mine” updated." in r.content.decode()


@pytest.mark.parametrize(
    ("name", "query", "error"),
    [
        ("", "band=promoter", "This field is required."),
        ("Everything", "", "Choose at least one filter before saving it."),
        ("Bad values only", "band=nonsense&touchpoint=999999", "Choose at least one filter before saving it."),
    ],
)
def test_a_save_without_a_name_or_filters_says_why_and_keeps_the_list(client_for, prog_a, name, query, error):
    c = client_for(prog_a.cast.cx_manager)
    r = save(c, name, query, follow=True)
    assert not SavedFilter.objects.exists()
    assert error in r.content.decode()
    expected = f"{LIST}?band=promoter" if "band=promoter" in query else LIST
    assert r.redirect_chain[-1][0] == expected  # back to the same list, nothing lost


def test_a_private_filter_is_its_owners_alone_a_shared_one_is_offered_to_colleagues(client_for, prog_a):
    owner, colleague = client_for(prog_a.cast.cx_manager), client_for(prog_a.cast.frontline)
    save(owner, "Private", "band=passive")
    save(owner, "For everyone", "band=detractor", shared=True)
    private, shared = SavedFilter.objects.get(name="Private"), SavedFilter.objects.get(name="For everyone")

    page = colleague.get(LIST).content.decode()
    assert "For everyone" in page and "Private" not in page
    assert delete_url(shared) not in page  # only the owner deletes
    assert colleague.get(apply_url(shared)).status_code == 302
    assert colleague.get(apply_url(private)).status_code == 404
    assert colleague.post(delete_url(shared)).status_code == 404
    assert colleague.post(delete_url(private)).status_code == 404
    assert SavedFilter.objects.count() == 2


def test_the_owner_deletes_a_saved_filter(client_for, prog_a):
    c = client_for(prog_a.cast.cx_manager)
    save(c, "Old", "band=passive")
    saved = SavedFilter.objects.get()
    assert c.get(delete_url(saved)).status_code == 405  # deleting is a POST
    r = c.post(delete_url(saved), follow=True)
    assert not SavedFilter.objects.exists()
    assert "Filter “Old” deleted." in r.content.decode()


def test_another_organizations_user_gets_nothing(client_for, prog_a, prog_b):
    owner = client_for(prog_a.cast.admin)
    save(owner, "Alpha shared", "band=detractor", shared=True)
    save(owner, "Alpha private", "band=passive")
    outsider = client_for(prog_b.cast.admin)
    page = outsider.get(LIST).content.decode()
    assert "Alpha shared" not in page and "Alpha private" not in page
    for saved in SavedFilter.objects.all():
        assert outsider.get(apply_url(saved)).status_code == 404
        assert outsider.post(delete_url(saved)).status_code == 404
    assert SavedFilter.objects.count() == 2

    # Another organization's ids in a saved query are dropped, never stored.
    save(outsider, "Sneaky", f"touchpoint={prog_a.touchpoint.pk}&band=promoter")
    assert SavedFilter.objects.get(organization=prog_b.org).query == "band=promoter"


def test_signed_out_visitors_are_sent_to_sign_in(client, prog_a):
    r = client.post(SAVE, {"name": "x", "query": "band=promoter"})
    assert r.status_code == 302 and "login" in r["Location"]
    assert not SavedFilter.objects.exists()
