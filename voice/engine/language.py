"""The language of a comment: "sv", "nb", "da", "en" or "other" (pure Python, no Django).

py3langid (restricted to the analysed languages and the languages customers in the Nordics also write in) gives a
probability per language. Swedish, Norwegian and Danish one-liners are easily confused by a character model, so
each analysed language also gets points for its own marker words ("inte", "veldig", "meget", "the"...) and
letters (ä/ö for Swedish, æ/ø for Norwegian and Danish), and a small bonus for the survey language (`hint`).
A comment whose best language is not one of the four is "other"; a comment without letters (empty, emoji, a
number) gets the hint when it is one of the four, else "other".
"""

from __future__ import annotations

import threading

from voice.engine.lemmas import tokens

ANALYSED = ("sv", "nb", "da", "en")
OTHER = "other"

# Languages the classifier chooses among: the four, Nynorsk (counted as Norwegian) and languages customers in the
# Nordics also write in, so that a German or Finnish comment is "other" instead of a poor Scandinavian match.
_CANDIDATES = (
    "sv", "no", "nn", "da", "en", "de", "fi", "fr", "es", "nl", "it", "pt", "pl", "is", "et", "lt", "lv", "ru",
    "uk", "tr", "ar", "fa", "so", "se", "fo",
)  # fmt: skip
_ALIASES = {"no": "nb", "nn": "nb", "nb": "nb"}

MARKER_WEIGHT = 0.3
LETTER_WEIGHT = 0.25
HINT_BONUS = 0.15
# The classifier reads at most this many characters (its cost grows with the length; a comment's opening is enough).
MAX_CHARS = 240
# Marker points that settle the language without the classifier (4 marker words and twice the runner-up's points).
DECISIVE = 4 * MARKER_WEIGHT


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are frequent in one language and rare or spelt differently in the others.
MARKERS: dict[str, frozenset[str]] = {
    "sv": _words("""
        inte icke ej och är jag mig dig mycket väldigt också någon något några hade från för att hur vad varför när
        tack hej bra dåligt dålig sämre bättre av inget inga ni er ert sen själv måste kunde skulle blev fick köpt
        efter kom vill ska kan också än både eller mitt min mina vår våra jättebra jättenöjd nöjd missnöjd trevlig
        trevligt snabbt smidigt krångligt fakturan kundtjänst veckor dagar gånger hjälp funkade fungerar hörde
        svarade säga upp utan stämmer ingen kille butiken toppen toppenbra nu slut
        """),
    "nb": _words("""
        ikke ikkje veldig hva noen noe noko etter ble fikk kjøpt av meg deg dere takk mye litt enn hjelp hjelpen uke
        uker å jeg også bare hyggelig hyggelige fornøyd misfornøyd kjempe kjempefornøyd kjempegrei skjønte ønske
        tilbakemelding ganger nytt helgene avtalt flinke flink greit raskt rask regningen dekningen hytta ansatte
        lenger elendig hvorfor hvordan svarte ventet trengte fungerte bestille aldri kunde bedre dårlig dårligere
        nei bra topp butikken regningen flink ønske slutt
        """),
    "da": _words("""
        ikke meget hvad nogen noget efter blev fik købt af mig dig jer tak lidt end hjælp hjælpen uge uger at jeg også
        være været gerne rigtig tilfreds utilfreds søde nemt hurtig hurtigt kontaktede ringede ventede selskab
        ligeglade virkede derhjemme sådan dejlig dejligt tusind forkert fejl besværligt opsige sagen sag dækning
        dækningen medarbejder medarbejderne medarbejderen dårligt dårlig elendig hvorfor hvordan aldrig tilbagemelding
        ville skulle kunne nej top butikken regningen flink ønske nu slut
        """),
    "en": _words("""
        the and is was not very it you my to of for with thanks thank great good bad please have has been this
        that they were are would could should never nothing about after before why what how can your our wrong
        easy quick fast slow service staff price bill invoice help friendly terrible awful happy love excellent
        brilliant perfect amazing nice
        """),
}
# A word that marks two of the Scandinavian languages counts half for each.
_SHARED = {
    word: [lang for lang in ("sv", "nb", "da") if word in MARKERS[lang]]
    for word in MARKERS["sv"] | MARKERS["nb"] | MARKERS["da"]
}

_lock = threading.Lock()
_identifier = None


def _get_identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                known = set(identifier.nb_classes)
                identifier.set_languages([c for c in _CANDIDATES if c in known])
                _identifier = identifier
    return _identifier


def _marker_scores(text: str) -> dict[str, float]:
    scores = dict.fromkeys(ANALYSED, 0.0)
    for word in set(tokens(text)):
        if word in MARKERS["en"]:
            scores["en"] += MARKER_WEIGHT
        langs = _SHARED.get(word)
        if langs:
            for lang in langs:
                scores[lang] += MARKER_WEIGHT / len(langs)
    lowered = text.lower()
    if "ä" in lowered or "ö" in lowered:
        scores["sv"] += LETTER_WEIGHT
    if "æ" in lowered or "ø" in lowered:
        scores["nb"] += LETTER_WEIGHT / 2
        scores["da"] += LETTER_WEIGHT / 2
    return scores


def language_scores(text: str, hint: str | None = None, *, markers: dict[str, float] | None = None) -> dict[str, float]:
    """Return the combined score per language code: the classifier's probability, marker points and the hint."""
    scores: dict[str, float] = {}
    for code, prob in _get_identifier().rank(text[:MAX_CHARS]):
        lang = _ALIASES.get(code, code)
        scores[lang] = scores.get(lang, 0.0) + prob
    for lang, points in (markers if markers is not None else _marker_scores(text)).items():
        scores[lang] = scores.get(lang, 0.0) + points
    if hint in ANALYSED:
        scores[hint] += HINT_BONUS
    return scores


def detect_language(text: str, hint: str | None = None) -> str:
    """Return "sv", "nb", "da", "en" or "other" for a comment; `hint` is the survey's language, if known."""
    hint = _ALIASES.get(hint, hint) if hint else None
    fallback = hint if hint in ANALYSED else OTHER
    if not text or not any(ch.isalpha() for ch in text):
        return fallback
    markers = _marker_scores(text)
    first, second = sorted(markers.values(), reverse=True)[:2]
    if first >= DECISIVE and first >= 2 * second:  # a long comment full of one language's words
        return max(markers, key=markers.__getitem__)
    scores = language_scores(text, hint, markers=markers)
    best = max(scores, key=scores.__getitem__)
    return best if best in ANALYSED else OTHER
