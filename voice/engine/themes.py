"""Match comments to the themes of a taxonomy on lemmas (pure Python, no Django).

Keywords and example phrases are given per language and lemmatized at compile time with the same lemmatizer as the
comments, so "fakturan", "fakturaen", "regningen" and "the invoices" meet "faktura", "regning" and "invoice".

- A one-word keyword matches a lemma equal to it. A keyword ending in "*" matches lemmas starting with it.
- Swedish, Norwegian and Danish compounds: a keyword lemma of at least COMPOUND_MIN letters also matches a lemma
  that ends with it, or whose tail lemmatizes to it ("mobilfakturan" -> "faktura", "väntetiden" -> "väntetid").
- A keyword of several words matches the same contiguous lemmas; an example phrase matches its lemmas without stop
  words, contiguous in the comment's lemmas without stop words.
- A sub-theme's match is also its parent's (with the same matched terms), up the tree.

Compiled into dictionaries and sets; matching a comment is a few lookups per lemma, whatever the taxonomy's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from voice.engine.lemmas import ANALYSED, STOPWORDS, lemma, lemmas, tokens

COMPOUND_LANGUAGES = frozenset({"sv", "nb", "da"})
COMPOUND_MIN = 5  # letters of a keyword lemma that may end a compound
_HEAD_MIN = 2  # letters a compound's first part keeps at least


@dataclass(frozen=True)
class ThemeSpec:
    id: int
    parent_id: int | None
    keywords: dict[str, list[str]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)


Hit = tuple[int, str]  # (theme id, term as written in the taxonomy)


@dataclass
class _LanguageIndex:
    exact: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    compound: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    prefixes: dict[int, dict[str, list[Hit]]] = field(default_factory=dict)  # length -> prefix -> hits
    phrases: dict[str, list[tuple[tuple[str, ...], Hit]]] = field(default_factory=lambda: defaultdict(list))
    examples: dict[str, list[tuple[tuple[str, ...], Hit]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class CompiledTaxonomy:
    ancestors: dict[int, tuple[int, ...]]  # theme id -> its parent, grandparent...
    languages: dict[str, _LanguageIndex]

    @property
    def theme_ids(self) -> frozenset[int]:
        return frozenset(self.ancestors)


def _ancestors(specs: list[ThemeSpec]) -> dict[int, tuple[int, ...]]:
    parent = {s.id: s.parent_id for s in specs}
    out = {}
    for spec in specs:
        chain: list[int] = []
        current = spec.parent_id
        while current is not None and current in parent and current not in chain and current != spec.id:
            chain.append(current)
            current = parent[current]
        out[spec.id] = tuple(chain)
    return out


def compile_taxonomy(specs: list[ThemeSpec]) -> CompiledTaxonomy:
    """Compile theme specs into lookup tables per language."""
    languages: dict[str, _LanguageIndex] = {}
    for spec in specs:
        for language, terms in (spec.keywords or {}).items():
            index = languages.setdefault(language, _LanguageIndex())
            for raw in terms or ():
                term = " ".join(raw.lower().split())
                if not term:
                    continue
                hit = (spec.id, term)
                if term.endswith("*"):
                    stem = term[:-1].strip()
                    if stem:
                        index.prefixes.setdefault(len(stem), defaultdict(list))[stem].append(hit)
                    continue
                words = lemmas(term, language)
                if not words:
                    continue
                if len(words) == 1:
                    # The lemmatizer may read a lone keyword differently from the same word in a sentence
                    # (simplemma: "tekniker" -> "teknik", "teknikern" -> "tekniker"): index both forms.
                    for form in dict.fromkeys((words[0], *tokens(term))):
                        index.exact[form].append(hit)
                        if language in COMPOUND_LANGUAGES and len(form) >= COMPOUND_MIN:
                            index.compound[form].append(hit)
                else:
                    index.phrases[words[0]].append((tuple(words), hit))
        for language, phrases in (spec.examples or {}).items():
            index = languages.setdefault(language, _LanguageIndex())
            stop = _stop_lemmas(language)
            for raw in phrases or ():
                term = " ".join(raw.lower().split())
                words = [w for w in lemmas(term, language) if w not in stop]
                if words:
                    index.examples[words[0]].append((tuple(words), (spec.id, term)))
    return CompiledTaxonomy(ancestors=_ancestors(specs), languages=languages)


@lru_cache(maxsize=8)
def _stop_lemmas(language: str) -> frozenset[str]:
    """Stop words and their lemmas ("helt" is a stop word, its lemma "hel" too)."""
    words = STOPWORDS.get(language, frozenset())
    if language not in ANALYSED:
        return words
    return words | {lemma(w, language) for w in words}


@lru_cache(maxsize=100_000)
def _tails(word: str, language: str) -> tuple[str, ...]:
    """The endings of a compound (at least COMPOUND_MIN letters) and their lemmas, longest first."""
    out: list[str] = []
    for i in range(_HEAD_MIN, len(word) - COMPOUND_MIN + 1):
        tail = word[i:]
        out.append(tail)
        base = lemma(tail, language)
        if base != tail and len(base) >= COMPOUND_MIN:
            out.append(base)
    return tuple(dict.fromkeys(out))


def _sequence_hits(seq: list[str], table: dict[str, list[tuple[tuple[str, ...], Hit]]]) -> list[Hit]:
    found = []
    n = len(seq)
    for i, word in enumerate(seq):
        for words, hit in table.get(word, ()):
            k = len(words)
            if i + k <= n and tuple(seq[i : i + k]) == words:
                found.append(hit)
    return found


def match_themes(text_lemmas: list[str], language: str, taxonomy: CompiledTaxonomy | None) -> dict[int, list[str]]:
    """Return {theme id: matched terms} for a comment's lemmas; a sub-theme's match is also its parent's."""
    if taxonomy is None or not text_lemmas:
        return {}
    index = taxonomy.languages.get(language)
    if index is None:
        return {}
    hits: list[Hit] = []
    compounds = language in COMPOUND_LANGUAGES and index.compound
    for word in text_lemmas:
        found = index.exact.get(word)
        if found:
            hits.extend(found)
        elif compounds and len(word) > COMPOUND_MIN:
            for tail in _tails(word, language):
                found = index.compound.get(tail)
                if found:
                    hits.extend(found)
                    break
        for length, table in index.prefixes.items():
            if len(word) >= length:
                found = table.get(word[:length])
                if found:
                    hits.extend(found)
    if index.phrases:
        hits.extend(_sequence_hits(text_lemmas, index.phrases))
    if index.examples:
        stop = _stop_lemmas(language)
        hits.extend(_sequence_hits([w for w in text_lemmas if w not in stop], index.examples))
    result: dict[int, list[str]] = {}
    for theme_id, term in hits:
        for target in (theme_id, *taxonomy.ancestors.get(theme_id, ())):
            terms = result.setdefault(target, [])
            if term not in terms:
                terms.append(term)
    return result
