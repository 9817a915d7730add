"""Taiwanese national ID and resident certificate numbers: checksum and masking."""

from __future__ import annotations

import re

# The first letter stands for two digits (its area code), in this order, not alphabetically.
LETTER_CODES = {
    "A": 10,
    "B": 11,
    "C": 12,
    "D": 13,
    "E": 14,
    "F": 15,
    "G": 16,
    "H": 17,
    "I": 34,
    "J": 18,
    "K": 19,
    "L": 20,
    "M": 21,
    "N": 22,
    "O": 35,
    "P": 23,
    "Q": 24,
    "R": 25,
    "S": 26,
    "T": 27,
    "U": 28,
    "V": 29,
    "W": 32,
    "X": 30,
    "Y": 31,
    "Z": 33,
}
ID_PATTERN = re.compile(r"^[A-Z][12890ABCD]\d{8}$")
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)


def valid_national_id(value: object) -> bool:
    """True for a well-formed number whose checksum holds (citizens, new and old resident numbers)."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return False
    area = LETTER_CODES[value[0]]
    second = value[1]
    # Old-format resident numbers have a letter in second place; it counts as its code's last digit.
    second_digit = LETTER_CODES[second] % 10 if second.isalpha() else int(second)
    digits = [second_digit, *map(int, value[2:])]
    total = area // 10 + 9 * (area % 10) + sum(weight * digit for weight, digit in zip(WEIGHTS, digits))
    return total % 10 == 0


def make_national_id(rng, sex: str | None = None) -> str:
    """A citizen's number with a valid checksum, drawn from ``rng`` (a ``random.Random``):
    the check digit is the one that makes the weighted sum a multiple of ten."""
    letter = rng.choice(sorted(LETTER_CODES))
    second = {"male": "1", "female": "2"}.get(sex or "", rng.choice("12"))
    body = [int(second), *(rng.randrange(10) for _ in range(7))]
    area = LETTER_CODES[letter]
    total = area // 10 + 9 * (area % 10) + sum(weight * digit for weight, digit in zip(WEIGHTS, body))
    return letter + "".join(map(str, body)) + str((10 - total % 10) % 10)


def mask_national_id(value: object) -> str:
    """A12****789: enough for a clerk to match a document, not enough to reuse."""
    text = str(value or "")
    if len(text) < 6:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 6) + text[-3:]


# A national ID or resident certificate number anywhere in a text (not anchored: a number inside
# a longer token is masked too; masking too much costs nothing where this is used).
NATIONAL_ID_IN_TEXT = re.compile(r"[A-Z][12890ABCD][0-9]{8}")


def mask_national_ids_in_text(text: str) -> str:
    return NATIONAL_ID_IN_TEXT.sub(lambda match: mask_national_id(match.group(0)), text)


def mask_national_ids(value):
    """A copy of JSON-like ``value`` with every national ID number in it masked, also inside
    free text (a note such as "applicant A123456789 called")."""
    if isinstance(value, str):
        return mask_national_ids_in_text(value)
    if isinstance(value, dict):
        return {key: mask_national_ids(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_national_ids(item) for item in value]
    return value
