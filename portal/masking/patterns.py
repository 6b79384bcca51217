"""The admin's extra masking patterns: add, switch on or off, and the enabled ones compiled for an import."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session, col, select

from portal import audit
from portal.masking.extra import ExtraPattern, PatternError
from portal.masking.mask import mask_text
from portal.masking.models import MaskingPattern
from portal.models import User

log = logging.getLogger(__name__)


def extra_patterns(session: Session) -> list[ExtraPattern]:
    """The enabled admin patterns, compiled. A pattern that no longer compiles is skipped and logged
    (by id only), so a bad pattern cannot stop imports."""
    out: list[ExtraPattern] = []
    enabled = select(MaskingPattern).where(col(MaskingPattern.enabled)).order_by(col(MaskingPattern.id))
    for row in session.exec(enabled):
        try:
            out.append(ExtraPattern.compile(row.label, row.pattern))
        except PatternError:
            log.warning("masking pattern %s is invalid and was skipped", row.id)
    return out


def free_text_masker(session: Session) -> Callable[[str], str]:
    """A function that turns a text someone typed (a comment, a reason, a note) into what may be stored:
    personal data masked by the built-in detectors and the admin's enabled patterns, loaded once here for
    every field of one input. Masking is idempotent, so a masked text typed or pasted again is unchanged."""
    patterns = extra_patterns(session)

    def mask(text: str) -> str:
        return mask_text(text, patterns).text if text else text

    return mask


def add_masking_pattern(session: Session, actor: User, label: str, pattern: str) -> MaskingPattern:
    """Store a validated extra masking pattern (raises ``PatternError``); it applies to future imports."""
    compiled = ExtraPattern.compile(label, pattern)
    row = MaskingPattern(label=compiled.label[:64], pattern=pattern, created_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "masking_pattern.create",
        "masking_pattern",
        row.id,
        details={"label": row.label, "pattern": row.pattern},
    )
    return row


def toggle_masking_pattern(session: Session, actor: User, row: MaskingPattern) -> MaskingPattern:
    """Switch a pattern on or off for future imports."""
    row.enabled = not row.enabled
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "masking_pattern.toggle",
        "masking_pattern",
        row.id,
        to_state="enabled" if row.enabled else "disabled",
    )
    return row
