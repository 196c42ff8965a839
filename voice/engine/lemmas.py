"""Word tokens, lemmas and stop words for the analysed languages (pure Python, no Django).

A token is a run of letters and digits (with inner hyphens or apostrophes: "tv-boxen", "don't"), lowercased;
tokens without a letter (numbers, masked personal data) are dropped, so "5g" stays but "2024" does not. Lemmas come
from simplemma, cached per (word, language); for "other" the tokens are returned unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache

import simplemma
from spacy.lang.da.stop_words import STOP_WORDS as _DA
from spacy.lang.en.stop_words import STOP_WORDS as _EN
from spacy.lang.nb.stop_words import STOP_WORDS as _NB
from spacy.lang.sv.stop_words import STOP_WORDS as _SV

ANALYSED = ("sv", "nb", "da", "en")

STOPWORDS: dict[str, frozenset[str]] = {
    "sv": frozenset(_SV),
    "nb": frozenset(_NB),
    "da": frozenset(_DA),
    "en": frozenset(_EN),
    "other": frozenset(),
}

_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")


def tokens(text: str, language: str | None = None) -> list[str]:
    """Return the lowercase word tokens of `text` (numbers dropped). `language` is accepted for symmetry."""
    if not text:
        return []
    return [t for t in _TOKEN.findall(text.lower()) if t.isalpha() or _LETTER.search(t)]


@lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """Return the lowercase lemma of one lowercase word (the word itself for "other" or an unknown word)."""
    if language not in ANALYSED:
        return word
    try:
        return simplemma.lemmatize(word, lang=language).lower()
    except ValueError:  # simplemma refuses some odd inputs; keep the word
        return word


def lemmas(text: str, language: str) -> list[str]:
    """Return the lemmas of the tokens of `text` in order ("other": the tokens unchanged)."""
    words = tokens(text, language)
    if language not in ANALYSED:
        return words
    return [lemma(w, language) for w in words]
