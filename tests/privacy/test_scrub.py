"""Finding and masking a person's identifiers in text and JSON (pure functions, no database)."""

from __future__ import annotations

from core.masking import MASK
from privacy.scrub import Needles, mask_note, mentions, scrub_text, scrub_value


def person() -> Needles:
    needles = Needles()
    needles.add_person(name="Anna Berg", email="anna.berg@example.se", phone="+46701234567", external_id="C-8")
    needles.add_comment("Fakturan var fel två gånger & ingen ringde tillbaka")
    return needles


def test_strong_identifiers_are_masked_whole_and_in_any_case():
    pattern = person().pattern()
    assert scrub_text("Mail from ANNA.BERG@example.se about Anna Berg", pattern) == f"Mail from {MASK} about {MASK}"
    assert scrub_text("call 0046701234567 or +46701234567", pattern) == f"call {MASK} or {MASK}"


def test_name_parts_and_short_ids_are_masked_only_where_the_row_is_about_the_person():
    needles = person()
    assert "C-8" in needles.weak and "C-8" not in needles.strong
    assert scrub_text("Anna called about C-8", needles.pattern()) == "Anna called about C-8"
    assert scrub_text("Anna called about C-8", needles.pattern(weak=True)) == f"{MASK} called about {MASK}"


def test_a_name_part_does_not_mask_a_longer_word():
    assert scrub_text("Annika and Bergman", person().pattern(weak=True)) == "Annika and Bergman"


def test_one_word_names_and_short_numbers_are_never_searched_organization_wide():
    needles = Needles()
    needles.add_person(name="Telia", external_id="4711", email="", phone="")
    assert needles.strong == set()
    needles.add_person(name="", external_id="4711000")
    assert "4711000" in needles.strong


def test_comments_are_found_as_stored_masked_and_html_escaped():
    needles = person()
    pattern = needles.pattern()
    comment = "Fakturan var fel två gånger & ingen ringde tillbaka"
    assert scrub_text(f"<p>{comment.replace('&', '&amp;')}</p>", pattern) == f"<p>{MASK}</p>"
    assert scrub_value({"voices": [{"text": comment}], "n": 3}, pattern) == {"voices": [{"text": MASK}], "n": 3}


def test_a_note_about_the_person_loses_every_contact_detail():
    note = "Anna says call 070-123 45 67 or mail a.b@c.se"
    assert mask_note(note, person().pattern(weak=True)) == f"{MASK} says call {MASK} or mail {MASK}"


def test_a_stored_file_mentions_the_person():
    assert mentions(b"id,email\nC-1,ANNA.BERG@example.se\n", person().strong)
    assert not mentions(b"id,email\nC-2,someone@example.se\n", person().strong)
