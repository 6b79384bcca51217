"""What masking returns: the masked text and where it was masked, never an unmasked value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MASK_CHAR = "*"


class MaskKind(StrEnum):
    """What a masked span contained."""

    PHONE = "phone"
    RESIDENT_ID = "resident_id"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    ADDRESS = "address"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class MaskSpan:
    """A masked region ``[start, end)`` of the text (same offsets in the input and the masked text).

    ``label`` is the kind's value for built-in detectors and the admin's label for extra patterns.
    """

    start: int
    end: int
    kind: MaskKind
    label: str


@dataclass(frozen=True, slots=True)
class MaskResult:
    """The masked text and where it was masked. Holds no unmasked value."""

    text: str
    spans: tuple[MaskSpan, ...]

    @property
    def changed(self) -> bool:
        """True when at least one value was masked."""
        return bool(self.spans)

    def counts(self) -> dict[str, int]:
        """Number of masked values per label (for import statistics)."""
        out: dict[str, int] = {}
        for span in self.spans:
            out[span.label] = out.get(span.label, 0) + 1
        return out
