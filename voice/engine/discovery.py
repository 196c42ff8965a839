"""Propose new themes from the comments that no existing theme matched (TF-IDF + NMF, one language at a time).

How it works, and why each guard is there:

1. Clean the lemmas of each comment: drop the language's stopwords (spaCy's list plus the simplemma lemmas of its
   words, since the input is lemmatised), tokens shorter than three characters and anything with a digit.
2. Compounds: a word that starts or ends with another frequent word of at least five letters also counts as that
   word ("parkeringsplats", "parkeringsavgift", "handikapparkering" -> "parkering"), so NMF sees one topic in the
   many compounds Swedish, Norwegian and Danish write it with. Coherence (6b) ignores these added words.
3. Vocabulary: a term must occur in at least ``max(3, min_docs // 5)`` comments (a theme of ``min_docs`` comments
   names itself with words many of them share; rarer words only add noise and time) and in at most half of them
   (a word in most unmatched comments is filler, not a theme). At most ``MAX_FEATURES`` terms, most frequent first.
   TF-IDF with sublinear term frequency, rows L2-normalised.
4. NMF (``init="nndsvda"``, deterministic for a given ``random_state``) with a few numbers of components,
   ``max(max_themes, 8)`` and twice and three times that: a small theme only gets a component of its own when there
   are enough of them; a large one is found whole with few. Each comment is assigned to its dominant component when
   that weight is at least ``DOMINANCE`` times its second-highest weight; others stay unassigned.
5. Within one NMF run, components whose top terms overlap (same top term, or two of their top five) are merged.
6. A component is kept only if
   (a) at least ``min_docs`` comments are assigned to it (default ``max(5, 2 % of the comments)``),
   (b) its top terms really co-occur: see :func:`_coherence` (a conservative co-occurrence lift of the top five
       terms over all comments, not only the assigned ones, so the assignment cannot flatter it); it must reach
       ``MIN_COHERENCE``. Random words never do: on structureless text the lift stays near 1, whatever NMF picked.
7. The same theme found in several runs (overlapping top terms, or mostly the same comments) is proposed once, in its
   most coherent version. A group of such variants is dropped entirely when any of them is *covered*: at least two of
   its top three terms are in ``known_terms`` (keywords of existing themes) or ``rejected_terms`` (terms of proposals
   a CX manager rejected), so a rejected proposal does not come back under a slightly different name.
8. The ``max_themes`` largest are returned, largest first.

Pure Python (numpy, scipy, scikit-learn, spaCy's stopword lists, simplemma); no Django and nothing downloaded.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from threadpoolctl import threadpool_limits

MIN_TOKEN_LENGTH = 3
MIN_PART_LENGTH = 5  # shortest word recognised as the first or last part of a compound
MIN_REST_LENGTH = 3  # shortest remainder of the compound beside that part
MAX_DF_SHARE = 0.5
MAX_FEATURES = 8000
DOMINANCE = 1.5  # dominant component weight / second-highest weight needed to assign a comment
TOP_TERMS = 8  # terms reported per theme
COHERENCE_TERMS = 5  # top terms whose co-occurrence is measured (and compared for overlap)
MIN_COHERENCE = 3.0  # see _coherence
MAX_EXAMPLES = 5
NMF_MAX_ITER = 300
NMF_TOL = 1e-3  # good enough to rank terms and assign comments; 1e-4 took three times as long
MIN_BASE_COMPONENTS = 8

_SPACY_LANGUAGE = {"sv": "sv", "nb": "nb", "da": "da", "en": "en"}


@dataclass(frozen=True)
class DiscoveredTheme:
    label: str  # suggested name: the top two or three terms, e.g. "parkering / full / parkeringsplats"
    terms: list[str]  # top terms (lemmas), most characteristic first
    example_ids: list[int]  # ids of the comments that best represent it (up to 5), best first
    size: int  # comments assigned to it
    coherence: float  # conservative co-occurrence lift of the top five terms (see _coherence); >= MIN_COHERENCE


@dataclass
class _Candidate:
    weights: np.ndarray  # term weights (NMF component row, summed when merged)
    rows: np.ndarray  # indices of the assigned comments
    scores: np.ndarray  # their NMF weight on this candidate, same order as rows
    top: list[int] = field(default_factory=list)  # term indices, strongest first
    coherence: float = 0.0


@cache
def stopwords(language: str) -> frozenset[str]:
    """Return the stopwords of a language as lemmas and surface forms (empty for unknown languages)."""
    code = _SPACY_LANGUAGE.get(language)
    if code is None:
        return frozenset()
    words = set(importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS)
    import simplemma

    words |= {simplemma.lemmatize(word, lang=code).lower() for word in words}
    return frozenset(words)


def discover_themes(
    docs: list[tuple[int, list[str]]],
    *,
    language: str,
    known_terms: set[str] | frozenset[str] = frozenset(),
    rejected_terms: set[str] | frozenset[str] = frozenset(),
    max_themes: int = 8,
    min_docs: int | None = None,
    random_state: int = 0,
) -> list[DiscoveredTheme]:
    """Propose themes from ``(id, lemmas)`` of comments no theme matched; ``[]`` when nothing stands out."""
    if min_docs is None:
        min_docs = max(5, math.ceil(0.02 * len(docs)))
    if len(docs) < min_docs or max_themes < 1:
        return []
    stop = stopwords(language)
    cleaned = _clean_all(docs, stop)
    built = _tfidf(cleaned, min_df=max(3, min_docs // 5))
    if built is None:
        return []
    matrix, incidence, vocabulary = built
    doc_freq = np.asarray(incidence.sum(axis=0)).ravel()

    found: list[_Candidate] = []
    for n_components in _component_counts(max_themes, *matrix.shape):
        # One BLAS thread: these matrices are small, and on a busy machine (workers side by side) spinning BLAS
        # threads made NMF's SVD start several times slower, not faster.
        with threadpool_limits(limits=1):
            raw = _nmf_candidates(matrix, n_components, random_state)
        candidates = _merge_overlapping(raw)
        for candidate in candidates:
            if len(candidate.rows) < min_docs:
                continue
            candidate.coherence = _coherence(incidence, doc_freq, candidate.top[:COHERENCE_TERMS])
            if candidate.coherence >= MIN_COHERENCE:
                found.append(candidate)

    blocked = _normalise_terms(known_terms) | _normalise_terms(rejected_terms)
    kept = [
        group[0]
        for group in _group_variants(found)
        if not any(_covered(variant, vocabulary, blocked) for variant in group)
    ]
    kept.sort(key=lambda c: (-len(c.rows), -c.coherence))
    ids = [doc_id for doc_id, _ in docs]
    return [_theme(c, vocabulary, ids) for c in kept[:max_themes]]


def _clean_all(docs: list[tuple[int, list[str]]], stop: frozenset[str]) -> list[list[str]]:
    verdicts: dict[str, str | None] = {}  # the same few thousand words recur: judge each once
    cleaned = []
    for _, lemmas in docs:
        kept = []
        for raw in lemmas:
            if raw not in verdicts:
                verdicts[raw] = _usable(raw.lower(), stop)
            term = verdicts[raw]
            if term is not None:
                kept.append(term)
        cleaned.append(kept)
    return cleaned


def _usable(term: str, stop: frozenset[str]) -> str | None:
    if (
        len(term) >= MIN_TOKEN_LENGTH
        and term not in stop
        and any(ch.isalpha() for ch in term)
        and not any(ch.isdigit() for ch in term)
    ):
        return term
    return None


def _tfidf(cleaned: list[list[str]], *, min_df: int) -> tuple[sp.csr_matrix, sp.csc_matrix, list[str]] | None:
    """Return the TF-IDF matrix (with compound parts), the plain term incidence and the vocabulary, or None."""
    glued = _with_compound_parts(cleaned, min_df=min_df)
    doc_freq = Counter(term for terms in glued for term in set(terms))
    max_df = MAX_DF_SHARE * len(cleaned)
    eligible = [(-n, term) for term, n in doc_freq.items() if min_df <= n <= max_df]
    if not eligible:
        return None
    vocabulary = [term for _, term in sorted(eligible)[:MAX_FEATURES]]
    index = {term: i for i, term in enumerate(vocabulary)}
    counts = TfidfTransformer(sublinear_tf=True).fit_transform(_count_matrix(glued, index))
    # Coherence is measured on the words as written: a compound always "co-occurs" with its own parts.
    incidence = (_count_matrix(cleaned, index) > 0).astype(np.float64).tocsc()
    return counts.tocsr(), incidence, vocabulary


def _count_matrix(docs: list[list[str]], index: dict[str, int]) -> sp.csr_matrix:
    rows, cols, values = [], [], []
    for row, terms in enumerate(docs):
        for term, count in Counter(t for t in terms if t in index).items():
            rows.append(row)
            cols.append(index[term])
            values.append(count)
    return sp.csr_matrix((values, (rows, cols)), shape=(len(docs), len(index)), dtype=np.float64)


def _with_compound_parts(cleaned: list[list[str]], *, min_df: int) -> list[list[str]]:
    """Add to each comment the frequent words its compounds start or end with.

    Swedish, Norwegian and Danish write one idea in many compounds ("parkeringsplats", "parkeringsavgift",
    "handikapparkering"); adding "parkering" to such comments lets NMF see them as one topic.
    """
    doc_freq = Counter(term for terms in cleaned for term in set(terms))
    words = {term for term, n in doc_freq.items() if n >= min_df and len(term) >= MIN_PART_LENGTH}
    parts_of: dict[str, list[str]] = {}
    for term in doc_freq:
        parts = []
        for cut in range(len(term) - MIN_REST_LENGTH, MIN_PART_LENGTH - 1, -1):  # longest known first part
            if term[:cut] in words:
                parts.append(term[:cut])
                break
        for cut in range(MIN_REST_LENGTH, len(term) - MIN_PART_LENGTH + 1):  # longest known last part
            if term[cut:] in words:
                parts.append(term[cut:])
                break
        if parts:
            parts_of[term] = parts
    if not parts_of:
        return cleaned
    return [terms + [part for term in terms for part in parts_of.get(term, ())] for terms in cleaned]


def _component_counts(max_themes: int, n_docs: int, n_terms: int) -> list[int]:
    # Asking for fewer themes must not starve NMF: a theme among noise needs components of its own.
    base = max(max_themes, MIN_BASE_COMPONENTS)
    limit = min(n_docs, n_terms)
    return sorted({min(limit, base * factor) for factor in (1, 2, 3)})


def _nmf_candidates(matrix: sp.csr_matrix, n_components: int, random_state: int) -> list[_Candidate]:
    model = NMF(
        n_components=n_components, init="nndsvda", random_state=random_state, max_iter=NMF_MAX_ITER, tol=NMF_TOL
    )
    with warnings.catch_warnings():
        # Good enough for ranking terms and assigning comments long before full convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        doc_weights = model.fit_transform(matrix)
    components = model.components_
    ordered = np.sort(doc_weights, axis=1)
    best = ordered[:, -1]
    second = ordered[:, -2] if n_components > 1 else np.zeros_like(best)
    dominant = doc_weights.argmax(axis=1)
    clear = (best > 0) & (best >= DOMINANCE * second)
    candidates = []
    for component in range(n_components):
        rows = np.flatnonzero(clear & (dominant == component))
        candidate = _Candidate(weights=components[component], rows=rows, scores=doc_weights[rows, component])
        candidate.top = _top_terms(candidate.weights)
        candidates.append(candidate)
    return candidates


def _top_terms(weights: np.ndarray) -> list[int]:
    order = np.argsort(-weights, kind="stable")[:TOP_TERMS]
    return [int(i) for i in order if weights[i] > 0]


def _terms_overlap(a: _Candidate, b: _Candidate) -> bool:
    if not a.top or not b.top:
        return False
    shared = set(a.top[:COHERENCE_TERMS]) & set(b.top[:COHERENCE_TERMS])
    return a.top[0] == b.top[0] or len(shared) >= 2


def _merge_overlapping(candidates: list[_Candidate]) -> list[_Candidate]:
    """Merge components of one NMF run that describe the same theme (their comments are disjoint)."""
    merged: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: -len(c.rows)):
        target = next((m for m in merged if _terms_overlap(m, candidate)), None)
        if target is None:
            merged.append(candidate)
            continue
        scale_target, scale_new = target.weights.max(), candidate.weights.max()
        if scale_target > 0 and scale_new > 0:
            target.weights = target.weights / scale_target + candidate.weights / scale_new
        target.rows = np.concatenate([target.rows, candidate.rows])
        target.scores = np.concatenate([target.scores, candidate.scores])
        target.top = _top_terms(target.weights)
    return merged


def _coherence(incidence: sp.csc_matrix, doc_freq: np.ndarray, terms: list[int]) -> float:
    """Return how many times more often than chance the top terms share a comment, as a lower bound.

    Over all comments: observed = the term pairs found together, summed over comments; expected = the same sum if
    the terms were scattered independently (sum over pairs of df_i * df_j / n). Before dividing, observed is lowered
    by two standard errors of that sum (the root of the summed squares of each comment's pairs), so neither a
    couple of chance meetings of rare words nor one long comment holding all five terms makes a high ratio. Pairs
    of synonyms that never meet do not sink the score as they would in a mean of NPMI. On structureless text of
    60 to 20,000 comments the terms NMF picks score below 2; planted topics of 2 % or more score 7 to 40.
    """
    if len(terms) < 2:
        return 0.0
    in_doc = np.asarray(incidence[:, terms].sum(axis=1)).ravel()
    pairs = in_doc * (in_doc - 1) / 2
    observed = float(pairs.sum())
    spread = math.sqrt(float((pairs**2).sum()))
    freq = doc_freq[terms]
    expected = float((freq.sum() ** 2 - (freq**2).sum()) / 2 / incidence.shape[0])
    if expected <= 0:
        return 0.0
    return round(max(0.0, observed - 2 * spread) / expected, 3)


def _group_variants(found: list[_Candidate]) -> list[list[_Candidate]]:
    """Group the versions of one theme found by different runs, each group's most coherent version first."""
    groups: list[list[_Candidate]] = []
    for candidate in sorted(found, key=lambda c: (-c.coherence, -len(c.rows))):
        group = next((g for g in groups if any(_same_theme(member, candidate) for member in g)), None)
        if group is None:
            groups.append([candidate])
        else:
            group.append(candidate)
    return groups


def _same_theme(a: _Candidate, b: _Candidate) -> bool:
    if _terms_overlap(a, b):
        return True
    shared = len(np.intersect1d(a.rows, b.rows, assume_unique=True))
    return shared >= 0.5 * min(len(a.rows), len(b.rows))


def _normalise_terms(terms: set[str] | frozenset[str]) -> set[str]:
    """Lowercase; a multi-word keyword also blocks each of its words."""
    normalised = set()
    for term in terms:
        lowered = term.lower().strip()
        normalised.add(lowered)
        normalised.update(lowered.split())
    return normalised


def _covered(candidate: _Candidate, vocabulary: list[str], blocked: set[str]) -> bool:
    """Whether most of the top three terms are keywords of existing themes or of rejected proposals."""
    top3 = [vocabulary[i] for i in candidate.top[:3]]
    return sum(term in blocked for term in top3) >= 2


def _theme(candidate: _Candidate, vocabulary: list[str], ids: list[int]) -> DiscoveredTheme:
    terms = [vocabulary[i] for i in candidate.top]
    strongest = candidate.weights[candidate.top[0]]
    # Two or three terms: the third only when it carries a fair share of the first one's weight.
    label_terms = terms[:2] + [vocabulary[i] for i in candidate.top[2:3] if candidate.weights[i] >= 0.4 * strongest]
    order = sorted(range(len(candidate.rows)), key=lambda i: (-candidate.scores[i], ids[candidate.rows[i]]))
    return DiscoveredTheme(
        label=" / ".join(label_terms)[:120],
        terms=terms,
        example_ids=[ids[candidate.rows[i]] for i in order[:MAX_EXAMPLES]],
        size=len(candidate.rows),
        coherence=candidate.coherence,
    )
