"""Small helpers shared by the qa views and API (request-level configuration)."""

from __future__ import annotations

from datetime import date, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app

DEFAULT_TIMEZONE = "Asia/Shanghai"


def qa_timezone() -> tzinfo:
    """The centre's time zone: naive import times and plan dates are read in it (``QA_TIMEZONE``)."""
    return ZoneInfo(current_app.config.get("QA_TIMEZONE") or DEFAULT_TIMEZONE)


def ticket_pattern() -> str:
    return current_app.config["TICKET_ID_PATTERN"]


def local_today() -> date:
    from portal.timeutil import utcnow

    return utcnow().astimezone(qa_timezone()).date()
