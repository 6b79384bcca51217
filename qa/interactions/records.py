"""One interaction record in the shape of ``POST /api/v1/qa/interactions``: its fields parsed and checked, or
a ``RecordError`` that names the field and turn at fault (never transcript content).

Times are ISO 8601 (``2024-11-23T10:00:00+08:00``); a time without a zone is taken in the centre's time
zone (``QA_TIMEZONE``, default Asia/Shanghai), and a turn time may be just ``HH:MM[:SS]`` on the day the
conversation started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from portal.domain import DomainError
from portal.models import User
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
TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "投诉"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "无"}


class RecordError(DomainError):
    """One record is invalid; ``turn`` is the index of the transcript turn at fault, if any."""

    def __init__(self, message: str, turn: int | None = None):
        super().__init__(message, details={"turn": turn} if turn is not None else None)
        self.turn = turn


@dataclass
class RawRecord:
    """One interaction as read from a source. ``ref`` is its line number (files) or list index (API);
    ``turn_refs`` the line of each turn (CSV). ``error`` is set when the source could not even be parsed."""

    ref: int
    data: dict[str, Any] | None
    error: str | None = None
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
        raise RecordError(f"{field_name} is required")
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
            f"{field_name} {raw!r} is not a date and time (ISO 8601, e.g. 2024-11-23T10:00:00+08:00)"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def parse_channel(value: Any) -> str:
    raw = str(value or "").strip()
    if not raw:
        raise RecordError("channel is required")
    key = raw.lower()
    if key in {c.value for c in Channel}:
        return key
    alias = CHANNEL_ALIASES.get(raw) or CHANNEL_ALIASES.get(key)
    if alias is not None:
        return alias.value
    raise RecordError(f"channel {raw!r} is not one of {', '.join(c.value for c in Channel)}")


def parse_csat(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RecordError("csat must be a whole number from 1 to 5, or empty")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"csat {value!r} must be a whole number from 1 to 5, or empty") from None
    if number != int(number) or not 1 <= number <= 5:
        raise RecordError(f"csat {value!r} must be a whole number from 1 to 5, or empty")
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
    raise RecordError(f"{field_name} {value!r} must be true or false")


def parse_speaker(value: Any) -> str:
    raw = str(value or "").strip()
    key = raw.lower()
    if key in {s.value for s in Speaker}:
        return key
    if raw in SPEAKER_ALIASES:
        return SPEAKER_ALIASES[raw].value
    raise RecordError(f"speaker {raw!r} must be agent, customer or system")


def parse_record(
    data: Any, *, ticket_pattern: str, tz: tzinfo, agents: dict[str, User | None], session: Session
) -> ParsedInteraction:
    """Validate one record (the import API's shape) or raise :class:`RecordError`."""
    if not isinstance(data, dict):
        raise RecordError("each interaction must be a JSON object")
    try:
        ticket_id = validate_ticket_id(data.get("ticket_id"), ticket_pattern)
    except InvalidTicketId as exc:
        raise RecordError(f"ticket_id: {exc}") from None
    channel = parse_channel(data.get("channel"))
    username = str(data.get("agent") or "").strip()
    if not username:
        raise RecordError("agent is required (a username)")
    if username not in agents:
        agents[username] = session.exec(select(User).where(col(User.username) == username)).first()
    agent = agents[username]
    if agent is None:
        raise RecordError(f"unknown agent {username!r}")
    started_at = parse_time(data.get("started_at"), tz, field_name="started_at")
    ended_raw = data.get("ended_at")
    ended_at = None
    if ended_raw not in (None, ""):
        ended_at = parse_time(ended_raw, tz, field_name="ended_at")
        if ended_at < started_at:
            raise RecordError("ended_at is before started_at")
    csat = parse_csat(data.get("csat"))
    complaint = parse_flag(data.get("complaint"), "complaint")
    transcript = data.get("transcript")
    if not isinstance(transcript, list) or not transcript:
        raise RecordError("transcript must be a non-empty list of turns")
    if len(transcript) > MAX_TURNS:
        raise RecordError(f"transcript has more than {MAX_TURNS} turns")
    local_day = started_at.astimezone(tz).date()
    turns: list[tuple[str, datetime | None, str]] = []
    for i, turn in enumerate(transcript):
        try:
            if not isinstance(turn, dict):
                raise RecordError("a turn must be an object with speaker, at and text")
            speaker = parse_speaker(turn.get("speaker"))
            at_raw = turn.get("at")
            at = None
            if at_raw not in (None, ""):
                at = parse_time(at_raw, tz, field_name="at", day=local_day)
            text = turn.get("text")
            if not isinstance(text, str) or not text.strip():
                raise RecordError("text is required")
            if len(text) > MAX_TURN_LENGTH:
                raise RecordError(f"text is longer than {MAX_TURN_LENGTH} characters")
        except RecordError as exc:
            raise RecordError(f"transcript turn {i + 1}: {exc}", turn=i) from None
        turns.append((speaker, at, text))
    return ParsedInteraction(ticket_id, channel, agent, started_at, ended_at, csat, complaint, turns)


def api_records(items: Sequence[Any]) -> list[RawRecord]:
    return [
        RawRecord(
            index,
            item if isinstance(item, dict) else None,
            None if isinstance(item, dict) else "each interaction must be a JSON object",
        )
        for index, item in enumerate(items)
    ]
