"""The scale rule table: metric keys, bands and measures for every scale (pure, no database)."""

import pytest

from core.scales import (
    MEASURE_MEAN,
    MEASURE_NPS,
    MEASURE_TOP_BOX,
    Scale,
    band_counts,
    measure_label,
    metric_key,
    metric_label,
    scale_for_metric,
    scale_for_question,
    validate_rating_bounds,
)


def test_fixed_scales_keep_their_short_keys():
    for kind, (low, high) in {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}.items():
        scale = scale_for_question(kind)
        assert (scale.low, scale.high) == (low, high)
        assert metric_key(kind, "whatever", scale) == kind
        assert scale_for_metric(kind) == scale


def test_a_rating_key_carries_its_scale_so_two_scales_never_share_a_metric():
    five, ten = scale_for_question("rating", 1, 5), scale_for_question("rating", 1, 10)
    assert metric_key("rating", "overall", five) == "overall:1-5"
    assert metric_key("rating", "overall", ten) == "overall:1-10"
    assert scale_for_metric("overall:1-10") == Scale("rating", 1, 10)
    assert scale_for_question("rating") == Scale("rating", 1, 5)  # the default rating scale
    assert metric_label("overall:1-10") == "overall (1-10)"


def test_yes_no_is_a_zero_one_scale_with_its_own_key():
    scale = scale_for_question("yes_no")
    assert (scale.low, scale.high, scale.is_binary) == (0, 1, True)
    assert metric_key("yes_no", "satisfied", scale) == "satisfied:yes"
    assert scale_for_metric("satisfied:yes") == scale
    assert scale.measures == (MEASURE_TOP_BOX,)
    assert measure_label("satisfied:yes", "") == "satisfied, % yes"


@pytest.mark.parametrize(
    ("scale", "good", "bad"),
    [
        (Scale("nps", 0, 10), 9, 6),  # promoters / detractors
        (Scale("csat", 1, 5), 4, 2),  # top-2 / bottom-2 box
        (Scale("ces", 1, 7), 6, 2),
        (Scale("rating", 1, 10), 9, 2),
        (Scale("rating", 0, 10), 9, 1),
        (Scale("rating", 1, 4), 4, 1),  # short scales: top and bottom box
        (Scale("yes_no", 0, 1), 1, 0),
    ],
)
def test_every_scale_has_good_and_bad_bands(scale, good, bad):
    assert (scale.good_min, scale.bad_max) == (good, bad)
    assert scale.band(scale.high) == "good" and scale.band(scale.low) == "bad"


def test_band_counts_from_the_rollup_distribution():
    # 0..10 counts: CSAT answers 1:2, 2:3, 3:5, 4:7, 5:11
    dist = [0, 2, 3, 5, 7, 11, 0, 0, 0, 0, 0]
    assert band_counts(dist, Scale("csat", 1, 5)) == (18, 5, 5)
    nps = [1, 0, 0, 0, 0, 0, 2, 3, 4, 5, 6]
    assert band_counts(nps, Scale("nps", 0, 10)) == (11, 7, 3)


def test_measures_per_scale():
    assert Scale("nps", 0, 10).measure("mean") == MEASURE_NPS  # NPS is always read as NPS
    assert Scale("csat", 1, 5).measure("") == MEASURE_MEAN
    assert Scale("csat", 1, 5).measure("top_box") == MEASURE_TOP_BOX
    assert measure_label("csat", "top_box") == "CSAT, top-2-box %"
    assert measure_label("nps", "") == "NPS"


def test_rating_bounds_must_fit_the_rollup_distribution():
    assert validate_rating_bounds(1, 10) is None and validate_rating_bounds(0, 10) is None
    assert validate_rating_bounds(1, 100) and validate_rating_bounds(5, 5) and validate_rating_bounds(-1, 3)
    assert scale_for_metric("x:1-100") is None and scale_for_metric("not a metric") is None
