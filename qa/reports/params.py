"""The query parameters of every report (page, export and API): the period and the grouping."""

from __future__ import annotations

from datetime import date

from flask import request

from portal.domain import DomainError
from qa.reports import figures as rm
from qa.reports import services as reports
from qa.web import local_today


class BadParams(DomainError):
    """A report's query parameters are not usable; the API answers 400, the pages show the message."""


def date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParams(f"{name} must be a date (YYYY-MM-DD)") from None


def report_params() -> tuple[date, date, str]:
    """from / to (both inclusive; default the current month, or the month of the one given) and group_by."""
    return report_period(date_arg("from"), date_arg("to"), request.args.get("group_by") or "agent")


def report_period(date_from: date | None, date_to: date | None, group_by: str) -> tuple[date, date, str]:
    """The period and grouping of a report from what the client gave (see :func:`report_params`)."""
    if date_from is None and date_to is None:
        date_from, date_to = reports.month_bounds(local_today())
    elif date_to is None and date_from is not None:
        date_to = reports.month_bounds(date_from)[1]
    elif date_from is None and date_to is not None:
        date_from = date_to.replace(day=1)
    if date_from is None or date_to is None:  # unreachable: every branch above sets both
        raise BadParams("from and to must be dates (YYYY-MM-DD)")
    if group_by not in rm.GROUPS:
        raise BadParams(f"group_by must be one of {', '.join(rm.GROUPS)}")
    reports.check_range(date_from, date_to)  # ReportRangeError: a 400 with its own message
    return date_from, date_to, group_by
