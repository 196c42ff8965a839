"""Language of a comment: sv, nb, da, en or other, with the survey language as a hint (no database)."""

import pytest

from voice.engine.language import detect_language
from voice.management.commands.voice_accuracy import language_accuracy


def test_language_detection_is_accurate_on_the_labelled_comments():
    accuracy = language_accuracy()
    for lang, (n, acc, misses) in sorted(accuracy.items()):
        print(f"language detection {lang}: {acc:.1%} of {n}", misses)
    for lang in ("sv", "nb", "da", "en", "other"):
        n, acc, misses = accuracy[lang]
        assert n >= 30 or lang == "other"
        assert acc >= 0.9, (lang, misses)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Jag är inte alls nöjd med hur ni hanterade mitt ärende", "sv"),
        ("Jeg er veldig fornøyd med kundeservicen, de hjalp meg raskt", "nb"),  # py3langid says "no"
        ("Eg er ikkje nøgd med svaret eg fekk", "nb"),  # Nynorsk counts as Norwegian
        ("Jeg er meget tilfreds, de hjalp mig hurtigt", "da"),
        ("I am very happy with the help I got", "en"),
        ("Der Techniker kam viel zu spät und war unfreundlich", "other"),
        ("Asiakaspalvelu ei vastannut puhelimeen", "other"),
    ],
)
def test_each_language_is_recognised(text, expected):
    assert detect_language(text) == expected


def test_the_survey_language_settles_an_ambiguous_one_liner():
    assert detect_language("Bra!", "sv") == "sv"
    assert detect_language("Bra!", "nb") == "nb"
    assert detect_language("Ok", "da") == "da"


def test_a_clear_comment_is_not_overruled_by_the_hint():
    assert detect_language("The technician never showed up and nobody called me", "sv") == "en"
    assert detect_language("Sehr guter Service, vielen Dank für die schnelle Hilfe", "sv") == "other"


@pytest.mark.parametrize("text", ["", "   ", "👍👍", "123", "!!!"])
def test_a_comment_without_words_takes_the_hint(text):
    assert detect_language(text, "nb") == "nb"
    assert detect_language(text, None) == "other"
    assert detect_language(text, "de") == "other"
