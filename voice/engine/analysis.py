"""One comment at a time or in batches: language, masking, sentiment, lemmas and themes (see voice.engine)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from core.masking import MASK, find_personal_data
from voice.engine.language import detect_language
from voice.engine.lemmas import ANALYSED, lemmas
from voice.engine.sentiment import NEUTRAL, SentimentResult, analyse_sentiment
from voice.engine.themes import CompiledTaxonomy, ThemeSpec, compile_taxonomy, match_themes

__all__ = [
    "CommentResult",
    "CompiledTaxonomy",
    "ThemeHit",
    "ThemeSpec",
    "analyse_comments",
    "compile_taxonomy",
    "retag_comment",
]


@dataclass
class ThemeHit:
    matched: list[str]
    sentiment: float | None


@dataclass
class CommentResult:
    language: str
    masked_text: str
    has_personal_data: bool
    sentiment: float
    sentiment_label: str
    sentences: list[dict] = field(default_factory=list)  # text, start, end, sentiment, label, drivers
    drivers: list[list] = field(default_factory=list)  # [[word, valence], ...] strongest first
    themes: dict[int, ThemeHit] = field(default_factory=dict)
    lemmas: list[str] = field(default_factory=list)


def _mask(text: str) -> tuple[str, bool]:
    found = find_personal_data(text)
    for item in reversed(found):
        text = text[: item.start] + MASK + text[item.end :]
    return text, bool(found)


def _sentence_dicts(result: SentimentResult) -> list[dict]:
    return [
        {
            "text": s.text,
            "start": s.start,
            "end": s.end,
            "sentiment": s.score,
            "label": s.label,
            "drivers": [[word, valence] for word, valence in s.drivers],
        }
        for s in result.sentences
    ]


def _themes(
    comment_lemmas: list[str],
    language: str,
    sentences: list[dict],
    score: float | None,
    taxonomy: CompiledTaxonomy | None,
) -> dict[int, ThemeHit]:
    """Match themes; a theme's sentiment is the mean of the sentences that mention it (else the comment's)."""
    matched = match_themes(comment_lemmas, language, taxonomy)
    if not matched:
        return {}
    per_sentence: dict[int, list[float]] = defaultdict(list)
    if len(sentences) > 1:
        for sentence in sentences:
            for theme_id in match_themes(lemmas(sentence["text"], language), language, taxonomy):
                per_sentence[theme_id].append(sentence["sentiment"])
    out = {}
    for theme_id, terms in matched.items():
        scores = per_sentence.get(theme_id)
        sentiment = round(sum(scores) / len(scores), 4) if scores else score
        out[theme_id] = ThemeHit(matched=terms, sentiment=sentiment)
    return out


def analyse_comments(
    items: list[tuple[str, str | None]], taxonomy: CompiledTaxonomy | None = None
) -> list[CommentResult]:
    """Analyse comments given as (raw text, language hint); the results are in the same order."""
    languages: list[str] = []
    masked: list[str] = []
    personal: list[bool] = []
    for text, hint in items:
        text = text or ""
        languages.append(detect_language(text, hint))
        masked_text, found = _mask(text)
        masked.append(masked_text)
        personal.append(found)

    by_language: dict[str, list[int]] = defaultdict(list)
    for i, language in enumerate(languages):
        by_language[language].append(i)
    sentiments: dict[int, SentimentResult] = {}
    for language, indices in by_language.items():
        for i, result in zip(indices, analyse_sentiment([masked[i] for i in indices], language), strict=True):
            sentiments[i] = result

    results = []
    for i, language in enumerate(languages):
        result = sentiments[i]
        comment_lemmas = lemmas(masked[i], language)
        sentences = _sentence_dicts(result)
        score = result.score if language in ANALYSED else 0.0
        results.append(
            CommentResult(
                language=language,
                masked_text=masked[i],
                has_personal_data=personal[i],
                sentiment=score,
                sentiment_label=result.label if language in ANALYSED else NEUTRAL,
                sentences=sentences,
                drivers=[[word, valence] for word, valence in result.drivers],
                themes=_themes(comment_lemmas, language, sentences, score, taxonomy),
                lemmas=comment_lemmas,
            )
        )
    return results


def retag_comment(
    masked_text: str,
    language: str,
    sentences: list[dict],
    taxonomy: CompiledTaxonomy | None,
    *,
    score: float | None = None,
) -> dict[int, ThemeHit]:
    """Match an analysed comment to a (changed) taxonomy again, reusing its stored sentences' sentiment.

    Pass the comment's stored `score` (CommentAnalysis.sentiment) to get exactly the themes' sentiment
    analyse_comments gives; without it the mean of the sentences stands in where no single sentence names the theme.
    """
    if score is None and sentences:
        score = round(sum(s.get("sentiment", 0.0) for s in sentences) / len(sentences), 4)
    return _themes(lemmas(masked_text or "", language), language, sentences or [], score, taxonomy)
