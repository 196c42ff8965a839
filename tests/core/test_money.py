"""One money formatter (core.money): full and compact amounts as each locale writes them, ranges, the filters of
the value, KPI and action pages built on it, and the charts' separators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.charts import figure_dict, plotly_separators
from core.money import format_money, format_money_interval, format_money_range

NB = "\u00a0"
MINUS = "\u2212"


@pytest.mark.parametrize(
    ("language", "currency", "full", "compact"),
    [
        ("sv", "SEK", f"1{NB}234{NB}567{NB}kr", f"1,2{NB}mn{NB}kr"),
        ("nb", "NOK", f"1{NB}234{NB}567{NB}kr", f"1,2{NB}mill.{NB}kr"),
        ("da", "DKK", f"1.234.567{NB}kr.", f"1,2{NB}mio.{NB}kr."),
        ("en", "SEK", f"1,234,567{NB}SEK", f"1.2{NB}M{NB}SEK"),
        # Another country's currency keeps its ISO code, in the locale's number format.
        ("sv", "EUR", f"1{NB}234{NB}567{NB}EUR", f"1,2{NB}mn{NB}EUR"),
        ("da", "SEK", f"1.234.567{NB}SEK", f"1,2{NB}mio.{NB}SEK"),
        ("nb", "DKK", f"1{NB}234{NB}567{NB}DKK", f"1,2{NB}mill.{NB}DKK"),
    ],
)
def test_full_and_compact_amounts_per_locale(language, currency, full, compact):
    assert format_money(1234567, currency, locale=language) == full
    assert format_money(1234567, currency, compact=True, locale=language) == compact
    # Without `locale` the active language decides.
    with translation.override(language):
        assert format_money(Decimal("1234567"), currency) == full


def test_the_issues_examples():
    assert format_money(1_100_000, "SEK", compact=True, locale="sv") == f"1,1{NB}mn{NB}kr"
    assert format_money(1_100_000, "NOK", compact=True, locale="nb") == f"1,1{NB}mill.{NB}kr"
    assert format_money(1_100_000, "DKK", compact=True, locale="da") == f"1,1{NB}mio.{NB}kr."
    assert format_money(1_100_000, "SEK", compact=True, locale="en") == f"1.1{NB}M{NB}SEK"


@pytest.mark.parametrize(
    ("language", "thousands", "billions"),
    [("en", "k", "B"), ("sv", "tn", "md"), ("nb", "tusen", "mrd."), ("da", "t.", "mia.")],
)
def test_compact_scales_write_thousands_and_billions_as_the_locale_does(language, thousands, billions):
    decimal = "." if language == "en" else ","
    assert format_money(45_600, "EUR", compact=True, locale=language) == f"45{decimal}6{NB}{thousands}{NB}EUR"
    assert format_money(2_500_000_000, "EUR", compact=True, locale=language) == f"2{decimal}5{NB}{billions}{NB}EUR"
    # Three digits before the separator need no decimal; below a thousand nothing is shortened.
    assert format_money(123_400_000, "EUR", compact=True, locale=language).startswith(f"123{NB}")
    assert format_money(512, "EUR", compact=True, locale=language) == f"512{NB}EUR"


def test_negative_amounts_use_the_minus_sign_and_nothing_is_a_dash():
    assert format_money(-45_600, "SEK", locale="sv") == f"{MINUS}45{NB}600{NB}kr"
    assert format_money(-1_100_000, "SEK", compact=True, locale="en") == f"{MINUS}1.1{NB}M{NB}SEK"
    assert format_money(None, "SEK") == "\u2013"
    assert format_money("", "SEK") == "\u2013"
    assert format_money(1234, "", locale="sv") == f"1{NB}234"  # no currency: the number alone


def test_a_range_shares_one_scale_and_writes_the_unit_once():
    assert format_money_range(1_100_000, 800_000, 1_400_000, "SEK", compact=True, locale="sv") == (
        f"1,1{NB}mn{NB}kr (0,8\u20131,4{NB}mn{NB}kr)"
    )
    assert format_money_range(1_100_000, 800_000, 1_400_000, "SEK", compact=True, locale="en") == (
        f"1.1{NB}M{NB}SEK (0.8\u20131.4{NB}M{NB}SEK)"
    )
    assert format_money_interval(-200_000, 1_400_000, "DKK", locale="da") == (
        f"{MINUS}200.000{NB}\u2013 1.400.000{NB}kr."
    )
    # Without both bounds: the amount alone.
    assert format_money_range(1_100_000, None, 1_400_000, "SEK", compact=True, locale="sv") == f"1,1{NB}mn{NB}kr"


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_the_value_kpi_and_action_money_filters_all_write_the_same(language):
    from actions.templatetags.actions_tags import register as action_tags
    from core.templatetags.cx_numbers import money as core_money
    from value.templatetags.value_tags import money as value_money

    with translation.override(language):
        expected = format_money(-1234567.5, "SEK")
        assert value_money(-1234567.5, "SEK") == action_tags.filters["money"](-1234567.5, "SEK") == expected
        assert core_money(-1234567.5, "SEK") == expected
        assert core_money(-1234567.5) == format_money(-1234567.5, "")  # the KPI pages' call: no unit
        assert expected.startswith(MINUS)


def test_money_filters_render_through_a_template_in_the_pages_language():
    template = Template(
        '{% load cx_numbers %}{{ a|money:"SEK" }}|{{ a|money_compact:"SEK" }}|'
        '{% money_range a low high "SEK" compact=True %}'
    )
    context = {"a": 1_100_000, "low": 800_000, "high": 1_400_000}
    with translation.override("sv"):
        assert template.render(Context(context)) == (
            f"1{NB}100{NB}000{NB}kr|1,1{NB}mn{NB}kr|1,1{NB}mn{NB}kr (0,8\u20131,4{NB}mn{NB}kr)"
        )
    with translation.override("en"):
        assert template.render(Context(context)).split("|")[1] == f"1.1{NB}M{NB}SEK"


@pytest.mark.parametrize(("language", "separators"), [("en", ".,"), ("sv", f",{NB}"), ("nb", f",{NB}"), ("da", ",.")])
def test_charts_draw_numbers_with_the_locales_separators(language, separators):
    assert plotly_separators(language) == separators
    with translation.override(language):
        figure = figure_dict({"data": [{"type": "bar", "x": ["a"], "y": [1234.5]}], "layout": {}})
    assert figure["layout"]["separators"] == separators
    # A figure that chose its own separators keeps them.
    assert figure_dict({"data": [], "layout": {"separators": ".,"}})["layout"]["separators"] == ".,"


# -- compact amounts are scaled after rounding ---------------------------------------------------------------------

COMPACT_BOUNDARIES = {
    # amount: (en, sv, nb, da) with SEK/NOK/DKK in their own languages
    999_950: ("1.0 M SEK", "1,0 mn kr", "1,0 mill. kr", "1,0 mio. kr."),
    999_500: ("1.0 M SEK", "1,0 mn kr", "1,0 mill. kr", "1,0 mio. kr."),  # 999.5 thousand has three digits: 1000
    999_499: ("999 k SEK", "999 tn kr", "999 tusen kr", "999 t. kr."),
    99_950_000: ("100 M SEK", "100 mn kr", "100 mill. kr", "100 mio. kr."),
    99_949_999: ("99.9 M SEK", "99,9 mn kr", "99,9 mill. kr", "99,9 mio. kr."),
    999_950_000: ("1.0 B SEK", "1,0 md kr", "1,0 mrd. kr", "1,0 mia. kr."),
    999.5: ("1.0 k SEK", "1,0 tn kr", "1,0 tusen kr", "1,0 t. kr."),
    999.4: ("999 SEK", "999 kr", "999 kr", "999 kr."),
    # The largest unit goes on counting.
    1_234_500_000_000: ("1,235 B SEK", "1 235 md kr", "1 235 mrd. kr", "1.235 mia. kr."),
}


@pytest.mark.parametrize("amount", list(COMPACT_BOUNDARIES))
@pytest.mark.parametrize("sign", [1, -1])
def test_an_amount_that_rounds_to_a_thousand_of_a_unit_is_written_in_the_next_unit(amount, sign):
    currencies = {"en": "SEK", "sv": "SEK", "nb": "NOK", "da": "DKK"}
    for language, expected in zip(("en", "sv", "nb", "da"), COMPACT_BOUNDARIES[amount], strict=True):
        text = format_money(sign * amount, currencies[language], compact=True, locale=language)
        assert text == (MINUS if sign < 0 else "") + expected.replace(" ", NB)


def test_the_reviewers_examples_round_first():
    assert format_money(999_950, "SEK", compact=True, locale="sv") == f"1,0{NB}mn{NB}kr"
    assert format_money(999_950, "SEK", compact=True, locale="en") == f"1.0{NB}M{NB}SEK"
    assert format_money(99_950_000, "SEK", compact=True, locale="sv") == f"100{NB}mn{NB}kr"
    assert format_money(-999_999, "SEK", compact=True, locale="sv") == f"{MINUS}1,0{NB}mn{NB}kr"


def test_a_range_takes_the_scale_its_largest_figure_rounds_to():
    assert format_money_range(900_000, 800_000, 999_960, "SEK", compact=True, locale="sv") == (
        f"0,9{NB}mn{NB}kr (0,8\u20131,0{NB}mn{NB}kr)"
    )
    assert format_money_interval(-999_990, 999_400, "SEK", compact=True, locale="en") == (
        f"{MINUS}1.0{NB}\u2013 1.0{NB}M{NB}SEK"
    )


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("-Infinity"), "nan"]
)
@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_nan_and_infinity_are_a_dash(value, language):
    assert format_money(value, "SEK", locale=language) == "\u2013"
    assert format_money(value, "SEK", compact=True, locale=language) == "\u2013"
    assert format_money_range(value, 1, 2, "SEK", locale=language).startswith("\u2013")
    assert format_money_interval(value, 2, "SEK", locale=language) == "\u2013"
    assert format_money("abc", "SEK", locale=language) == "abc"  # text that is no number is shown as it is
