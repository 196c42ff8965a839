"""Themes on lemmas: inflections, prefixes, compounds, phrases, sub-themes; and the whole engine (no database)."""

import pytest

from core.masking import MASK
from voice.engine import ThemeHit, analyse_comments, retag_comment
from voice.engine.lemmas import STOPWORDS, lemmas, tokens
from voice.engine.themes import ThemeSpec, compile_taxonomy, match_themes

BILLING, PRICE, TECHNICIAN, WAITING, CANCEL = 1, 2, 3, 4, 5

TAXONOMY = compile_taxonomy(
    [
        ThemeSpec(
            BILLING,
            None,
            keywords={"sv": ["faktura"], "nb": ["regning", "faktura"], "da": ["regning"], "en": ["invoice", "bill"]},
        ),
        ThemeSpec(
            PRICE,
            BILLING,
            keywords={"sv": ["pris*", "dyr"], "en": ["expensive"]},
            examples={"sv": ["höjde priset utan förvarning"]},
        ),
        ThemeSpec(TECHNICIAN, None, keywords={"sv": ["tekniker"], "en": ["technician"]}),
        ThemeSpec(WAITING, None, keywords={"sv": ["väntetid", "kö"], "en": ["waiting time"]}),
        ThemeSpec(CANCEL, None, keywords={"sv": ["säga upp"], "en": ["cancel"]}),
    ]
)


def themes(text, language):
    return match_themes(lemmas(text, language), language, TAXONOMY)


def test_tokens_are_lowercase_words_without_numbers():
    assert tokens("Fakturan för 5G-abonnemang: 1 299 kr, SMÅ fel ▒▒▒ tv-boxen!", "sv") == [
        "fakturan",
        "för",
        "5g-abonnemang",
        "kr",
        "små",
        "fel",
        "tv-boxen",
    ]
    assert "och" in STOPWORDS["sv"] and "og" in STOPWORDS["nb"] and "the" in STOPWORDS["en"]


@pytest.mark.parametrize(
    "text,language",
    [
        ("Fakturan var fel", "sv"),
        ("Fakturorna kom sent", "sv"),
        ("Fakturaen var feil", "nb"),
        ("Regningen var feil", "nb"),
        ("Regningen var forkert", "da"),
        ("The invoices were wrong", "en"),
    ],
)
def test_inflected_forms_meet_their_keyword(text, language):
    assert BILLING in themes(text, language)


def test_a_starred_keyword_matches_lemma_prefixes_and_a_sub_theme_implies_its_parent():
    found = themes("Prishöjningen kom utan förvarning", "sv")
    assert found == {PRICE: ["pris*"], BILLING: ["pris*"]}


def test_nordic_compounds_meet_a_keyword_of_five_letters_or_more():
    assert themes("Mobilfakturan var fel", "sv") == {BILLING: ["faktura"]}
    assert themes("Väntetiden var lång", "sv") == {WAITING: ["väntetid"]}
    assert themes("Telefonväntetiden var lång", "sv") == {WAITING: ["väntetid"]}
    # "kö" is too short to end a compound: "körkort" is not a queue.
    assert themes("Jag tappade mitt körkort", "sv") == {}
    assert themes("Stod i kö", "sv") == {WAITING: ["kö"]}


def test_english_has_no_compound_matching():
    assert themes("The superinvoice", "en") == {}


def test_a_multi_word_keyword_needs_its_words_together():
    assert themes("Jag vill säga upp mitt abonnemang", "sv") == {CANCEL: ["säga upp"]}
    assert themes("Jag sa upp abonnemanget", "sv") == {CANCEL: ["säga upp"]}
    assert themes("Jag vill inte säga något", "sv") == {}
    assert themes("The waiting time was long", "en") == {WAITING: ["waiting time"]}


def test_an_example_phrase_matches_its_words_in_order_with_only_stop_words_between():
    example = "höjde priset utan förvarning"
    assert themes("Ni höjde priset helt utan någon förvarning!", "sv")[PRICE] == ["pris*", example]
    assert themes("Ni höjde priset på routern utan förvarning", "sv")[PRICE] == ["pris*"]
    assert themes("Ingen förvarning, ni höjde priset", "sv")[PRICE] == ["pris*"]


def test_no_taxonomy_or_another_language_matches_nothing():
    assert match_themes(lemmas("Fakturan var fel", "sv"), "sv", None) == {}
    assert match_themes(lemmas("Fakturan var fel", "sv"), "da", TAXONOMY) == {}
    assert match_themes(["faktura"], "other", TAXONOMY) == {}


def test_analyse_comments_masks_first_and_gives_each_theme_the_sentiment_of_its_clause():
    (result,) = analyse_comments(
        [("Teknikern var jättetrevlig men fakturan var fel. Ring mig på 070-123 45 67", "sv")], TAXONOMY
    )
    assert result.language == "sv"
    assert result.masked_text == f"Teknikern var jättetrevlig men fakturan var fel. Ring mig på {MASK}"
    assert result.has_personal_data
    assert result.sentiment_label == "mixed"
    assert set(result.themes) == {TECHNICIAN, BILLING}
    assert result.themes[TECHNICIAN].matched == ["tekniker"] and result.themes[TECHNICIAN].sentiment > 0
    assert result.themes[BILLING].matched == ["faktura"] and result.themes[BILLING].sentiment < 0
    assert [s["label"] for s in result.sentences] == ["positive", "negative", "neutral"]
    assert result.drivers[0] == ["jättetrevlig", 3.0]
    assert "070" not in " ".join(result.lemmas) and "faktura" in result.lemmas


def test_analyse_comments_keeps_the_order_of_mixed_languages():
    items = [
        ("The technician was great", None),
        ("Regningen var altfor dyr", "nb"),
        ("Sehr schlecht", "sv"),
        ("", "da"),
        ("Fakturan var dyr", "sv"),
    ]
    results = analyse_comments(items, TAXONOMY)
    assert [r.language for r in results] == ["en", "nb", "other", "da", "sv"]
    assert results[0].sentiment_label == "positive" and TECHNICIAN in results[0].themes
    assert results[1].sentiment_label == "negative" and BILLING in results[1].themes
    assert (results[2].sentiment, results[2].sentiment_label, results[2].themes) == (0.0, "neutral", {})
    assert results[3].sentences == [] and not results[3].has_personal_data
    assert results[4].themes[PRICE] == ThemeHit(matched=["dyr"], sentiment=results[4].sentiment)
    assert results[4].themes[BILLING].matched == ["faktura", "dyr"]
    assert analyse_comments([], TAXONOMY) == []


def test_retagging_gives_the_themes_analysis_gives():
    text = "Teknikern var jättetrevlig men fakturan var fel. Väntetiden var okej."
    (result,) = analyse_comments([(text, "sv")], None)
    assert result.themes == {}
    (with_taxonomy,) = analyse_comments([(text, "sv")], TAXONOMY)
    retagged = retag_comment(result.masked_text, "sv", result.sentences, TAXONOMY, score=result.sentiment)
    assert retagged == with_taxonomy.themes
    assert set(retagged) == {TECHNICIAN, BILLING, WAITING}
