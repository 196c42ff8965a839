"""Comments as staff may read them: personal data (e-mail addresses, phone numbers, national id numbers, card
numbers) masked wherever the reader has no permission to contact the customer.

    {% load cx_masking %}
    {{ answer.text|masked }}                               always masked (explorer, reports, insight pages)
    {{ answer.text|masked_unless_consent:case.customer }}  the original only on the customer's own case, when the
                                                           customer agreed to be contacted back (None: masked)
"""

from __future__ import annotations

from django import template

from core.masking import mask_personal_data

register = template.Library()


@register.filter
def masked(text: str) -> str:
    return mask_personal_data(text or "")


@register.filter
def masked_unless_consent(text: str, customer) -> str:
    return text if customer is not None and customer.may_contact else mask_personal_data(text or "")
