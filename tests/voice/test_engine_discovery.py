"""Theme discovery proposes nothing on structureless comments and finds a planted topic (no database needed)."""

from __future__ import annotations

import random
import re
import time

import pytest
import simplemma

from voice.engine.discovery import MIN_COHERENCE, DiscoveredTheme, discover_themes

PLANTED_START = 100_000  # ids of planted comments start here, noise ids below

_STOPWORDS_SAMPLE = {
    "sv": ["och", "det", "var", "inte", "jag", "att", "en", "är", "på", "som", "de", "mycket", "bra"],
    "nb": ["og", "det", "var", "ikke", "jeg", "å", "en", "er", "på", "som", "de", "veldig", "bra"],
    "en": ["and", "the", "was", "not", "i", "to", "a", "is", "on", "that", "they", "very", "really"],
}
_SYLLABLES = {
    "sv": (
        ["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "sk", "st", "tr", "kl", "fr"],
        ["a", "e", "i", "o", "u", "y", "å", "ä", "ö"],
        ["", "n", "r", "l", "t", "s", "k", "ng", "ll", "nd", "st", "rt", "m"],
    ),
    "en": (
        ["b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "w", "th", "sh", "ch", "br", "pl", "st"],
        ["a", "e", "i", "o", "u", "ea", "oo", "ai"],
        ["", "n", "r", "l", "t", "s", "ck", "ng", "ll", "nd", "st", "rt", "m"],
    ),
}

PARKING_SV = [
    "Det fanns ingen parkering vid butiken",
    "Parkeringen var full när jag kom",
    "Ingen ledig parkeringsplats i närheten",
    "Fick inte parkera nära entrén",
    "Parkeringsavgiften är alldeles för dyr",
    "Svårt att hitta parkering på lördagar",
    "Jag fick köra runt länge innan jag hittade en parkeringsplats",
    "Parkeringsplatserna är för trånga för en vanlig bil",
    "Parkeringshuset var stängt",
    "Det behövs fler parkeringsplatser",
    "Bilen fick stå långt bort eftersom parkeringen var full",
    "Parkering saknas helt",
    "Kaos på parkeringen",
    "Dålig skyltning till parkeringen",
    "Omöjligt att parkera på helgen",
    "Fick parkeringsböter fast jag bara handlade en kvart",
    "Parkeringen var upptagen av personalens bilar",
    "Parkeringsautomaten fungerade inte",
    "Handikapparkeringen var blockerad",
    "Ni borde bygga ut parkeringen",
]
PARKING_NB = [
    "Det var ingen parkering ved butikken",
    "Parkeringen var full da jeg kom",
    "Fant ingen ledig parkeringsplass",
    "Fikk ikke parkere i nærheten",
    "Parkeringsavgiften er altfor dyr",
    "Vanskelig å finne parkering på lørdag",
    "Måtte kjøre rundt lenge for å finne en parkeringsplass",
    "Parkeringsplassene er for trange for bilen",
    "Parkeringshuset var stengt",
    "Det trengs flere parkeringsplasser",
    "Bilen måtte stå langt unna fordi parkeringen var full",
    "Kaos på parkeringen",
    "Dårlig skilting til parkeringen",
    "Umulig å parkere i helgene",
    "Fikk parkeringsbot selv om jeg bare handlet et kvarter",
]
WAITING_NB = [
    "Ventetiden var altfor lang",
    "Måtte vente en time i telefonkøen",
    "Lang kø i kassen",
    "Jeg ventet over tjue minutter før noen hjalp meg",
    "Ventetiden på telefon er uakseptabel",
    "Det tok evigheter før jeg fikk svar",
    "Køen gikk ikke fremover",
    "Altfor lang ventetid hos kundeservice",
    "Ventet i kø i en halvtime",
    "Lange køer og få kasser åpne",
    "Svartiden på chatten er for lang",
    "Jeg ble satt på vent tre ganger",
    "Ventetid på over en uke for å få time",
    "Måtte vente lenge på å bli ekspedert",
    "Kø overalt og ventetiden er for lang",
]
DELIVERY_EN = [
    "The delivery was two weeks late",
    "My parcel never arrived",
    "Delivery took far too long",
    "The courier left the package at the wrong address",
    "Still waiting for my delivery",
    "The parcel arrived damaged",
    "Tracking said delivered but no package",
    "Delivery costs are too high",
    "The delivery window was missed twice",
    "Late delivery again, the courier did not even call",
    "Package was delivered to a neighbour without notice",
    "Slow shipping and no tracking updates",
]


def _lemmas(text: str, language: str) -> list[str]:
    return [simplemma.lemmatize(word, lang=language).lower() for word in re.findall(r"\w+", text.lower())]


def _vocabulary(size: int, seed: int, language: str) -> list[str]:
    onsets, vowels, codas = _SYLLABLES["en" if language == "en" else "sv"]
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.choice([1, 2, 2, 2, 3])
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def _noise(n: int, seed: int, language: str = "sv") -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Comments of random words from a 400-word vocabulary (Zipf-like frequencies), stopwords and numbers."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(400, 1000 + seed, language)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    stop = _STOPWORDS_SAMPLE[language]
    docs = []
    for doc_id in range(n):
        words = rng.choices(vocabulary, weights, k=rng.randint(3, 14)) + rng.choices(stop, k=rng.randint(0, 4))
        if rng.random() < 0.1:
            words.append(str(rng.randint(1, 500)))
        rng.shuffle(words)
        docs.append((doc_id, words))
    return docs, vocabulary


def _planted(
    sentences: list[str],
    n: int,
    *,
    seed: int,
    language: str,
    start: int,
    vocabulary: list[str],
    max_sentences: int = 2,
) -> list[tuple[int, list[str]]]:
    """Comments of one or two sentences about one topic, with a few random words of the noise mixed in."""
    rng = random.Random(seed)
    docs = []
    for offset in range(n):
        text = " ".join(rng.sample(sentences, rng.randint(1, max_sentences)))
        docs.append((start + offset, _lemmas(text, language) + rng.choices(vocabulary, k=rng.randint(0, 5))))
    return docs


def _parking_corpus(seed: int = 0) -> tuple[list[tuple[int, list[str]]], set[int]]:
    noise, vocabulary = _noise(1500, seed)
    planted = _planted(PARKING_SV, 120, seed=seed, language="sv", start=PLANTED_START, vocabulary=vocabulary)
    return noise + planted, {doc_id for doc_id, _ in planted}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_structureless_swedish_comments_yield_no_proposal(seed):
    docs, _ = _noise(1500, seed)

    assert discover_themes(docs, language="sv", random_state=seed) == []


def test_structureless_english_comments_yield_no_proposal():
    docs, _ = _noise(1500, 7, language="en")

    assert discover_themes(docs, language="en") == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_structureless_corpus_yields_no_proposal(seed):
    # 200 comments over 400 equally likely words: every word is rare, so a few comments that happen to share
    # several of them must not pass for a theme.
    rng = random.Random(seed)
    vocabulary = _vocabulary(400, seed, "sv")
    docs = [(doc_id, rng.choices(vocabulary, k=rng.randint(3, 14))) for doc_id in range(200)]

    assert discover_themes(docs, language="sv", random_state=seed) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_parking_theme_is_found_among_noise(seed):
    docs, planted_ids = _parking_corpus(seed)

    themes = discover_themes(docs, language="sv", random_state=seed)

    assert 1 <= len(themes) <= 2
    top = themes[0]
    assert isinstance(top, DiscoveredTheme)
    assert "parkering" in top.terms
    assert "parkering" in top.label
    assert 5 <= len(top.terms) <= 10
    assert len(top.example_ids) == 5
    assert set(top.example_ids) <= planted_ids
    assert 0.7 * 120 <= top.size <= 1.3 * 120
    assert top.coherence >= MIN_COHERENCE
    # Stopwords, numbers and short tokens never become terms.
    assert not {"och", "var", "vara", "inte", "ingen", "för"} & set(top.terms)


def test_one_sentence_comments_in_many_compounds_make_one_theme():
    # Most sentences share no word, only compounds of "parkering" (parkeringsplats, parkeringsavgift, ...).
    noise, vocabulary = _noise(1500, 5)
    planted = _planted(
        PARKING_SV, 120, seed=5, language="sv", start=PLANTED_START, vocabulary=vocabulary, max_sentences=1
    )

    themes = discover_themes(noise + planted, language="sv")

    assert len(themes) in (1, 2)
    assert themes[0].label.startswith("parkering")
    assert 0.7 * 120 <= themes[0].size <= 1.3 * 120
    assert set(themes[0].example_ids) <= {doc_id for doc_id, _ in planted}


def test_result_is_deterministic_and_order_independent_of_call():
    docs, _ = _parking_corpus(3)

    first = discover_themes(docs, language="sv", random_state=0)
    second = discover_themes(docs, language="sv", random_state=0)

    assert first == second
    assert first


def test_two_planted_norwegian_themes_are_found_separately():
    noise, vocabulary = _noise(1500, 4)
    parking = _planted(PARKING_NB, 120, seed=4, language="nb", start=PLANTED_START, vocabulary=vocabulary)
    waiting = _planted(WAITING_NB, 120, seed=5, language="nb", start=2 * PLANTED_START, vocabulary=vocabulary)
    parking_ids = {doc_id for doc_id, _ in parking}
    waiting_ids = {doc_id for doc_id, _ in waiting}

    themes = discover_themes(noise + parking + waiting, language="nb")

    parking_themes = [t for t in themes if "parkering" in t.terms[:3]]
    waiting_themes = [t for t in themes if {"ventetid", "kø", "vente"} & set(t.terms[:3])]
    assert len(parking_themes) == 1
    assert len(waiting_themes) == 1
    assert len(themes) <= 3
    assert set(parking_themes[0].example_ids) <= parking_ids
    assert set(waiting_themes[0].example_ids) <= waiting_ids
    assert not {"ventetid", "kø"} & set(parking_themes[0].terms)
    assert "parkering" not in waiting_themes[0].terms
    for theme in (parking_themes[0], waiting_themes[0]):
        assert 0.7 * 120 <= theme.size <= 1.3 * 120
    assert [t.size for t in themes] == sorted((t.size for t in themes), reverse=True)


def test_max_themes_keeps_the_largest():
    noise, vocabulary = _noise(1500, 4)
    parking = _planted(PARKING_NB, 160, seed=4, language="nb", start=PLANTED_START, vocabulary=vocabulary)
    waiting = _planted(WAITING_NB, 100, seed=5, language="nb", start=2 * PLANTED_START, vocabulary=vocabulary)

    themes = discover_themes(noise + parking + waiting, language="nb", max_themes=1)

    assert len(themes) == 1
    assert "parkering" in themes[0].terms


def test_planted_english_theme_is_found():
    noise, vocabulary = _noise(1500, 8, language="en")
    planted = _planted(DELIVERY_EN, 120, seed=8, language="en", start=PLANTED_START, vocabulary=vocabulary)

    themes = discover_themes(noise + planted, language="en")

    assert len(themes) in (1, 2)
    assert "delivery" in themes[0].terms
    assert not {"the", "was", "be", "not"} & set(themes[0].terms)


def test_theme_already_covered_by_known_keywords_is_not_proposed():
    docs, _ = _parking_corpus(0)
    known = {"parkering", "parkeringsplats", "parkera", "parkeringsavgift", "parkeringshus"}

    assert discover_themes(docs, language="sv", known_terms=known) == []
    # Unrelated keywords of other themes do not hide it.
    assert discover_themes(docs, language="sv", known_terms={"kassa", "kö", "personal"})


def test_multi_word_known_keyword_counts_for_its_words():
    docs, _ = _parking_corpus(0)

    assert discover_themes(docs, language="sv", known_terms={"full parkering", "parkeringsplats"}) == []


def test_rejected_proposal_is_not_proposed_again():
    docs, _ = _parking_corpus(1)
    first = discover_themes(docs, language="sv")
    assert first

    again = discover_themes(docs, language="sv", rejected_terms=set(first[0].terms))

    assert again == []


def test_min_docs_raises_the_bar():
    docs, _ = _parking_corpus(0)

    assert discover_themes(docs, language="sv", min_docs=200) == []


def test_fewer_comments_than_min_docs_yield_nothing():
    docs = [(i, ["parkering", "full", "bil"]) for i in range(4)]

    assert discover_themes(docs, language="sv") == []
    assert discover_themes([], language="sv") == []


def test_identical_comments_yield_nothing():
    # Every term is in every comment: nothing distinguishes a theme (and a repeated text is no new topic).
    docs = [(i, ["parkering", "vara", "full"]) for i in range(200)]

    assert discover_themes(docs, language="sv") == []


def test_comments_without_usable_terms_yield_nothing():
    docs = [(i, ["och", "det", "var", "42", "ok", "", "2025"]) for i in range(300)]
    docs += [(300 + i, []) for i in range(50)]

    assert discover_themes(docs, language="sv") == []


def test_empty_comments_do_not_disturb_a_planted_theme():
    docs, planted_ids = _parking_corpus(0)
    docs += [(50_000 + i, []) for i in range(200)]

    themes = discover_themes(docs, language="sv")

    assert themes
    assert set(themes[0].example_ids) <= planted_ids


def test_unknown_language_works_without_stopwords():
    docs, planted_ids = _parking_corpus(0)

    themes = discover_themes(docs, language="other")

    assert themes
    assert set(themes[0].example_ids) <= planted_ids


def test_twenty_thousand_comments_are_processed_quickly():
    noise, vocabulary = _noise(18_500, 11)
    planted = _planted(PARKING_SV, 1_500, seed=11, language="sv", start=PLANTED_START, vocabulary=vocabulary)
    docs = noise + planted
    assert len(docs) == 20_000
    discover_themes(docs[:100], language="sv")  # load the stopword lists outside the timing

    started = time.perf_counter()
    themes = discover_themes(docs, language="sv")
    elapsed = time.perf_counter() - started

    print(f"discover_themes on {len(docs)} comments: {elapsed:.2f} s")
    assert elapsed < 60
    assert len(themes) in (1, 2)
    assert "parkering" in themes[0].terms
