"""Template helpers of the voice pages: a theme's name in the reader's language, sentiment badges and the words that
drove a sentiment ("fel (-1.9), dyr (-1.2)", with minus signs).

    {% load voice_tags %}
    {{ theme|theme_name }}   {{ comment.sentiment_label|sentiment_css }}   {{ comment.drivers|drivers_text }}
"""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.numbers import format_number, round_half_away

register = template.Library()

SENTIMENT_CSS = {
    "positive": "text-bg-success",
    "neutral": "text-bg-secondary",
    "mixed": "text-bg-warning",
    "negative": "text-bg-danger",
}
DRIVERS_SHOWN = 4


@register.filter
def theme_name(theme) -> str:
    """The theme's name in the active language ("nb" also reads "no"), else its name."""
    if theme is None:
        return ""
    labels = getattr(theme, "labels", None) or {}
    language = (get_language() or "").split("-")[0]
    if language == "no":
        language = "nb"
    return labels.get(language) or theme.name


@register.filter
def sentiment_css(label: str) -> str:
    return SENTIMENT_CSS.get(label or "", "text-bg-light border")


def _valence(value) -> str:
    rounded = round_half_away(value, 1)
    text = format_number(abs(rounded), 1)
    if rounded == 0:
        return text
    return ("+" if rounded > 0 else "\u2212") + text


@register.filter
def drivers_text(drivers, label: str = "") -> str:
    """The words behind a sentiment with their valence, strongest first: "fel (-1.9), dyr (-1.2)". With a label of
    "negative" or "positive" only the words pulling that way are listed."""
    items = []
    for item in drivers or []:
        try:
            word, value = item[0], float(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if (label == "negative" and value >= 0) or (label == "positive" and value <= 0):
            continue
        items.append((word, value))
    items.sort(key=lambda wv: -abs(wv[1]))
    return ", ".join(f"{word} ({_valence(value)})" for word, value in items[:DRIVERS_SHOWN])


@register.filter
def share_pct(value, decimals: int = 0) -> str:
    """A share (0..1) in per cent with the locale's separators: 0.234 -> "23 %"."""
    if value is None:
        return "\u2013"
    percent = float(value) * 100
    if 0 < percent < 1 and int(decimals) == 0:
        decimals = 1  # a small share never reads "0 %"
    return f"{format_number(percent, int(decimals))}\u00a0%"


def _p_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < " + format_number(0.001, 3)
    return "p = " + format_number(p_value, 3 if p_value < 0.1 else 2)


@register.filter
def impact_sentence(row) -> str:
    """The impact of a theme on the score in plain words, for a tooltip: "Comments with this theme score 2.1 lower
    on average; unlikely to be chance (p = 0.003)"."""
    impact = getattr(row, "impact", None)
    if impact is None:
        return _("Too few scored comments with and without this theme to compare their scores.")
    diff = format_number(abs(impact), 1)
    if round_half_away(impact, 1) == 0:
        head = _("Comments with this theme score about the same as the others")
    elif impact < 0:
        head = _("Comments with this theme score %(diff)s lower on average") % {"diff": diff}
    else:
        head = _("Comments with this theme score %(diff)s higher on average") % {"diff": diff}
    p_value = getattr(row, "p_value", None)
    if p_value is None:
        return _("%(finding)s; there is too little spread in the scores to test it.") % {"finding": head}
    if getattr(row, "significant", False):
        return _("%(finding)s; unlikely to be chance (%(p)s).") % {"finding": head, "p": _p_text(p_value)}
    if getattr(row, "is_thin", False):
        return _("%(finding)s; too few scored comments to rule out chance (%(p)s).") % {
            "finding": head,
            "p": _p_text(p_value),
        }
    return _("%(finding)s; this may well be chance (%(p)s).") % {"finding": head, "p": _p_text(p_value)}


@register.filter
def get_item(mapping, key):
    """mapping[key], or None: `{{ values|get_item:row.theme.pk }}`."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
