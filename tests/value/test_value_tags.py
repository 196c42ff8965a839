"""The value pages' filters write figures as the reader's locale does."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from value.templatetags.value_tags import percent, pvalue

NB = "\u00a0"


@pytest.mark.parametrize(
    ("language", "small", "ordinary"),
    [
        ("en", f"<{NB}0.001", "0.043"),
        ("sv", f"<{NB}0,001", "0,043"),
        ("nb", f"<{NB}0,001", "0,043"),
        ("da", f"<{NB}0,001", "0,043"),
    ],
)
def test_p_values_use_the_locales_decimal_separator(language, small, ordinary):
    with translation.override(language):
        assert pvalue(0.0004) == small
        assert pvalue(0) == small
        assert pvalue(0.0426) == ordinary
        assert pvalue(None) == "\u2013"
        html = Template("{% load value_tags %}{{ p|pvalue }}").render(Context({"p": 0.00001}))
        assert html == small.replace("<", "&lt;")


def test_a_share_that_is_no_number_is_a_dash():
    assert percent(float("nan")) == "\u2013"
    assert percent(float("inf")) == "\u2013"
    assert pvalue(float("nan")) == "\u2013"
