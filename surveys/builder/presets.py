"""Ready-made questions ("quick add") with texts in every language a Nordic program needs.

`{org}` is replaced by the organization's name when the preset is added; the texts stay editable.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from surveys.models import Question

NPS_TEXT = {
    "sv": "Hur troligt är det att du skulle rekommendera {org} till en vän eller kollega?",
    "nb": "Hvor sannsynlig er det at du vil anbefale {org} til en venn eller kollega?",
    "da": "Hvor sandsynligt er det, at du vil anbefale {org} til en ven eller kollega?",
    "en": "How likely is it that you would recommend {org} to a friend or colleague?",
}
NPS_WHY_TEXT = {
    "sv": "Vad är den viktigaste anledningen till ditt betyg?",
    "nb": "Hva er den viktigste grunnen til karakteren du ga?",
    "da": "Hvad er den vigtigste grund til din vurdering?",
    "en": "What is the most important reason for your score?",
}
CSAT_TEXT = {
    "sv": "Hur nöjd är du med din senaste kontakt med {org}?",
    "nb": "Hvor fornøyd er du med din siste kontakt med {org}?",
    "da": "Hvor tilfreds er du med din seneste kontakt med {org}?",
    "en": "How satisfied are you with your most recent contact with {org}?",
}
CSAT_WHY_TEXT = {
    "sv": "Berätta gärna varför du gav det betyget.",
    "nb": "Fortell gjerne hvorfor du ga den karakteren.",
    "da": "Fortæl gerne, hvorfor du gav den vurdering.",
    "en": "Please tell us why you gave that rating.",
}

# preset slug -> (label, [(code, kind, text, required, follows)])
PRESETS = {
    "nps_why": (
        _("NPS + why"),
        [("nps", Question.Kind.NPS, NPS_TEXT, True, None), ("why", Question.Kind.TEXT, NPS_WHY_TEXT, False, "nps")],
    ),
    "csat_why": (
        _("CSAT + why"),
        [
            ("csat", Question.Kind.CSAT, CSAT_TEXT, True, None),
            ("csat_why", Question.Kind.TEXT, CSAT_WHY_TEXT, False, "csat"),
        ],
    ),
}


def preset_texts(texts: dict[str, str], *, organization_name: str, languages: list[str]) -> dict[str, str]:
    """The preset's texts for the survey's languages (others stay empty, to be filled in the builder)."""
    return {lang: texts[lang].format(org=organization_name) for lang in languages if lang in texts}
