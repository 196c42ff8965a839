"""Value parsers shared by every import kind (pure functions, no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.validation import normalize_country, normalize_phone
from imports.parsers import clean_email, parse_bool, parse_date, parse_decimal, parse_language
from imports.readers import _sniff_delimiter


@pytest.mark.parametrize("value", ["yes", "YES", "true", "1", "ja", "Ja", "y", "x"])
def test_true_values_in_nordic_and_english(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["no", "false", "0", "nej", "nei", "N"])
def test_false_values_in_nordic_and_english(value):
    assert parse_bool(value) is False


def test_unclear_boolean_is_refused_with_the_accepted_words():
    with pytest.raises(ValueError, match="ja, nej or nei"):
        parse_bool("maybe")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("sv", "sv"),
        ("sv-SE", "sv"),
        ("Svenska", "sv"),
        ("no", "nb"),
        ("nn", "nb"),
        ("nb-NO", "nb"),
        ("nb_NO", "nb"),
        ("norsk", "nb"),
        ("da", "da"),
        ("da-DK", "da"),
        ("dansk", "da"),
        ("EN", "en"),
        ("en-GB", "en"),
    ],
)
def test_language_codes_locales_and_names_are_normalised(value, code):
    assert parse_language(value) == code


@pytest.mark.parametrize(("value", "hint"), [("se", '"sv"'), ("dk", '"da"'), ("uk", '"en"')])
def test_country_codes_given_as_languages_get_a_hint(value, hint):
    with pytest.raises(ValueError, match=hint):
        parse_language(value)


def test_unsupported_language_lists_the_supported_ones():
    with pytest.raises(ValueError, match="sv, nb, da, en"):
        parse_language("fi")


def test_email_domain_is_lowercased_and_invalid_addresses_refused():
    assert clean_email(" Anna.B@Example.SE ") == "Anna.B@example.se"
    with pytest.raises(ValueError):
        clean_email("anna@")


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1234.5", "1234.5"),
        ("1234,5", "1234.5"),
        ("1 234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("-12", "-12"),
    ],
)
def test_decimals_with_nordic_and_english_separators(value, number):
    assert parse_decimal(value) == Decimal(number)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity"])
def test_non_numbers_are_refused(value):
    with pytest.raises(ValueError):
        parse_decimal(value)


@pytest.mark.parametrize("value", ["2026-12-31", "31.12.2026", "31/12/2026", "2026-12-31 00:00:00"])
def test_dates_iso_and_day_first(value):
    assert parse_date(value) == dt.date(2026, 12, 31)


def test_phone_numbers_keep_plus_and_digits():
    assert normalize_phone("+46 70-123 45 67") == "+46701234567"
    assert normalize_phone("0047 912 34 567") == "+4791234567"
    assert normalize_phone("(08) 123 456") == "08123456"
    for bad in ("call me", "123"):
        with pytest.raises(ValueError):
            normalize_phone(bad)


def test_countries_by_code_or_nordic_name():
    assert normalize_country("se") == "SE"
    assert normalize_country("Norge") == "NO"
    with pytest.raises(ValueError):
        normalize_country("Swe")


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ('"x;y",b,c', ","), ("a\tb", "\t"), ("single", ",")],
)
def test_delimiter_is_the_most_frequent_one_outside_quotes(line, delimiter):
    assert _sniff_delimiter(line) == delimiter
