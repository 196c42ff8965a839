"""The text engine of the voice of the customer (pure Python, no Django).

`analyse_comments` takes raw comments with the survey's language as a hint and returns, per comment: its language,
the text with personal data masked, sentiment (score, label, clauses, drivers), lemmas and themes. Everything after
the language is computed on the masked text, so nothing personal reaches a lemma, a driver or a theme term.

Modules: analysis (analyse_comments, retag_comment), language (detect_language), masking (mask_personal_data,
find_personal_data), lemmas (tokens, lemmas, STOPWORDS), sentiment (analyse_sentiment), themes (ThemeSpec,
compile_taxonomy, match_themes), lexicon (sentiment resources), discovery (theme proposals).

The names below load `analysis` (and with it the lexicons and spaCy's stop-word lists) on first use only: the web
processes that merely mask a comment for display (core.masking) do not pay for them.
"""

from __future__ import annotations

__all__ = [
    "CommentResult",
    "CompiledTaxonomy",
    "ThemeHit",
    "ThemeSpec",
    "analyse_comments",
    "compile_taxonomy",
    "retag_comment",
]


def __getattr__(name: str):
    if name in __all__:
        from voice.engine import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'voice.engine' has no attribute {name!r}")
