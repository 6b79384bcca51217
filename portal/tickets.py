"""Ticket IDs (DESIGN §3): ``YYYYMMDD-X001`` by default, a real date, a dash, an upper-case letter and
3+ digits. The pattern is configurable (``PORTAL_TICKET_ID_PATTERN``); when it has a group named ``date``,
that group must be a real calendar date in ``YYYYMMDD`` form."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

MAX_TICKET_ID_LENGTH = 64


class InvalidTicketId(ValueError):
    """The value is not a ticket ID; the message says why, for the user."""


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate_ticket_id(value: object, pattern: str) -> str:
    """Return the ticket ID stripped of surrounding spaces, or raise ``InvalidTicketId``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidTicketId("a ticket ID is required")
    ticket_id = value.strip()
    if len(ticket_id) > MAX_TICKET_ID_LENGTH:
        raise InvalidTicketId(f"a ticket ID has at most {MAX_TICKET_ID_LENGTH} characters")
    match = _compiled(pattern).fullmatch(ticket_id)
    if match is None:
        raise InvalidTicketId(f"{ticket_id!r} is not a ticket ID of the form YYYYMMDD-X001")
    date_part = match.groupdict().get("date")
    if date_part is not None:
        try:
            datetime.strptime(date_part, "%Y%m%d")
        except ValueError:
            raise InvalidTicketId(f"{ticket_id!r} does not start with a real date (YYYYMMDD)") from None
    return ticket_id
