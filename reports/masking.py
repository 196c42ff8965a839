"""Mask personal data in customer comments before a report quotes them.

The rules live in voice.engine.masking (e-mail addresses, phone numbers, Swedish, Norwegian and Danish national id
numbers and payment cards, each id checked by its check digit); this module keeps the old import path working.
"""

from voice.engine.masking import MASK, mask_personal_data

__all__ = ["MASK", "mask_personal_data"]
