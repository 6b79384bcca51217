"""Ticket IDs, as the service-centre documents write them: ``YYYYMMDD-X001`` by default, a real date, a dash, an upper-case letter and
3+ digits. The pattern is configurable (``PORTAL_TICKET_ID_PATTERN``); when it has a group named ``date``,
that group must be a real calendar date in ``YYYYMMDD`` form."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from flask_babel import lazy_gettext as _l

MAX_TICKET_ID_LENGTH = 64


class InvalidTicketId(ValueError):
    """The value is not a ticket ID; the message says why, for the user."""


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate_ticket_id(value: object, pattern: str) -> str:
    """Return the ticket ID stripped of surrounding spaces, or raise ``InvalidTicketId``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidTicketId(_l("a ticket ID is required"))
    ticket_id = value.strip()
    if len(ticket_id) > MAX_TICKET_ID_LENGTH:
        raise InvalidTicketId(_l("a ticket ID has at most %(n)d characters", n=MAX_TICKET_ID_LENGTH))
    match = _compiled(pattern).fullmatch(ticket_id)
    if match is None:
        raise InvalidTicketId(_l("“%(id)s” is not a ticket ID of the form YYYYMMDD-X001", id=ticket_id))
    date_part = match.groupdict().get("date")
    if date_part is not None:
        try:
            datetime.strptime(date_part, "%Y%m%d")
        except ValueError:
            raise InvalidTicketId(
                _l("“%(id)s” does not start with a real date (YYYYMMDD)", id=ticket_id)
            ) from None
    return ticket_id
