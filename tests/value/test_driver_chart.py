"""The driver chart (importance against performance): labels that neither overlap nor get cut."""

from value.charts import DRIVER_LABEL_CHARS, drivers_figure


def driver(label: str, x: float, r: float) -> dict:
    return {
        "label": label,
        "x": x,
        "r": r,
        "low": r - 0.1,
        "high": r + 0.1,
        "importance": abs(r),
        "n": 120,
        "effect_label": "medium",
        "is_driver": r > 0.2,
        "opposite": False,
    }


def test_driver_labels_are_cut_alternate_above_and_below_and_stay_inside_the_axes():
    rows = [
        driver("Installation visit by the field technician on the agreed day", 62.0, 0.41),
        driver("Invoice", 63.0, 0.39),
        driver("Order online", 64.0, 0.35),
        driver("Customer service by phone", 20.0, -0.05),
    ]
    figure = drivers_figure(rows, "NPS", "% in the good band")
    points = [
        (x, y, text, position)
        for trace in figure["data"]
        for x, y, text, position in zip(trace["x"], trace["y"], trace["text"], trace["textposition"], strict=True)
    ]
    texts = [text for _x, _y, text, _p in points if text]
    assert len(texts) == 4 and all(len(t) <= DRIVER_LABEL_CHARS for t in texts)
    assert "Installation visit by…" in texts or any(t.endswith("\u2026") for t in texts)
    # The three close neighbours along x do not all sit on the same side of their points.
    close = sorted((x, position) for x, _y, text, position in points if 60 <= x <= 65)
    assert {position for _x, position in close} == {"top center", "bottom center"}
    assert all(trace.get("cliponaxis") is False for trace in figure["data"])
    xlow, xhigh = figure["layout"]["xaxis"]["range"]
    ylow, yhigh = figure["layout"]["yaxis"]["range"]
    assert xlow < 20.0 and xhigh > 64.0 and ylow < -0.15 and yhigh > 0.51
    # The full name is still in the hover data.
    names = [c[1] for trace in figure["data"] for c in trace["customdata"]]
    assert "Installation visit by the field technician on the agreed day" in names
