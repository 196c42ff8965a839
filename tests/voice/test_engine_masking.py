"""Personal data in comments: found by kind, masked only with valid check digits (no database)."""

import pytest

from core.masking import (
    MASK,
    PersonalData,
    cpr_valid,
    find_personal_data,
    fodselsnummer_valid,
    luhn_valid,
    mask_personal_data,
    personnummer_valid,
)


def kinds(text):
    return [p.kind for p in find_personal_data(text)]


@pytest.mark.parametrize(
    "valid,wrong",
    [
        ("811218-9876", "811218-9875"),  # YYMMDD-NNNN
        ("811218+9876", "811218+9877"),  # over 100 years old
        ("19811218-9876", "19811218-9870"),
        ("198112189876", "198112189871"),
        ("8507691239", "8507691238"),  # samordningsnummer (day + 60)
    ],
)
def test_a_swedish_personnummer_is_masked_only_with_a_valid_luhn_digit(valid, wrong):
    assert personnummer_valid(valid) and not personnummer_valid(wrong)
    assert mask_personal_data(f"Mitt personnummer är {valid}, tack.") == f"Mitt personnummer är {MASK}, tack."
    assert mask_personal_data(f"Mitt personnummer är {wrong}, tack.") == f"Mitt personnummer är {wrong}, tack."


def test_a_personnummer_needs_a_real_date():
    assert luhn_valid("8113189875")  # month 13, Luhn right
    assert not personnummer_valid("811318-9875")
    assert mask_personal_data("nr 811318-9875") == "nr 811318-9875"


@pytest.mark.parametrize(
    "valid,wrong",
    [
        ("15078512323", "15078512324"),
        ("150785 12323", "150785 12333"),
        ("55078512317", "55078512318"),  # D-number (day + 40)
        ("01019912368", "01019912345"),
    ],
)
def test_a_norwegian_fodselsnummer_needs_both_control_digits(valid, wrong):
    assert fodselsnummer_valid(valid) and not fodselsnummer_valid(wrong)
    assert kinds(f"fnr {valid}") == ["fodselsnummer"]
    assert mask_personal_data(f"Fødselsnummer {valid} står i saken") == f"Fødselsnummer {MASK} står i saken"
    assert mask_personal_data(f"Fødselsnummer {wrong} står i saken") == f"Fødselsnummer {wrong} står i saken"


def test_a_hyphenated_cpr_number_is_masked_on_its_date_alone():
    # Issued since 2007 without the mod-11 check: 150785-1233 fails mod-11 and is still a CPR number.
    assert cpr_valid("150785-1233") and not cpr_valid("1507851233")
    assert kinds("Mit CPR er 150785-1233") == ["cpr"]
    assert mask_personal_data("Mit CPR er 150785-1233.") == f"Mit CPR er {MASK}."
    assert mask_personal_data("Mit CPR er 320785-1234.") == "Mit CPR er 320785-1234."  # no 32nd day


def test_a_bare_ten_digit_cpr_number_must_also_pass_mod_11():
    assert cpr_valid("1507851238") and not cpr_valid("1507851239")
    assert kinds("CPR 1507851238") == ["cpr"]
    assert mask_personal_data("Sag 1507851239 er lukket") == "Sag 1507851239 er lukket"


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444", "4012888888881881"],
)
def test_a_payment_card_number_is_masked(card):
    assert kinds(f"kortet {card} drogs två gånger") == ["card"]
    assert mask_personal_data(f"kortet {card} drogs två gånger") == f"kortet {MASK} drogs två gånger"


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "4111-1111-1111-1112", "4111111111111112"])
def test_a_card_like_number_failing_luhn_is_left_alone(number):
    assert not luhn_valid(number)
    assert mask_personal_data(f"referens {number} i mejlet") == f"referens {number} i mejlet"


@pytest.mark.parametrize(
    "phone",
    [
        "+46 70 123 45 67",
        "070-123 45 67",
        "0701234567",
        "08-123 456 78",
        "+46 (0)70-123 45 67",
        "+47 912 34 567",
        "912 34 567",
        "91234567",
        "+45 20 12 34 56",
        "20 12 34 56",
        "0045 20 12 34 56",
        "+44 20 7946 0958",
    ],
)
def test_phone_numbers_are_masked(phone):
    assert kinds(f"Ring mig på {phone} efter fem") == ["phone"]
    assert mask_personal_data(f"Ring mig på {phone} efter fem") == f"Ring mig på {MASK} efter fem"


@pytest.mark.parametrize(
    "text",
    [
        "order 12345 kom fram",
        "Ordernummer: 12345678 kom fram",
        "ärende 12345678 är inte löst",
        "faktura nr 87654321",
        "Leveransen kom 2024-03-01, två veckor sent",
        "Leveransen kom 01-03-2024",
        "Betalade 1 299 kr",
        "Det kostade 12 345 678 kr",
        "Väntade 3 dagar och 45 minuter",
        "Ref 4111111111111112 gäller",
        "Ref 15078512324 gäller",  # an 11-digit number failing the fødselsnummer check
        "Ref 811218-9875 gäller",  # a personnummer-shaped number failing Luhn
    ],
)
def test_numbers_that_are_not_personal_data_are_left_alone(text):
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_email_addresses_are_masked():
    text = "Skriv till kalle.anka+cx@example.co.uk eller ola@firma.no!"
    assert kinds(text) == ["email", "email"]
    assert mask_personal_data(text) == f"Skriv till {MASK} eller {MASK}!"


def test_several_kinds_in_one_comment_are_found_in_order_and_the_text_around_is_kept():
    text = "Ring 070-123 45 67 eller maila a@b.dk, pnr 811218-9876, kort 4111 1111 1111 1111. Tack!"
    found = find_personal_data(text)
    assert [p.kind for p in found] == ["phone", "email", "personnummer", "card"]
    assert [text[p.start : p.end] for p in found] == [
        "070-123 45 67",
        "a@b.dk",
        "811218-9876",
        "4111 1111 1111 1111",
    ]
    assert isinstance(found[0], PersonalData)
    assert mask_personal_data(text) == f"Ring {MASK} eller maila {MASK}, pnr {MASK}, kort {MASK}. Tack!"
