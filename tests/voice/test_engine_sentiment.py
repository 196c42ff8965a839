"""Sentiment of comments: score, label (mixed included), clauses and drivers, per language (no database)."""

import pytest

from voice.engine.sentiment import analyse_sentiment
from voice.management.commands.voice_accuracy import sentiment_accuracy, sentiment_rows


@pytest.mark.parametrize("language", ["sv", "nb", "da", "en"])
def test_sentiment_is_accurate_on_the_labelled_comments(language):
    rows = sentiment_rows(language)
    labels = {label for label, _ in rows}
    assert len(rows) >= 40 and labels == {"positive", "negative", "mixed", "neutral"}
    n, accuracy, misses = sentiment_accuracy(language)
    print(f"sentiment {language}: {accuracy:.1%} of {n}", misses)
    assert accuracy >= 0.75, misses


def one(text, language):
    return analyse_sentiment([text], language)[0]


@pytest.mark.parametrize(
    "text,language,label",
    [
        ("Det var bra", "sv", "positive"),
        ("Det var inte bra", "sv", "negative"),
        ("Aldrig nöjd med er", "sv", "negative"),
        ("Inte dåligt alls", "sv", "positive"),
        ("Det var godt", "nb", "positive"),
        ("Det var ikke godt", "nb", "negative"),
        ("Ikke dårlig", "nb", "positive"),
        ("Ikkje bra", "nb", "negative"),
        ("Det var ikke godt", "da", "negative"),
        ("Ikke dårligt", "da", "positive"),
        ("It was good", "en", "positive"),
        ("It was not good", "en", "negative"),
        ("Not bad at all", "en", "positive"),
        ("Aldrig igen!", "sv", "negative"),
        ("Never again", "en", "negative"),
    ],
)
def test_negation_turns_the_sentiment(text, language, label):
    assert one(text, language).label == label


def test_a_comment_with_a_clearly_positive_and_a_clearly_negative_part_is_mixed():
    result = one("Teknikern var jättetrevlig men fakturan var fel", "sv")
    assert result.label == "mixed"
    assert [s.text for s in result.sentences] == ["Teknikern var jättetrevlig", "men fakturan var fel"]
    assert [s.label for s in result.sentences] == ["positive", "negative"]
    assert result.sentences[0].start == 0 and result.sentences[1].end == len(
        "Teknikern var jättetrevlig men fakturan var fel"
    )
    # asent's rule: what follows "men" weighs more.
    assert result.score < 0


@pytest.mark.parametrize(
    "text,language",
    [
        ("Trevlig personal, dock alldeles för dyrt.", "sv"),
        ("Hyggelig tekniker, men regningen var feil.", "nb"),
        ("Søde medarbejdere, men fakturaen var forkert.", "da"),
        ("Great staff, however the bill was wrong.", "en"),
        ("Snabb leverans, usel kundtjänst.", "sv"),
    ],
)
def test_contrast_and_comma_separated_opposites_are_mixed(text, language):
    assert one(text, language).label == "mixed"


def test_drivers_name_the_words_strongest_first_with_their_negation():
    result = one("Kundtjänsten var inte bra och fakturan var fel. Snabb leverans dock.", "sv")
    words = [word for word, _ in result.drivers]
    assert "inte bra" in words and "fel" in words and "snabb" in words
    valences = [abs(v) for _, v in result.drivers]
    assert valences == sorted(valences, reverse=True)
    assert dict(result.drivers)["inte bra"] < 0 < dict(result.drivers)["snabb"]


def test_customer_service_words_asent_misreads_are_supplemented():
    # asent's Swedish and Danish lexicons score "dyrt" positive (translated from "dear").
    assert one("Det är dyrt", "sv").score < 0
    assert one("Det er dyrt", "da").score < 0
    assert one("Fakturan är fel", "sv").score < 0
    assert one("Krångligt och segt", "sv").score < 0
    assert one("Smidigt och snabbt", "sv").score > 0
    assert one("Raskt og greit", "nb").score > 0
    assert one("I was overcharged", "en").score < 0
    assert one("Problemet löstes direkt", "sv").label == "positive"
    assert one("Problemet är inte löst", "sv").label == "negative"


def test_norwegian_intensifiers_count():
    assert one("Veldig bra", "nb").score > one("Bra", "nb").score


def test_languages_do_not_leak_into_each_other_in_one_process():
    # asent's spaCy component keeps its lexicon in process-wide extensions: the last language loaded won.
    before = one("Det var jättebra", "sv").score
    assert one("That was great", "en").score > 0
    assert one("Det var jättebra", "sv").score == before > 0


def test_scores_stay_within_bounds_and_batches_keep_their_order():
    texts = ["BRA!!! TOPPEN!!!", "", "Usel, värdelös, hemsk, katastrofal service!!!", "Jag bytte abonnemang."]
    results = analyse_sentiment(texts, "sv")
    assert [r.label for r in results] == ["positive", "neutral", "negative", "neutral"]
    assert all(-1 <= r.score <= 1 for r in results)
    assert results[1].sentences == [] and results[3].drivers == []


def test_other_languages_are_neutral_without_drivers():
    (result,) = analyse_sentiment(["Sehr schlecht"], "other")
    assert (result.score, result.label, result.drivers, result.sentences) == (0.0, "neutral", [], [])
