"""Checks of Chinese identity and card numbers: GB 11643 resident IDs (check digit, real birth date) and Luhn."""

from __future__ import annotations

import datetime as dt

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def resident_id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (``0``–``9`` or ``X``) for the first 17 digits of a resident ID."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_resident_id(value: str) -> bool:
    """True for an 18-digit ID with a valid check digit and birth date, or a 15-digit ID with a valid date.

    ``value`` must be the bare digits (``X``/``x`` allowed as the 18th character), no separators.
    """
    if len(value) == 18:
        body, check = value[:17], value[17].upper()
        if not (body.isascii() and body.isdigit()) or body[0] == "0":
            return False
        year = int(body[6:10])
        if not 1900 <= year <= 2099 or not _is_real_date(year, int(body[10:12]), int(body[12:14])):
            return False
        return resident_id_check_digit(body) == check
    if len(value) == 15:
        if not (value.isascii() and value.isdigit()) or value[0] == "0":
            return False
        # First-generation IDs were issued before 2000 and always mean 19YY.
        return _is_real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def is_luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check of a string of ASCII digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
