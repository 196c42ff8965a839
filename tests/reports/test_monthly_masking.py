"""Personal data in quoted comments: e-mail addresses, phone numbers and Nordic national id numbers are masked.

Id numbers are masked only with valid check digits (the rules and their own tests: core.masking,
tests/voice/test_engine_masking.py), so the examples here are real-format numbers."""

import pytest

from core.masking import MASK, mask_personal_data


@pytest.mark.parametrize(
    "text,secret",
    [
        ("Skriv till kalle.anka@example.se tack", "kalle.anka@example.se"),
        ("mail: ola+cx@firma.no!", "ola+cx@firma.no"),
        ("Ring 070-123 45 67", "070-123 45 67"),
        ("Ring +46 70 123 45 67 i kväll", "+46 70 123 45 67"),
        ("tlf 912 34 567", "912 34 567"),
        ("Ring 0045 20 12 34 56", "20 12 34 56"),
        ("personnummer 19811218-9876", "19811218-9876"),
        ("pnr 811218-9876", "811218-9876"),
        ("pnr 811218+9876 (över 100)", "811218+9876"),
        ("pnr 198112189876", "198112189876"),
        ("fødselsnummer 01019912368", "01019912368"),
        ("fnr 010199 12368", "010199 12368"),
        ("CPR 010199-1234", "010199-1234"),
        ("CPR-nr. 0101991008", "0101991008"),
    ],
)
def test_personal_data_is_masked(text, secret):
    masked = mask_personal_data(text)
    assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "text",
    [
        "Jag väntade 3 dagar och 45 minuter i kö",
        "Ordernummer 12345 kom fram",
        "Leveransen kom 2024-03-01, två veckor sent",
        "Betalade 1 299 kr",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask_personal_data(text) == text


def test_several_items_in_one_comment_are_all_masked():
    text = "Ring 08-123 456 78 eller maila a@b.dk, mitt CPR är 010199-1234. Tack!"
    masked = mask_personal_data(text)
    assert masked == f"Ring {MASK} eller maila {MASK}, mitt CPR är {MASK}. Tack!"
