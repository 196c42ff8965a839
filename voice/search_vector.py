"""The full-text vector of each analysed comment, and the set-based writes of analysis results (PostgreSQL).

The vector is built in the comment's language's text-search configuration from the masked text and the lemmas of
its words that differ from the words (simplemma, voice.engine.lemmas): Snowball stemming alone leaves the Swedish
definite "fakturan" as it is while "faktura" becomes "faktur", so the lemma "faktura" is what lets a search for
"faktura" (or "fakturorna") find "Fakturan var fel". A language PostgreSQL has no configuration for, or "other",
uses 'simple' (lower-cased words, no stemming). SQLite has no tsvector: `search` stays NULL there and the explorer
falls back to a containment match.

A chunk of results is written with one UPDATE ... FROM unnest(arrays): one statement and one round trip per chunk,
whatever its size (the arrays are single parameters).
"""

# SQL is assembled from model table names and constants of this module; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

from voice.models import CommentAnalysis, CommentTheme, Theme

CONFIGS = {"sv": "swedish", "nb": "norwegian", "da": "danish", "en": "english"}
FALLBACK = "simple"

CA = CommentAnalysis._meta.db_table
CT = CommentTheme._meta.db_table
THEME = Theme._meta.db_table


def config_for(language: str) -> str:
    """The PostgreSQL text-search configuration of a comment language."""
    return CONFIGS.get(language, FALLBACK)


def search_expression(config: str, text: str, lemmas: str) -> str:
    """SQL for the vector of `text` and its extra `lemmas` (SQL expressions) in configuration `config`."""
    return (
        f"to_tsvector(({config})::regconfig, coalesce({text}, '')) "
        f"|| to_tsvector(({config})::regconfig, coalesce({lemmas}, ''))"
    )


def extra_lemmas(words: list[str], lemmas: list[str]) -> str:
    """The lemmas that are not words of the text themselves, space-separated (what the vector adds to the text)."""
    present = set(words)
    return " ".join(sorted({lemma for lemma in lemmas if lemma not in present}))


# Parameters: the analysed-at time, then arrays of ids, languages, masked texts, personal-data flags, sentiments,
# labels, sentences (JSON text), drivers (JSON text), search configurations, extra lemmas and taxonomy versions.
WRITE_RESULTS = f"""
UPDATE {CA} AS ca SET
    status = 'done',
    language = v.language,
    masked_text = v.masked_text,
    has_personal_data = v.has_personal_data,
    sentiment = v.sentiment,
    sentiment_label = v.sentiment_label,
    sentences = v.sentences::jsonb,
    drivers = v.drivers::jsonb,
    search = {search_expression("v.config", "v.masked_text", "v.lemmas")},
    taxonomy_version = v.taxonomy_version,
    analysed_at = %s
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::boolean[], %s::float8[], %s::text[], %s::text[], %s::text[],
            %s::text[], %s::text[], %s::integer[])
    AS v(answer_id, language, masked_text, has_personal_data, sentiment, sentiment_label, sentences, drivers, config,
         lemmas, taxonomy_version)
WHERE ca.answer_id = v.answer_id
"""

DELETE_THEMES = f"DELETE FROM {CT} WHERE analysis_id = ANY(%s)"

# Themes archived (or deleted) since the taxonomy was compiled are dropped by the join, not failed on.
INSERT_THEMES = f"""
INSERT INTO {CT} (organization_id, analysis_id, theme_id, matched, sentiment)
SELECT t.organization_id, v.analysis_id, v.theme_id, v.matched::jsonb, v.sentiment
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::float8[]) AS v(analysis_id, theme_id, matched, sentiment)
JOIN {THEME} t ON t.id = v.theme_id
ON CONFLICT (analysis_id, theme_id) DO NOTHING
"""

SET_TAXONOMY_VERSION = f"UPDATE {CA} SET taxonomy_version = %s WHERE answer_id = ANY(%s)"
