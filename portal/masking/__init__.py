"""Masking of personal data (mobile numbers, resident IDs, bank cards, e-mail addresses, admin patterns).

Every package that stores text typed or pasted by people masks it through this interface: conversation
imports (``qa``), the search log (``articles.search``), the comments, reasons and notes staff type
(``free_text_masker``) and the migrations that cleaned older rows (those carry
frozen copies instead, so a later change here never changes what an old migration did).
"""

from portal.masking.extra import ExtraPattern, PatternError, validate_extra_pattern
from portal.masking.id_numbers import is_luhn_valid, is_valid_resident_id, resident_id_check_digit
from portal.masking.mask import mask_text
from portal.masking.models import MaskingPattern
from portal.masking.patterns import (
    add_masking_pattern,
    extra_patterns,
    free_text_masker,
    toggle_masking_pattern,
)
from portal.masking.result import MASK_CHAR, MaskKind, MaskResult, MaskSpan

__all__ = [
    "MASK_CHAR",
    "ExtraPattern",
    "MaskKind",
    "MaskResult",
    "MaskSpan",
    "MaskingPattern",
    "PatternError",
    "add_masking_pattern",
    "extra_patterns",
    "free_text_masker",
    "is_luhn_valid",
    "is_valid_resident_id",
    "mask_text",
    "resident_id_check_digit",
    "toggle_masking_pattern",
    "validate_extra_pattern",
]
