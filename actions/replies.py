"""The e-mail a customer receives when an alert rule replies for us, in the customer's language.

Kept as data rather than gettext catalogues so a reply is in Swedish, Norwegian or Danish even where no translation
files are compiled. Placeholders: $customer_name, $organization, $touchpoint.
"""

from __future__ import annotations

from string import Template

REPLY_TEMPLATES: dict[str, tuple[str, str]] = {
    "en": (
        "Thank you for your feedback to $organization",
        "Dear $customer_name,\n\n"
        "Thank you for telling us about your experience ($touchpoint). We are sorry it did not meet your "
        "expectations. Someone from our team will look into it and get back to you shortly.\n\n"
        "Kind regards,\n$organization",
    ),
    "sv": (
        "Tack för din återkoppling till $organization",
        "Hej $customer_name,\n\n"
        "Tack för att du berättade om din upplevelse ($touchpoint). Vi beklagar att den inte motsvarade dina "
        "förväntningar. Någon i vårt team tittar på ärendet och återkommer till dig inom kort.\n\n"
        "Vänliga hälsningar,\n$organization",
    ),
    "nb": (
        "Takk for tilbakemeldingen til $organization",
        "Hei $customer_name,\n\n"
        "Takk for at du fortalte oss om opplevelsen din ($touchpoint). Vi beklager at den ikke svarte til "
        "forventningene dine. Noen i teamet vårt ser på saken og tar kontakt med deg snart.\n\n"
        "Vennlig hilsen\n$organization",
    ),
    "da": (
        "Tak for din feedback til $organization",
        "Kære $customer_name,\n\n"
        "Tak fordi du fortalte os om din oplevelse ($touchpoint). Vi beklager, at den ikke levede op til dine "
        "forventninger. En fra vores team ser på sagen og vender tilbage til dig snarest.\n\n"
        "Venlig hilsen\n$organization",
    ),
}


def render_reply(*, language: str, customer_name: str, organization: str, touchpoint: str) -> tuple[str, str]:
    """(subject, body) in `language` (English when we have no text for it)."""
    subject, body = REPLY_TEMPLATES.get((language or "en").split("-")[0].lower(), REPLY_TEMPLATES["en"])
    values = {"customer_name": customer_name, "organization": organization, "touchpoint": touchpoint}
    return Template(subject).safe_substitute(values), Template(body).safe_substitute(values)
