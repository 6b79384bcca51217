"""One interaction record in the shape of ``POST /api/v1/qa/interactions``: its fields parsed and checked, or
a ``RecordError`` that names the field and turn at fault (never transcript content).

Times are ISO 8601 (``2024-11-23T10:00:00+08:00``); a time without a zone is taken in the centre's time
zone (``QA_TIMEZONE``, default Asia/Shanghai), and a turn time may be just ``HH:MM[:SS]`` on the day the
conversation started.

Whatever a file or a client sends, a record either parses or raises ``RecordError``, never another exception:
a CSAT that is not a finite number, a time outside 1900-2100 (where converting to UTC could overflow), NUL
and other control characters (PostgreSQL cannot store a NUL; the others corrupt what staff read) are refused
here, before anything touches the database. The messages are lazy translations: the upload page shows them
in the reader's language, the API and the command line in English.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from portal.domain import DomainError
from portal.models import User
from portal.schemas import MAX_DATE, MIN_DATE
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa.interactions.models import Channel, Speaker

MAX_TURNS = 2000
MAX_TURN_LENGTH = 20_000
MAX_RECORDS = 5000  # per API call

CHANNEL_ALIASES = {
    "电话": Channel.PHONE,
    "热线": Channel.PHONE,
    "在线": Channel.CHAT,
    "在线客服": Channel.CHAT,
    "聊天": Channel.CHAT,
    "邮件": Channel.EMAIL,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "社交媒体": Channel.SOCIAL,
    "社交": Channel.SOCIAL,
    "电商": Channel.ECOMMERCE,
    "电商平台": Channel.ECOMMERCE,
    "其他": Channel.OTHER,
}
SPEAKER_ALIASES = {
    "客服": Speaker.AGENT,
    "坐席": Speaker.AGENT,
    "客户": Speaker.CUSTOMER,
    "顾客": Speaker.CUSTOMER,
    "用户": Speaker.CUSTOMER,
    "系统": Speaker.SYSTEM,
}
# C0 and C1 control characters except tab, newline and carriage return, DEL, and lone surrogates (JSON can
# spell "\ud800", UTF-8 cannot store it): the same characters the API's text fields refuse.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "投诉"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "无"}


NOT_AN_OBJECT = _l("each interaction must be a JSON object")


class RecordError(DomainError):
    """One record is invalid; ``turn`` is the index of the transcript turn at fault, if any."""

    def __init__(self, message: str, turn: int | None = None):
        super().__init__(message, details={"turn": turn} if turn is not None else None)
        self.turn = turn


@dataclass
class RawRecord:
    """One interaction as read from a source. ``ref`` is its line number (files) or list index (API);
    ``turn_refs`` the line of each turn (CSV). ``error`` (text or a lazy translation) is set when the source
    could not even be parsed."""

    ref: int
    data: dict[str, Any] | None
    error: Any = None
    turn_refs: list[int] | None = None


@dataclass
class ParsedInteraction:
    ticket_id: str
    channel: str
    agent: User
    started_at: datetime
    ended_at: datetime | None
    csat: int | None
    complaint: bool
    turns: list[tuple[str, datetime | None, str]]


# --- field parsing -------------------------------------------------------------------------------------


def parse_time(value: Any, tz: tzinfo, *, field_name: str, day: date | None = None) -> datetime:
    """An aware UTC datetime from ISO 8601 (or ``YYYY/MM/DD HH:MM[:SS]``); naive values are in ``tz``.
    With ``day``, a bare ``HH:MM[:SS]`` is accepted too."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(_l("%(field)s is required", field=field_name))
    raw = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        if parsed is None and day is not None:
            try:
                parsed = datetime.combine(day, time.fromisoformat(raw))
            except ValueError:
                parsed = None
    if parsed is None:
        raise RecordError(
            _l(
                "%(field)s “%(value)s” is not a date and time (ISO 8601, e.g. 2024-11-23T10:00:00+08:00)",
                field=field_name,
                value=raw,
            )
        )
    out_of_range = RecordError(
        _l("%(field)s must lie between %(start)s and %(end)s", field=field_name, start=MIN_DATE, end=MAX_DATE)
    )
    # Checked before converting: the year 0001 with a positive offset (or 9999 with a negative one) has no
    # UTC time at all, and ``astimezone`` would raise OverflowError.
    if not MIN_DATE <= parsed.date() <= MAX_DATE:
        raise out_of_range
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    moment = parsed.astimezone(UTC)
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise out_of_range
    return moment


def parse_channel(value: Any) -> str:
    raw = str(value or "").strip()
    if not raw:
        raise RecordError(_l("%(field)s is required", field="channel"))
    key = raw.lower()
    if key in {c.value for c in Channel}:
        return key
    alias = CHANNEL_ALIASES.get(raw) or CHANNEL_ALIASES.get(key)
    if alias is not None:
        return alias.value
    raise RecordError(
        _l(
            "channel “%(value)s” is not one of %(choices)s",
            value=raw,
            choices=", ".join(c.value for c in Channel),
        )
    )


def parse_csat(value: Any) -> int | None:
    """1-5 or None. JSON readers accept ``NaN``, ``Infinity`` and ``1e999`` (infinite) and ``float()`` reads
    ``"nan"``: a non-finite number is refused before ``int()`` would raise on it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    refused = RecordError(_l("csat “%(value)s” is not a whole number from 1 to 5 (or empty)", value=value))
    if isinstance(value, bool):
        raise refused
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise refused from None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 5:
        raise refused
    return int(number)


def parse_flag(value: Any, field_name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    key = str(value).strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise RecordError(_l("%(field)s “%(value)s” must be true or false", field=field_name, value=value))


def parse_speaker(value: Any) -> str:
    raw = str(value or "").strip()
    key = raw.lower()
    if key in {s.value for s in Speaker}:
        return key
    if raw in SPEAKER_ALIASES:
        return SPEAKER_ALIASES[raw].value
    raise RecordError(_l("speaker “%(value)s” must be agent, customer or system", value=raw))


def refuse_control_characters(data: dict[str, Any]) -> None:
    """Raise when a text of the record (a field, or a turn's field) holds a control character."""
    for name, value in data.items():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise RecordError(_l("%(field)s contains control characters", field=name))
    transcript = data.get("transcript")
    for i, turn in enumerate(transcript if isinstance(transcript, list) else []):
        for name, value in turn.items() if isinstance(turn, dict) else ():
            if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                message = _l("%(field)s contains control characters", field=name)
                raise RecordError(_l("transcript turn %(n)d: %(reason)s", n=i + 1, reason=message), turn=i)


def parse_record(
    data: Any, *, ticket_pattern: str, tz: tzinfo, agents: dict[str, User | None], session: Session
) -> ParsedInteraction:
    """Validate one record (the import API's shape) or raise :class:`RecordError`."""
    if not isinstance(data, dict):
        raise RecordError(NOT_AN_OBJECT)
    refuse_control_characters(data)
    try:
        ticket_id = validate_ticket_id(data.get("ticket_id"), ticket_pattern)
    except InvalidTicketId as exc:
        raise RecordError(_l("ticket_id: %(reason)s", reason=exc.args[0])) from None
    channel = parse_channel(data.get("channel"))
    username = str(data.get("agent") or "").strip()
    if not username:
        raise RecordError(_l("agent is required (a username)"))
    if username not in agents:
        agents[username] = session.exec(select(User).where(col(User.username) == username)).first()
    agent = agents[username]
    if agent is None:
        raise RecordError(_l("unknown agent “%(name)s”", name=username))
    started_at = parse_time(data.get("started_at"), tz, field_name="started_at")
    ended_raw = data.get("ended_at")
    ended_at = None
    if ended_raw not in (None, ""):
        ended_at = parse_time(ended_raw, tz, field_name="ended_at")
        if ended_at < started_at:
            raise RecordError(_l("ended_at is before started_at"))
    csat = parse_csat(data.get("csat"))
    complaint = parse_flag(data.get("complaint"), "complaint")
    transcript = data.get("transcript")
    if not isinstance(transcript, list) or not transcript:
        raise RecordError(_l("transcript must be a non-empty list of turns"))
    if len(transcript) > MAX_TURNS:
        raise RecordError(_l("transcript has more than %(n)d turns", n=MAX_TURNS))
    local_day = started_at.astimezone(tz).date()
    turns: list[tuple[str, datetime | None, str]] = []
    for i, turn in enumerate(transcript):
        try:
            if not isinstance(turn, dict):
                raise RecordError(_l("a turn must be an object with speaker, at and text"))
            speaker = parse_speaker(turn.get("speaker"))
            at_raw = turn.get("at")
            at = None
            if at_raw not in (None, ""):
                at = parse_time(at_raw, tz, field_name="at", day=local_day)
            text = turn.get("text")
            if not isinstance(text, str) or not text.strip():
                raise RecordError(_l("%(field)s is required", field="text"))
            if len(text) > MAX_TURN_LENGTH:
                raise RecordError(_l("text is longer than %(n)d characters", n=MAX_TURN_LENGTH))
        except RecordError as exc:
            raise RecordError(
                _l("transcript turn %(n)d: %(reason)s", n=i + 1, reason=exc.message), turn=i
            ) from None
        turns.append((speaker, at, text))
    return ParsedInteraction(ticket_id, channel, agent, started_at, ended_at, csat, complaint, turns)


def api_records(items: Sequence[Any]) -> list[RawRecord]:
    return [
        RawRecord(
            index,
            item if isinstance(item, dict) else None,
            None if isinstance(item, dict) else NOT_AN_OBJECT,
        )
        for index, item in enumerate(items)
    ]
