"""The number filter of every template: `{{ value|num:1 }}`, rounded half away from zero, in the page's locale."""

from __future__ import annotations

from django import template

from core.numbers import format_number

register = template.Library()


@register.filter
def num(value, decimals: int = 0) -> str:
    """`value` with `decimals` places (default 0), rounded half away from zero; a dash for None or ""."""
    return format_number(value, decimals)
