"""One rounding rule for every number on every page: half away from zero, never cut off."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.numbers import format_number, round_half_away


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3.7599, 2, "3.76"),  # was shown as 3.75 (cut off)
        (4.2794, 2, "4.28"),  # was 4.27
        (2.5, 0, "3"),  # Python's round() gives 2
        (-2.5, 0, "\u22123"),  # one minus sign, U+2212
        (0.125, 2, "0.13"),
        (2.675, 2, "2.68"),  # binary 2.67499999... : the shortest repr decides
        (-0.04, 1, "0.0"),  # no negative zero
    ],
)
def test_round_half_away_from_zero(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_the_num_filter_is_available_in_every_template_and_follows_the_locale():
    template = Template("{{ a|num:2 }} {{ b|num }} {{ c|num:1 }}")
    assert template.render(Context({"a": 3.7599, "b": 2.5, "c": None})) == "3.76 3 \u2013"
    with translation.override("sv"):
        assert Template("{{ a|num:2 }}").render(Context({"a": 4.2794})) == "4,28"


def test_kpi_and_value_filters_round_the_same_way():
    from core.templatetags.cx_numbers import score, signed
    from value.templatetags.value_tags import number, percent

    assert score(3.7599, "csat") == "3.76"
    assert score(31.5, "nps") == "+32"
    assert score(-31.5, "nps") == "\u221232"
    assert score(81.25, "csat|top_box") == "81.3\u00a0%"
    assert signed(-0.05, 1) == "\u22120.1"
    assert number(4.2794, 2) == "4.28"
    assert percent(0.080249, 1) == "8.0\u00a0%"
    assert round_half_away(Decimal("1.005"), 2) == Decimal("1.01")


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_nan_and_infinity_are_a_dash_not_a_crash(value, decimals):
    for language in ("en", "sv", "nb", "da"):
        with translation.override(language):
            assert format_number(value, decimals) == "\u2013"
            assert format_number(value, decimals, grouping=True) == "\u2013"
    assert Template("{{ x|num:1 }}").render(Context({"x": value})) == "\u2013"


def test_text_that_is_no_number_is_shown_as_it_is():
    assert format_number("n/a", 1) == "n/a"
