"""Field types of the API's request and response models, and the error body every API answers with.

JSON lets a client send what the database cannot keep or what a lenient parser misreads: the string
``"false"`` where a boolean belongs (``bool("false")`` is true), ``2**70`` where a column holds 64 bits,
``NaN``, the year 0001, a NUL byte. These types refuse such values at the door, so a model built from them
is both the validation and the documentation of a field.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictStr,
)

# Primary keys are 32-bit on PostgreSQL (SERIAL); an id beyond that cannot name a row.
MAX_ROW_ID = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)

# C0 and C1 control characters except tab, newline and carriage return (text areas send CRLF), DEL, and
# lone surrogates, which JSON can spell ("\ud800") but UTF-8 cannot store.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (newline and tab are allowed)")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


def _whole(value: Any) -> Any:
    # Lenient integer parsing would take True, "7" or 7.0; a JSON client that sends those made a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _iso_text(value: Any) -> Any:
    # Lenient date parsing would take a number as a Unix timestamp; the API speaks ISO 8601 only.
    if isinstance(value, str | date):
        return value
    raise ValueError("must be an ISO 8601 date string")


def _day_in_range(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    _day_in_range(value.date())
    return value


def _blank_is_none(value: Any) -> Any:
    # Forms and query strings send "" for a date left empty; it has always meant "not given".
    return None if value == "" else value


def _query_bool(value: Any) -> Any:
    # A query string has no JSON booleans; accept the two spellings each of true and false, nothing else.
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError("must be true or false")
    return value


Text = Annotated[StrictStr, AfterValidator(_plain_text)]
"""Any text without control characters; newline and tab are allowed."""
Line = Annotated[StrictStr, AfterValidator(_plain_text), AfterValidator(_one_line)]
"""One line of text (names, identifiers)."""
Bool = StrictBool
"""``true`` or ``false`` only."""
Int = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), BeforeValidator(_whole)]
"""A whole number that fits a 64-bit column (never a boolean)."""
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID), BeforeValidator(_whole)]
"""The id of a stored row."""
Number = Annotated[StrictFloat, AfterValidator(_finite)]
"""A finite number (whole numbers are accepted)."""
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_day_in_range)]
"""A date ``YYYY-MM-DD`` between 1900 and 2100."""
OptionalDay = Annotated[Day | None, BeforeValidator(_blank_is_none)]
"""A date, or ``null`` / ``""`` for none."""
Moment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_moment_in_range)]
"""An ISO 8601 date and time between 1900 and 2100."""
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
"""A boolean query parameter: ``true``/``false`` (or ``1``/``0``)."""
QueryText = Annotated[str, AfterValidator(_plain_text)]
"""A text query parameter."""

IsoDateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""A date and time the server wrote with ``datetime.isoformat()`` (responses only)."""
IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"})]
"""A date the server wrote with ``date.isoformat()`` (responses only)."""


class Body(BaseModel):
    """A request body. Unknown fields are ignored as they always were (clients send extra keys); a body
    where a misspelt field would silently change nothing (an edit) sets ``extra="forbid"``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Query(BaseModel):
    """Query parameters: unknown ones are ignored (caches and proxies add their own)."""

    model_config = ConfigDict(extra="ignore")


class Reply(BaseModel):
    """A response body; fields are listed in the order the JSON shows them."""


class ErrorFields(Reply):
    code: str = Field(description="a stable, machine-readable code such as bad_request or stale_version")
    message: str = Field(description="an English sentence for people")
    details: dict[str, Any] = Field(
        description="what helps fix the request; for a refused field: field and problems"
    )


class Error(Reply):
    """The body of every API error."""

    error: ErrorFields
