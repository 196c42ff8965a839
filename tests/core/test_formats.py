"""Nordic formats (cxplatform/formats): dates ISO or the locale's own, never month first; 24-hour times; the
locale's separators; Monday first; ISO accepted first in every form."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.template import Context, Template
from django.utils import formats, translation

MOMENT = dt.datetime(2027, 3, 8, 14, 5)  # 8 March 2027, 14:05: day and month told apart, an afternoon hour
TEMPLATE = Template(
    '{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATETIME_FORMAT" }}|'
    '{{ d|date:"DATETIME_FORMAT" }}|{{ d|time:"TIME_FORMAT" }}|{{ x }}|{{ n|floatformat:"1g" }}'
)
EXPECTED = {
    "en": "2027-03-08|8 Mar 2027|2027-03-08 14:05|8 Mar 2027 14:05|14:05|1234.5|1,234.5",
    "sv": "2027-03-08|8 mars 2027|2027-03-08 14:05|8 mars 2027 14:05|14:05|1234,5|1\xa0234,5",
    "nb": "08.03.2027|8. mars 2027|08.03.2027 14:05|8. mars 2027 14:05|14:05|1234,5|1\xa0234,5",
    "da": "08.03.2027|8. marts 2027|08.03.2027 14:05|8. marts 2027 14:05|14:05|1234,5|1.234,5",
}


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_dates_times_and_numbers_render_in_the_locales_format(language):
    with translation.override(language):
        text = TEMPLATE.render(Context({"d": MOMENT, "x": 1234.5, "n": 1234.5}))
    assert text == EXPECTED[language]
    assert "03/08" not in text and "p.m." not in text and "PM" not in text


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_the_num_filter_groups_and_uses_the_minus_sign_per_locale(language):
    with translation.override(language):
        text = Template("{% load cx_numbers %}{{ a|num:1 }} {{ b|num }}").render(Context({"a": -2.25, "b": 3}))
    decimal = "." if language == "en" else ","
    assert text == f"\u22122{decimal}3 3"


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_the_week_starts_on_monday_and_iso_dates_are_read_first(language):
    with translation.override(language):
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"
        assert formats.get_format("DATETIME_INPUT_FORMATS")[0] == "%Y-%m-%d %H:%M:%S"
        assert not any(f.startswith("%m") for f in formats.get_format("DATE_INPUT_FORMATS"))
        assert not any("%p" in f or "%I" in f for f in formats.get_format("DATETIME_INPUT_FORMATS"))


class DateForm(forms.Form):
    day = forms.DateField()
    at = forms.DateTimeField()


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_a_form_reads_iso_dates_in_every_language_and_never_month_first(language):
    with translation.override(language):
        form = DateForm({"day": "2027-03-08", "at": "2027-03-08T14:05"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == dt.date(2027, 3, 8)
        assert form.cleaned_data["at"].hour == 14
        # A US date is not silently read as 3 August (nor as 8 March): it is refused.
        assert not DateForm({"day": "03/08/2027", "at": "2027-03-08 14:05"}).is_valid()
        # The date widget shows the ISO date (what <input type="date"> needs).
        assert 'value="2027-03-08"' in str(DateForm(initial={"day": dt.date(2027, 3, 8)})["day"])


@pytest.mark.parametrize("language", ["nb", "da"])
def test_norwegian_and_danish_forms_also_read_their_own_day_first_dates(language):
    with translation.override(language):
        form = DateForm({"day": "08.03.2027", "at": "08.03.2027 14:05"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == dt.date(2027, 3, 8)
