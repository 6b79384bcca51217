"""Reading interaction files: JSON Lines, and CSV in UTF-8 or GBK, into ``RawRecord`` objects with line numbers.

CSV layout: one row per transcript turn. Rows with the same ticket, agent and start time form one
interaction; the interaction's fields are taken from its first row. Header names are English or Chinese::

    ticket_id,channel,agent,started_at,ended_at,csat,complaint,speaker,at,text
    工单号,渠道,客服,开始时间,结束时间,满意度,投诉,发言人,时间,内容
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from portal.domain import DomainError
from qa.interactions.records import RawRecord


class ImportFileError(DomainError):
    """The whole file cannot be read (encoding, CSV header); nothing was imported."""


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
        transcript: list[dict[str, Any]]
        if record is None:
            interaction: dict[str, Any] = {k: values.get(k) for k in CSV_COLUMNS[:7]}
            interaction["transcript"] = transcript = []
            record = groups[key] = RawRecord(line, interaction, turn_refs=[])
            records.append(record)
        else:
            transcript = record.data["transcript"] if record.data else []
        transcript.append(turn)
        if record.turn_refs is not None:
            record.turn_refs.append(line)
    return records, encoding
