"""Sentiment resources per language: asent's lexicons, negations, intensifiers and contrastive conjunctions, with a
small customer-service supplement (pure Python, no Django).

asent's general-purpose lexicons miss or misread words that matter in telecom comments: Swedish "dyrt" and Danish
"dyrt" are positive there (translated from "dear"), "fel", "krånglig", "tungvint", "seg", "överdebiterad" are
missing. SUPPLEMENT overrides or adds those words, on the scale of each lexicon (-5..5 for sv, nb and da, VADER's
-4..4 for en). It is a list of domain words, not of test sentences; add a word when comments show it is misread.

Also fixed here:
- the Norwegian intensifiers are stored capitalised with trailing spaces in asent ("Veldig "), so asent never finds
  them; they are normalised;
- negations asent lacks: Swedish "inga", "inget", "ej"; Norwegian "aldri", "ikkje", "intet", "ingenting", "verken";
  Danish "intet", "ingenting", "hverken";
- contrastive conjunctions (asent has none for Swedish): used to weigh the part after "men"/"but" higher, as asent
  does for English, and to split sentences into clauses for the "mixed" label and per-theme sentiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SUPPLEMENT: dict[str, dict[str, float]] = {
    "sv": {
        "dyr": -1.8, "dyrt": -1.8, "dyra": -1.8, "dyrare": -2.0, "överpris": -2.5,
        "fel": -2.0, "felaktig": -2.0, "felaktigt": -2.0, "felaktiga": -2.0,
        "krånglig": -2.0, "krångligt": -2.0, "krångliga": -2.0, "krångel": -2.0, "krånglade": -2.0,
        "strul": -2.0, "strulade": -2.0, "strulig": -2.0, "trög": -1.5, "trögt": -1.5,
        "seg": -1.5, "segt": -1.5, "sega": -1.5, "långsam": -1.5, "långsamt": -1.5,
        "trasig": -2.0, "trasigt": -2.0, "trasiga": -2.0, "sönder": -2.0,
        "orimlig": -2.0, "orimligt": -2.0, "orimliga": -2.0,
        "otrevlig": -2.5, "otrevligt": -2.5, "otrevliga": -2.5, "oförskämd": -3.0, "oförskämt": -3.0,
        "överdebiterad": -2.5, "överdebiterade": -2.5, "dubbeldebiterad": -2.5,
        "snabb": 1.8, "snabbt": 1.8, "snabba": 1.8, "smidig": 2.0, "smidigt": 2.0, "smidiga": 2.0,
        "enkel": 1.5, "enkelt": 1.5, "enkla": 1.5, "kunnig": 2.0, "kunniga": 2.0,
        "hjälpsam": 2.2, "hjälpsamma": 2.2, "hjälpsamt": 2.2, "tillmötesgående": 2.2,
        "toppen": 3.0, "jättebra": 3.2, "jättetrevlig": 3.0, "jättetrevliga": 3.0, "jättenöjd": 3.0,
        "supersnabb": 2.5, "supernöjd": 3.0, "grym": 2.5, "grymt": 2.5, "tydligt": 1.2, "tydlig": 1.2,
        "usel": -3.0, "uselt": -3.0, "usla": -3.0, "värdelös": -3.0, "värdelöst": -3.0,
        "bedrövlig": -3.0, "bedrövligt": -3.0, "katastrof": -3.0, "katastrofalt": -3.0,
        "hjälp": 1.5, "hjälpen": 1.5, "fungerar": 1.5, "fungerade": 1.5, "fungerat": 1.5, "funkar": 1.5,
        "funkade": 1.5, "funkat": 1.5,
    },
    "nb": {
        "dyr": -1.8, "dyrt": -1.8, "dyre": -1.8, "dyrere": -2.0,
        "feil": -2.0, "feilaktig": -2.0, "tungvint": -2.0, "tungvindt": -2.0, "knot": -2.0, "trøbbel": -2.0,
        "treg": -1.5, "tregt": -1.5, "trege": -1.5, "sein": -1.0, "langsom": -1.5, "langsomt": -1.5,
        "ødelagt": -2.0, "urimelig": -2.0, "urimelige": -2.0, "uhøflig": -2.5, "frekk": -2.5,
        "rask": 1.8, "raskt": 1.8, "raske": 1.8, "smidig": 2.0, "smidigt": 2.0, "enkelt": 1.5, "enkel": 1.5,
        "grei": 1.5, "greit": 1.5, "greie": 1.5, "hjelpsom": 2.2, "hjelpsomt": 2.2, "hjelpsomme": 2.2,
        "fungerer": 1.5, "fungerte": 1.5, "fungert": 1.5, "virker": 1.5, "virket": 1.5,
        "imøtekommende": 2.2, "kunnskapsrik": 2.0, "kunnskapsrike": 2.0, "flink": 2.0, "flinke": 2.0,
        "kjempehyggelig": 3.0, "kjempefornøyd": 3.0, "kjempebra": 3.2, "kjempegrei": 3.0, "supert": 3.0,
        "elendig": -3.0, "elendige": -3.0, "håpløst": -2.5, "håpløs": -2.5, "katastrofe": -3.0,
        "misfornøyd": -2.5, "overfakturert": -2.5, "vanskelig": -1.5, "vanskelige": -1.5, "bra": 3.0,
    },
    "da": {
        "dyr": -1.8, "dyrt": -1.8, "dyre": -1.8, "dyrere": -2.0,
        "fejl": -2.0, "fejlagtig": -2.0, "forkert": -2.0, "forkerte": -2.0,
        "besværlig": -2.0, "besværligt": -2.0, "bøvl": -2.0, "bøvlet": -2.0, "langsom": -1.5, "langsomt": -1.5,
        "defekt": -2.0, "defekte": -2.0, "urimelig": -2.0, "urimeligt": -2.0, "uhøflig": -2.5, "uforskammet": -3.0,
        "hurtig": 1.8, "hurtigt": 1.8, "hurtige": 1.8, "smidig": 2.0, "smidigt": 2.0, "nemt": 1.5, "nem": 1.5,
        "hjælpsom": 2.2, "hjælpsomme": 2.2, "hjælpsomt": 2.2, "imødekommende": 2.2, "kyndig": 2.0,
        "kyndige": 2.0, "flink": 2.0, "flinke": 2.0, "tilfreds": 2.0, "utilfreds": -2.5,
        "elendig": -3.0, "elendige": -3.0, "håbløst": -2.5, "håbløs": -2.5, "svær": -1.0, "svære": -1.0,
        "svært": -1.0, "overfaktureret": -2.5, "lyve": -2.0, "løj": -2.0, "virker": 1.5, "virkede": 1.5,
        "virket": 1.5, "fungerer": 1.5,
        "fungerede": 1.5,
    },
    "en": {
        "overcharged": -2.0, "overcharging": -2.0, "overpriced": -2.0, "expensive": -1.2, "pricey": -1.0,
        "slow": -1.2, "slowly": -1.0, "sluggish": -1.5, "quick": 1.5, "quickly": 1.5, "fast": 1.2,
        "smoothly": 1.8, "smooth": 1.5, "easy": 1.5, "knowledgeable": 2.0, "accommodating": 2.0,
        "wrong": -2.0, "broken": -2.0, "buggy": -2.0, "confusing": -1.5, "unreliable": -2.0,
        "ridiculous": -2.0, "nightmare": -2.5, "rude": -2.5, "unhelpful": -2.0, "useless": -2.5,
        "drops": -1.0, "dropped": -1.0, "crashing": -2.0, "crashes": -2.0,
        "works": 1.0, "worked": 1.0, "working": 1.0,
    },
}  # fmt: skip

# Entries of asent's (machine-translated) lexicons that are ordinary words in a customer comment: verbs such as
# Norwegian "har", "fikk", "tok", Swedish "håller", "vet", "ringde", and topic words such as "pris" (price, not
# prize). They get no valence.
NEUTRAL: dict[str, frozenset[str]] = {
    "sv": _words("""
        pris priset priser typ haft har hade stor större störst höll håller håll steg fast ja ny nya nytt vet veta
        ringde ringa liv m at be ber bo bor kon kar syn vikt tro tur lov dra drar kvalitet kvaliteten
        """),
    "nb": _words("""
        som ha har hadde fikk få får tok tatt mot nå når vil saken sak klar kamp vant opplyser stor dele delt egen
        lag regn bryt bero ønsker lik late sta slet tro kvalitet kvaliteten
        """),
    "da": _words("ha har fik får so rig hid nå når imod bort steg klar ja tro kvalitet kvaliteten"),
    "en": frozenset({"quality"}),
}

# Emoji that asent's emoji lexicon scores 0.
EMOJI_SUPPLEMENT = {"👍": 2.0, "👎": -2.0, "😡": -3.0, "🤬": -3.5, "😤": -2.0, "💩": -2.5, "🙁": -2.0, "☹": -2.0}

# Multi-word expressions of customer service, scored as one unit on the last word (before negation, so that
# "ingen ringde tillbaka" is negative).
PHRASES: dict[str, dict[str, float]] = {
    "sv": {
        "aldrig igen": -2.5, "dök aldrig upp": -2.0, "dök inte upp": -2.0, "ringde tillbaka": 1.5,
        "ringde upp": 1.5, "hörde av sig": 1.5, "återkom": 1.0, "ligger nere": -2.0, "låg nere": -2.0,
    },
    "nb": {
        "aldri igjen": -2.5, "dukket aldri opp": -2.0, "dukket ikke opp": -2.0, "ringte tilbake": 1.5,
        "ga beskjed": 1.0, "tok kontakt": 1.0, "faller ut": -1.5, "falt ut": -1.5, "ligger nede": -2.0,
        "lå nede": -2.0,
    },
    "da": {
        "aldrig igen": -2.5, "dukkede aldrig op": -2.0, "dukkede ikke op": -2.0, "ringede tilbage": 1.5,
        "gav besked": 1.0, "tog kontakt": 1.0, "falder ud": -1.5, "faldt ud": -1.5, "ligger nede": -2.0,
        "lå nede": -2.0,
    },
    "en": {
        "never again": -2.5, "never showed up": -2.0, "called back": 1.5, "called me back": 1.5,
        "got back to me": 1.5, "drops out": -1.5, "dropped out": -1.5, "keeps dropping": -2.0,
    },
}  # fmt: skip

# "The problem was solved": a clause with a (not negated) solving verb does not count its problem words against
# the comment.
PROBLEM_WORDS: dict[str, frozenset[str]] = {
    "sv": _words(
        "problem problemet problemen fel felet felen strul strulet krånglet störning störningen "
        "störningar avbrott avbrottet"
    ),
    "nb": _words("problem problemet problemene problemer feil feilen trøbbel trøbbelet brudd bruddet"),
    "da": _words("problem problemet problemer problemerne fejl fejlen bøvl bøvlet afbrydelse nedbrud"),
    "en": _words("problem problems issue issues fault faults error errors outage bug bugs"),
}
RESOLVERS: dict[str, dict[str, float]] = {
    "sv": dict.fromkeys(
        _words(
            "löst löste löstes åtgärdat åtgärdade åtgärdades fixat fixade fixades rättat rättades "
            "ordnat ordnade ordnades"
        ),
        1.5,
    ),
    "nb": dict.fromkeys(_words("løst løste fikset fikset ordnet rettet"), 1.5),
    "da": dict.fromkeys(_words("løst løste fikset ordnet ordnede rettet"), 1.5),
    "en": dict.fromkeys(_words("fixed solved resolved sorted"), 1.5),
}

EXTRA_NEGATIONS: dict[str, frozenset[str]] = {
    "sv": frozenset({"inga", "inget", "ej", "icke"}),
    "nb": frozenset({"aldri", "ikkje", "intet", "ingenting", "verken", "uten"}),
    "da": frozenset({"intet", "ingenting", "hverken", "uden"}),
    "en": frozenset({"no", "nobody"}),
}

CONTRASTIVE: dict[str, frozenset[str]] = {
    "sv": frozenset({"men", "dock", "däremot", "emellertid"}),
    "nb": frozenset({"men", "dog", "derimot", "imidlertid", "likevel"}),
    "da": frozenset({"men", "dog", "derimod", "imidlertid", "alligevel"}),
    "en": frozenset({"but", "however", "though", "although", "whereas"}),
}

_ASENT_MODULE = {"sv": "sv", "nb": "no", "da": "da", "en": "en"}


@dataclass(frozen=True)
class Resources:
    lexicon: dict[str, float]
    negations: frozenset[str]
    intensifiers: dict[str, float]
    contrastive: frozenset[str]
    phrases: dict[str, list[tuple[tuple[str, ...], float]]]  # first word -> (words, valence), longest first
    problems: frozenset[str]
    resolvers: frozenset[str]
    neutral: frozenset[str]


@cache
def resources(language: str) -> Resources:
    """Return the sentiment resources of one analysed language (loaded once per process)."""
    import importlib

    from asent.lang.emoji import LEXICON as EMOJI

    module = importlib.import_module(f"asent.lang.{_ASENT_MODULE[language]}")
    if language == "da":
        from asent.utils import lexicons

        base = lexicons.get("lexicon_da_afinn_v1")
    else:
        base = module.LEXICON
    negations = frozenset(n.lower() for n in module.NEGATIONS) | EXTRA_NEGATIONS[language]
    lexicon = {**EMOJI, **EMOJI_SUPPLEMENT, **{k.lower(): v for k, v in base.items()}}
    lexicon.update(SUPPLEMENT[language])
    lexicon.update(RESOLVERS[language])
    for word in NEUTRAL[language]:
        lexicon.pop(word, None)
    # A negation carries no valence of its own (VADER scores "no" -1.2, so "no problems" would stay negative).
    lexicon = {k: v for k, v in lexicon.items() if v and k not in negations}
    intensifiers = {k.strip().lower(): v for k, v in module.INTENSIFIERS.items() if " " not in k.strip()}
    contrastive = frozenset(getattr(module, "CONTRASTIVE_CONJ", ())) | CONTRASTIVE[language]
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for phrase, valence in PHRASES[language].items():
        words = tuple(phrase.split())
        phrases.setdefault(words[0], []).append((words, valence))
    for entries in phrases.values():
        entries.sort(key=lambda e: -len(e[0]))
    return Resources(
        lexicon=lexicon,
        negations=negations,
        intensifiers=intensifiers,
        contrastive=contrastive,
        phrases=phrases,
        problems=PROBLEM_WORDS[language],
        resolvers=frozenset(RESOLVERS[language]),
        neutral=NEUTRAL[language],
    )
