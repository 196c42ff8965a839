"""Chart labels never render HTML from user-entered names (issue 12, defect 13), in Python and in a real browser."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import pytest
from django.utils import timezone

from core.charts import figure_dict
from kpis import rollups
from kpis.charts import short_label
from tests.conftest import signed_in_page
from tests.kpis.conftest import make_world

EVIL = '<a href="https://evil.example/">Billing</a> & <img src=x onerror=alert(1)>'


def test_names_are_escaped_but_templates_are_not():
    fig = go.Figure(
        go.Bar(
            x=[1.0],
            y=[EVIL],
            name=EVIL,
            customdata=[[EVIL, 3]],
            hovertemplate="%{y}<br>%{customdata[0]}<extra></extra>",
        ),
        layout={"title": {"text": EVIL}, "xaxis": {"ticktext": [EVIL], "tickvals": [0]}},
    )
    data = figure_dict(fig)
    trace = data["data"][0]
    escaped = '&lt;a href="https://evil.example/"&gt;Billing&lt;/a&gt; &amp; &lt;img src=x onerror=alert(1)&gt;'
    assert trace["y"] == [escaped]
    assert trace["name"] == escaped
    assert trace["customdata"] == [[escaped, 3]]
    assert data["layout"]["title"]["text"] == escaped
    assert data["layout"]["xaxis"]["ticktext"] == [escaped]
    assert trace["hovertemplate"] == "%{y}<br>%{customdata[0]}<extra></extra>"
    assert trace["x"] == [1.0]


def test_a_dict_figure_is_escaped_once():
    once = figure_dict({"data": [{"type": "bar", "x": ["a<b"], "y": [1]}], "layout": {}})
    assert once["data"][0]["x"] == ["a&lt;b"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_touchpoint_named_like_html_is_drawn_as_text(live_server, chromium, cast_a):
    world = make_world(cast_a.org, touchpoints_per_stage=(1, 1))
    touchpoint = world.touchpoints[0]
    touchpoint.name = EVIL
    touchpoint.save(update_fields=["name"])
    today = timezone.localdate()
    made = [
        world.respond(tp, today - dt.timedelta(days=i), nps=(i * 3) % 11, process=False)
        for i in range(40)
        for tp in world.touchpoints
    ]
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()

    page = signed_in_page(chromium, live_server, cast_a.cx_manager.user).page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/kpis/gap/")
    page.wait_for_selector("[data-testid=gap-chart] .main-svg", timeout=15000)
    chart = page.locator("[data-testid=gap-chart]")
    # No link or image element made from the name, and the tick label reads exactly as the name was typed (cut to
    # fit the axis: kpis.charts.short_label; the hover has it whole).
    assert chart.locator("a").count() == 0
    assert chart.locator("image, img").count() == 0
    ticks = chart.locator(".ytick text").evaluate_all("els => els.map(e => e.textContent)")
    assert short_label(EVIL) in ticks and short_label(EVIL).startswith('<a href="')
    assert dialogs == []
