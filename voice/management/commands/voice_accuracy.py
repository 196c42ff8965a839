"""Print the text engine's accuracy on the labelled sentences in tests/voice/data/.

    python manage.py voice_accuracy

sentiment_{sv,nb,da,en}.tsv: label<TAB>comment (positive, negative, mixed, neutral); language.tsv: expected
language<TAB>hint (the survey language, "-" for none)<TAB>comment. Lines starting with "#" are comments. The same
functions are used by tests/voice/test_engine_sentiment.py and test_engine_language.py.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from voice.engine.language import detect_language
from voice.engine.sentiment import analyse_sentiment

LANGUAGES = ("sv", "nb", "da", "en")


def data_dir() -> Path:
    return Path(settings.BASE_DIR) / "tests" / "voice" / "data"


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]


def sentiment_rows(language: str, directory: Path | None = None) -> list[tuple[str, str]]:
    """(label, text) pairs of one language."""
    return [(label, text) for label, text in _rows((directory or data_dir()) / f"sentiment_{language}.tsv")]


def language_rows(directory: Path | None = None) -> list[tuple[str, str | None, str]]:
    """(expected language, hint or None, text) triples."""
    return [
        (lang, None if hint == "-" else hint, text)
        for lang, hint, text in _rows((directory or data_dir()) / "language.tsv")
    ]


def sentiment_accuracy(language: str, directory: Path | None = None) -> tuple[int, float, list[tuple[str, str, str]]]:
    """(sentences, accuracy, misses as (expected, got, text)) for one language."""
    rows = sentiment_rows(language, directory)
    results = analyse_sentiment([text for _, text in rows], language)
    misses = [(label, r.label, text) for (label, text), r in zip(rows, results, strict=True) if r.label != label]
    return len(rows), (len(rows) - len(misses)) / len(rows) if rows else 0.0, misses


def language_accuracy(directory: Path | None = None) -> dict[str, tuple[int, float, list[tuple[str, str, str]]]]:
    """Per expected language ("other" included): (comments, accuracy, misses as (expected, got, text))."""
    out: dict[str, tuple[int, float, list]] = {}
    by_language: dict[str, list[tuple[str | None, str]]] = {}
    for lang, hint, text in language_rows(directory):
        by_language.setdefault(lang, []).append((hint, text))
    for lang, rows in by_language.items():
        misses = [(lang, got, text) for hint, text in rows if (got := detect_language(text, hint)) != lang]
        out[lang] = (len(rows), (len(rows) - len(misses)) / len(rows), misses)
    return out


class Command(BaseCommand):
    help = "Print sentiment and language-detection accuracy of the voice text engine on tests/voice/data/."

    def add_arguments(self, parser):
        parser.add_argument("--misses", action="store_true", help="Also list the sentences that were got wrong.")

    def handle(self, *args, **opts):
        detection = language_accuracy()
        header = f"{'language':<9} {'sentences':>9} {'sentiment':>10} {'detected':>9} {'detection':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        misses = []
        for lang in (*LANGUAGES, "other"):
            n_det, acc_det, det_misses = detection.get(lang, (0, 0.0, []))
            misses.extend(det_misses)
            if lang in LANGUAGES:
                n, acc, sent_misses = sentiment_accuracy(lang)
                misses.extend((lang, *m) for m in sent_misses)
                sentiment = f"{n:>9} {acc:>10.1%}"
            else:
                sentiment = f"{'-':>9} {'-':>10}"
            self.stdout.write(f"{lang:<9} {sentiment} {n_det:>9} {acc_det:>10.1%}")
        if opts["misses"]:
            self.stdout.write("")
            for miss in misses:
                self.stdout.write("  " + " | ".join(miss))
