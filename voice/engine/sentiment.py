"""Sentiment of comments: a score in [-1, 1], a label and the words that drove it (pure Python, no Django).

The scoring is asent's (the VADER rules, Hutto and Gilbert 2014) with asent's lexicons, negations and intensifiers
(voice.engine.lexicon, plus a customer-service supplement), computed here rather than through asent's spaCy
component, for two reasons:
- asent registers its getters as process-wide spaCy extensions, so in a process that loads the Swedish and the
  English pipelines, the last one loaded scores every document: Swedish comments were read with the English
  lexicon (all neutral). One process must analyse four languages;
- building spaCy docs and asent's pydantic objects per token costs more than the whole analysis budget
  (1,500 comments/s in one process).

Per token: its lexicon valence (the lowercase word, else its lemma), ALL-CAPS emphasis, intensifiers among the three
preceding tokens (weighted 1, 0.95, 0.9) and negation (a negation among the three preceding tokens multiplies by
-0.74). Per sentence: the part after the first contrastive conjunction ("men", "but", "dock", ...) weighs 1.5, the
part before 0.5; "!" and "?" add emphasis; the sum is normalised x / sqrt(x² + 15). A comment's score is the mean of
its sentences' scores (asent's document compound).

Two refinements over asent: negation and intensifier look-back stop at a clause boundary (a comma, semicolon,
colon or contrastive conjunction), so "inte dyrt men bra" does not negate "bra"; and each sentence is split into
clauses at contrastive conjunctions and semicolons. Those clauses are the `sentences` of a result (the unit a theme
gets its sentiment from). A comment, or a clause, is "mixed" when one part of it (clauses, further split at commas)
scores at least +CLEAR and another at most -CLEAR; otherwise positive (score >= 0.05), negative (<= -0.05) or
neutral. Drivers are the words with a valence, with their negation or intensifier ("inte bra"), strongest first.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

from voice.engine.lemmas import ANALYSED, lemma
from voice.engine.lexicon import Resources, resources

POSITIVE = "positive"
NEGATIVE = "negative"
NEUTRAL = "neutral"
MIXED = "mixed"

THRESHOLD = 0.05  # asent's (VADER's) usual cut-off for a positive or negative compound
CLEAR = 0.25  # a part at least this far from 0 is clearly positive or negative (one ordinary word: about 0.4)

NEGATION_SCALAR = -0.74
CAPS_INCREMENT = 0.733
LOOKBACK_WEIGHTS = (1.0, 0.95, 0.9)
BEFORE_BUT, AFTER_BUT = 0.5, 1.5
ALPHA = 15

_TOKEN = re.compile(
    r"(?P<emo>(?<!\w)[:;=][\-o'^]?[)(\]\[dDpP/\\|*](?!\w)|<3)"
    r"|(?P<word>[^\W_]+(?:['’\-][^\W_]+)*)"
    r"|(?P<sym>[^\w\s])"
)
_SENTENCE_END = frozenset(".!?…")
_CLAUSE_PUNCT = frozenset(",;:–—")
_SPLIT_PUNCT = frozenset(";")


@dataclass(slots=True)
class _Tok:
    text: str
    lower: str
    start: int
    end: int
    word: bool
    polarity: float = 0.0
    phrase_start: int = -1  # index of the first token of the driver phrase ("inte" in "inte bra")
    consumed: bool = False  # inside a multi-word expression scored on its last word


@dataclass
class SentenceSentiment:
    text: str
    start: int
    end: int
    score: float
    label: str
    drivers: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class SentimentResult:
    score: float
    label: str
    sentences: list[SentenceSentiment] = field(default_factory=list)
    drivers: list[tuple[str, float]] = field(default_factory=list)


def normalize(total: float) -> float:
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


def _emphasis(text: str) -> float:
    q = text.count("?")
    amp = 0.0
    if q > 1:
        amp += q * 0.18 if q <= 3 else 0.96
    amp += min(text.count("!"), 4) * 0.292
    return amp


def _compound(polarities: list[float], text: str) -> float:
    total = sum(polarities)
    if not total:
        return 0.0
    amp = _emphasis(text)
    return normalize(total + amp if total > 0 else total - amp)


def _tokenize(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        out.append(_Tok(t, t.lower(), m.start(), m.end(), m.lastgroup != "sym"))
    return out


def _sentences(text: str, toks: list[_Tok]) -> list[tuple[int, int]]:
    """Token ranges of the sentences: after sentence-final punctuation and at line breaks."""
    ranges = []
    start = 0
    n = len(toks)
    for i, tok in enumerate(toks):
        end_here = tok.text in _SENTENCE_END and (i + 1 == n or toks[i + 1].text not in _SENTENCE_END)
        if not end_here and i + 1 < n and "\n" in text[tok.end : toks[i + 1].start]:
            end_here = True
        if end_here:
            ranges.append((start, i + 1))
            start = i + 1
    if start < n:
        ranges.append((start, n))
    return ranges


def _phrase_at(toks: list[_Tok], i: int, hi: int, res: Resources) -> tuple[int, float] | None:
    """The (last index, valence) of a multi-word expression starting at token i, if any."""
    for words, valence in res.phrases.get(toks[i].lower, ()):
        end = i + len(words)
        if end <= hi and all(toks[i + k].lower == w for k, w in enumerate(words)):
            return end - 1, valence
    return None


def _score_tokens(toks: list[_Tok], lo: int, hi: int, res: Resources, language: str) -> None:
    """Set the polarity of each token of toks[lo:hi] (one sentence)."""
    lexicon, intensifiers, negations, contrastive = res.lexicon, res.intensifiers, res.negations, res.contrastive
    caps = any(t.text.isupper() for t in toks[lo:hi])
    boundary = lo  # clause start: look-back stops here
    clause_starts = [lo]
    pending: dict[int, float] = {}  # last token of a multi-word expression -> its valence
    phrase_first: dict[int, int] = {}
    for i in range(lo, hi):
        tok = toks[i]
        if tok.text in _CLAUSE_PUNCT:
            boundary = i + 1
            clause_starts.append(boundary)
            continue
        if not tok.word:
            if tok.lower in lexicon:  # emoji
                tok.polarity = lexicon[tok.lower]
                tok.phrase_start = i
            continue
        if tok.lower in contrastive:
            boundary = i
            clause_starts.append(boundary)
            continue
        if not tok.consumed and tok.lower in res.phrases:
            found = _phrase_at(toks, i, hi, res)
            if found:
                last, value = found
                for k in range(i, last):
                    toks[k].consumed = True
                pending[last] = value
                phrase_first[last] = i
                continue
        if i in pending:
            valence = pending[i]
            head = phrase_first[i]
        else:
            if tok.consumed or tok.lower in intensifiers or tok.lower in negations or tok.lower in res.neutral:
                continue
            word_valence = lexicon.get(tok.lower)
            valence = word_valence if word_valence is not None else lexicon.get(lemma(tok.lower, language), 0.0)
            if not valence:
                continue
            head = i
        if caps and tok.text.isupper() and len(tok.text) > 1:
            valence += CAPS_INCREMENT if valence > 0 else -CAPS_INCREMENT
        first = head
        for back, weight in enumerate(LOOKBACK_WEIGHTS, start=1):
            j = head - back
            if j < boundary:
                break
            boost = intensifiers.get(toks[j].lower, 0.0)
            if boost:
                if caps and toks[j].text.isupper():
                    boost += CAPS_INCREMENT
                boost *= weight
                valence = valence + boost if valence > 0 else valence - boost
                first = j
        for j in range(max(boundary, head - len(LOOKBACK_WEIGHTS)), head):
            if toks[j].lower in negations and not toks[j].consumed:
                valence *= NEGATION_SCALAR
                first = min(first, j)
                break
        tok.polarity = valence
        tok.phrase_start = first
    # "The problem was solved": problem words of a clause with a solving verb (not negated) do not count.
    clause_starts.append(hi)
    for a, b in itertools.pairwise(clause_starts):
        if any(toks[k].lower in res.resolvers and toks[k].polarity > 0 for k in range(a, b)):
            for k in range(a, b):
                if toks[k].lower in res.problems and toks[k].polarity < 0:
                    toks[k].polarity = 0.0


def _drivers(text: str, toks: list[_Tok], lo: int, hi: int) -> list[tuple[str, float]]:
    out = []
    for i in range(lo, hi):
        tok = toks[i]
        if tok.polarity:
            phrase = text[toks[tok.phrase_start].start : tok.end].lower()
            out.append((phrase, round(tok.polarity, 3)))
    out.sort(key=lambda d: -abs(d[1]))
    return out


def _parts(toks: list[_Tok], lo: int, hi: int, cut: frozenset[str], contrastive: frozenset[str], min_words: int):
    """Split toks[lo:hi] before contrastive conjunctions and after `cut` punctuation, when each side keeps at least
    `min_words` words (one for a conjunction)."""
    words_after = [0] * (hi - lo + 1)  # words in toks[i:hi]
    for i in range(hi - 1, lo - 1, -1):
        words_after[i - lo] = words_after[i - lo + 1] + toks[i].word
    cuts = [lo]
    words_since = 0
    for i in range(lo, hi):
        tok = toks[i]
        if tok.word:
            if words_since and tok.lower in contrastive and words_after[i - lo + 1]:
                cuts.append(i)
                words_since = 0
            words_since += 1
        elif words_since >= min_words and tok.text in cut and words_after[i - lo + 1] >= min_words:
            cuts.append(i + 1)
            words_since = 0
    cuts.append(hi)
    return [(a, b) for a, b in itertools.pairwise(cuts) if a < b]


def _label(score: float, part_scores: list[float]) -> str:
    if any(s >= CLEAR for s in part_scores) and any(s <= -CLEAR for s in part_scores):
        return MIXED
    if score >= THRESHOLD:
        return POSITIVE
    if score <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def _analyse_one(text: str, language: str, res: Resources) -> SentimentResult:
    toks = _tokenize(text)
    sentence_scores: list[float] = []
    units: list[SentenceSentiment] = []
    all_parts: list[float] = []
    for lo, hi in _sentences(text, toks):
        _score_tokens(toks, lo, hi, res, language)
        polarities = [t.polarity for t in toks[lo:hi]]
        but = next((i for i in range(lo, hi) if toks[i].word and toks[i].lower in res.contrastive), None)
        if but is not None:
            polarities = [p * (BEFORE_BUT if lo + k < but else AFTER_BUT) for k, p in enumerate(polarities)]
        sentence_text = text[toks[lo].start : toks[hi - 1].end]
        sentence_scores.append(_compound(polarities, sentence_text))
        for a, b in _parts(toks, lo, hi, _SPLIT_PUNCT, res.contrastive, 1):
            unit_text = text[toks[a].start : toks[b - 1].end]
            if not any(t.word or t.polarity for t in toks[a:b]):
                continue
            score = _compound([t.polarity for t in toks[a:b]], unit_text)
            part_scores = [
                _compound([t.polarity for t in toks[c:d]], text[toks[c].start : toks[d - 1].end])
                for c, d in _parts(toks, a, b, _CLAUSE_PUNCT, frozenset(), 2)
            ]
            all_parts.extend(part_scores)
            units.append(
                SentenceSentiment(
                    text=unit_text,
                    start=toks[a].start,
                    end=toks[b - 1].end,
                    score=round(score, 4),
                    label=_label(score, [score, *part_scores]),
                    drivers=_drivers(text, toks, a, b),
                )
            )
    score = sum(sentence_scores) / len(sentence_scores) if sentence_scores else 0.0
    drivers: list[tuple[str, float]] = []
    seen: set[str] = set()
    for word, valence in sorted((d for u in units for d in u.drivers), key=lambda d: -abs(d[1])):
        if word not in seen:
            seen.add(word)
            drivers.append((word, valence))
    unit_scores = [u.score for u in units]
    return SentimentResult(
        score=round(score, 4), label=_label(score, unit_scores + all_parts), sentences=units, drivers=drivers
    )


def analyse_sentiment(texts: list[str], language: str) -> list[SentimentResult]:
    """Return the sentiment of each text, all in `language` ("other": neutral, score 0, no drivers)."""
    if language not in ANALYSED:
        return [SentimentResult(score=0.0, label=NEUTRAL) for _ in texts]
    res = resources(language)
    return [_analyse_one(text or "", language, res) for text in texts]
