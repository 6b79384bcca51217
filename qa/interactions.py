"""Importing interactions (会话记录) from JSONL, CSV (UTF-8 or GBK) and the API, masking on the way in.

Every source is turned into ``RawRecord`` objects (one interaction each, with the line numbers it came
from) and goes through :func:`import_records`, which validates, masks with ``qa.masking`` and stores. A bad
record is reported with its line number (or list index) and reason; good records land; a duplicate (same
ticket + agent + start) is skipped and reported. The unmasked text is never stored and never logged:
error messages name fields and positions, never transcript content.

CSV layout: one row per transcript turn. Rows with the same ticket, agent and start time form one
interaction; the interaction's fields are taken from its first row. Header names are English or Chinese::

    ticket_id,channel,agent,started_at,ended_at,csat,complaint,speaker,at,text
    工单号,渠道,客服,开始时间,结束时间,满意度,投诉,发言人,时间,内容

Times are ISO 8601 (``2024-11-23T10:00:00+08:00``); a time without a zone is taken in the centre's time
zone (``QA_TIMEZONE``, default Asia/Shanghai), and a turn time may be just ``HH:MM[:SS]`` on the day the
conversation started.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlmodel import Session, select

from portal import audit
from portal.models import User
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa.masking import ExtraPattern, PatternError, mask_text
from qa.models import Channel, Interaction, MaskingPattern, Speaker, TranscriptTurn

log = logging.getLogger(__name__)

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

CSV_COLUMNS = (
    "ticket_id",
    "channel",
    "agent",
    "started_at",
    "ended_at",
    "csat",
    "complaint",
    "speaker",
    "at",
    "text",
)
CSV_REQUIRED = ("ticket_id", "channel", "agent", "started_at", "speaker", "text")
CSV_HEADER_ALIASES = {
    "工单号": "ticket_id",
    "工单编号": "ticket_id",
    "渠道": "channel",
    "客服": "agent",
    "客服账号": "agent",
    "开始时间": "started_at",
    "结束时间": "ended_at",
    "满意度": "csat",
    "投诉": "complaint",
    "发言人": "speaker",
    "说话人": "speaker",
    "时间": "at",
    "内容": "text",
}


class ImportFileError(ValueError):
    """The whole file cannot be read (encoding, CSV header); nothing was imported."""


class RecordError(ValueError):
    """One record is invalid; ``turn`` is the index of the transcript turn at fault, if any."""

    def __init__(self, message: str, turn: int | None = None):
        super().__init__(message)
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
class Problem:
    ref: int
    error: str


@dataclass
class ImportReport:
    """What an import did. ``rejected`` and ``duplicates`` carry line numbers or list indexes."""

    created_ids: list[int] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    masked_values: int = 0
    encoding: str | None = None

    @property
    def created(self) -> int:
        return len(self.created_ids)


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
    if raw in CHANNEL_ALIASES or key in CHANNEL_ALIASES:
        return CHANNEL_ALIASES.get(raw, CHANNEL_ALIASES.get(key)).value
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
    """Validate one record (the API shape of DESIGN §4) or raise :class:`RecordError`."""
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
        agents[username] = session.exec(select(User).where(User.username == username)).first()
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


# --- sources ---------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM) or, failing that, GBK/GB18030 as written by Chinese Excel."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise ImportFileError("the file is neither UTF-8 nor GBK text") from None


def read_jsonl(data: bytes) -> list[RawRecord]:
    """One JSON object a line; blank lines are skipped; a broken line becomes an error record."""
    records: list[RawRecord] = []
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            records.append(RawRecord(number, None, "the line is not UTF-8 text"))
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            records.append(RawRecord(number, None, f"broken JSON: {exc.msg} at column {exc.colno}"))
            continue
        records.append(RawRecord(number, obj))
    return records


def read_csv(data: bytes) -> tuple[list[RawRecord], str]:
    """Rows → interactions (grouped by ticket, agent and start); returns the records and the encoding."""
    text, encoding = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: {exc}") from None
    columns = [CSV_HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in CSV_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        raise ImportFileError(
            "line 1: the CSV header must name the columns "
            + ",".join(CSV_COLUMNS)
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    groups: dict[tuple[str, str, str], RawRecord] = {}
    records: list[RawRecord] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records.append(RawRecord(reader.line_num, None, f"unreadable CSV row: {exc}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            records.append(RawRecord(line, None, f"expected {len(columns)} columns, found {len(row)}"))
            continue
        values = dict(zip(columns, (cell.strip() for cell in row), strict=True))
        key = (values["ticket_id"], values["agent"], values["started_at"])
        turn = {"speaker": values.get("speaker"), "at": values.get("at"), "text": values.get("text")}
        record = groups.get(key)
        if record is None:
            interaction = {k: values.get(k) for k in CSV_COLUMNS[:7]}
            interaction["transcript"] = []
            record = groups[key] = RawRecord(line, interaction, turn_refs=[])
            records.append(record)
        record.data["transcript"].append(turn)
        record.turn_refs.append(line)
    return records, encoding


def api_records(items: Sequence[Any]) -> list[RawRecord]:
    return [
        RawRecord(
            index,
            item if isinstance(item, dict) else None,
            None if isinstance(item, dict) else "each interaction must be a JSON object",
        )
        for index, item in enumerate(items)
    ]


# --- storing ---------------------------------------------------------------------------------------------


def extra_patterns(session: Session) -> list[ExtraPattern]:
    """The enabled admin patterns, compiled. A pattern that no longer compiles is skipped and logged
    (by id only), so a bad pattern cannot stop imports."""
    out = []
    for row in session.exec(select(MaskingPattern).where(MaskingPattern.enabled).order_by(MaskingPattern.id)):
        try:
            out.append(ExtraPattern.compile(row.label, row.pattern))
        except PatternError:
            log.warning("masking pattern %s is invalid and was skipped", row.id)
    return out


def import_records(
    session: Session,
    records: Iterable[RawRecord],
    *,
    actor: User | None,
    ticket_pattern: str,
    tz: tzinfo,
    source: str,
) -> ImportReport:
    """Validate, mask and store interactions; report bad records and duplicates (flushes only).

    Each good record becomes an ``Interaction`` with its masked ``TranscriptTurn`` rows; the unmasked
    text exists only in memory during this call.
    """
    report = ImportReport()
    patterns = extra_patterns(session)
    agents: dict[str, User | None] = {}
    seen: set[tuple[str, int, datetime]] = set()
    for record in records:
        if record.error is not None or record.data is None:
            report.rejected.append(Problem(record.ref, record.error or "not an object"))
            continue
        try:
            parsed = parse_record(
                record.data, ticket_pattern=ticket_pattern, tz=tz, agents=agents, session=session
            )
        except RecordError as exc:
            ref = record.ref
            if exc.turn is not None and record.turn_refs:
                ref = record.turn_refs[exc.turn]
            report.rejected.append(Problem(ref, str(exc)))
            continue
        key = (parsed.ticket_id, parsed.agent.id, parsed.started_at)
        existing = session.exec(
            select(Interaction.id).where(
                Interaction.ticket_id == parsed.ticket_id,
                Interaction.agent_id == parsed.agent.id,
                Interaction.started_at == parsed.started_at,
            )
        ).first()
        if existing is not None or key in seen:
            what = f"interaction {existing}" if existing is not None else "an earlier record of this import"
            report.duplicates.append(
                Problem(
                    record.ref, f"duplicate of {what} (same ticket {parsed.ticket_id}, agent and start time)"
                )
            )
            continue
        seen.add(key)
        interaction = Interaction(
            ticket_id=parsed.ticket_id,
            channel=parsed.channel,
            agent_id=parsed.agent.id,
            started_at=parsed.started_at,
            ended_at=parsed.ended_at,
            csat=parsed.csat,
            complaint=parsed.complaint,
            imported_by_id=actor.id if actor is not None else None,
        )
        session.add(interaction)
        session.flush()
        masked = 0
        for seq, (speaker, at, text) in enumerate(parsed.turns, start=1):
            result = mask_text(text, patterns)
            masked += len(result.spans)
            session.add(
                TranscriptTurn(
                    interaction_id=interaction.id,
                    seq=seq,
                    speaker=speaker,
                    at=at,
                    text=result.text,
                    spans=json.dumps([[s.start, s.end, s.label] for s in result.spans]),
                )
            )
        interaction.masked_values = masked
        report.masked_values += masked
        report.created_ids.append(interaction.id)
    session.flush()
    if report.created_ids or report.rejected or report.duplicates:
        audit.record(
            session,
            actor,
            "interaction.import",
            "interaction",
            None,
            details={
                "source": source,
                "created": report.created,
                "duplicates": len(report.duplicates),
                "rejected": len(report.rejected),
                "masked_values": report.masked_values,
            },
        )
    return report


def import_file(
    session: Session, filename: str, data: bytes, *, actor: User | None, ticket_pattern: str, tz: tzinfo
) -> ImportReport:
    """Import a ``.jsonl`` or ``.csv`` file (decided by the name, else by the content); see the module
    docstring. Raises :class:`ImportFileError` when the file as a whole is unreadable."""
    name = filename.lower()
    if name.endswith((".jsonl", ".json", ".ndjson")):
        records, encoding = read_jsonl(data), "utf-8"
    elif name.endswith((".csv", ".txt")):
        records, encoding = read_csv(data)
    elif data.lstrip()[:1] == b"{":
        records, encoding = read_jsonl(data), "utf-8"
    else:
        records, encoding = read_csv(data)
    report = import_records(
        session, records, actor=actor, ticket_pattern=ticket_pattern, tz=tz, source=filename[-100:]
    )
    report.encoding = encoding
    return report


_WS = re.compile(r"\s+")


def normalise_quote(text: str) -> str:
    """Whitespace-insensitive form used to check that evidence is a quote from the transcript."""
    return _WS.sub(" ", text).strip()


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
