"""Reading interaction files: JSON Lines, and CSV in UTF-8 or GBK, into ``RawRecord`` objects with line numbers.

CSV layout: one row per transcript turn. Rows with the same ticket, agent and start time form one
interaction; the interaction's fields are taken from its first row. Header names are English or Chinese::

    ticket_id,channel,agent,started_at,ended_at,csat,complaint,speaker,at,text
    工单号,渠道,客服,开始时间,结束时间,满意度,投诉,发言人,时间,内容

Files are decoded line by line so that one line that is not text never costs the others: a JSONL line that is
not UTF-8, or a CSV line that is not text in the file's encoding, becomes an error record with its number.
A CSV file's encoding is decided by its lines (UTF-8 unless more of its non-ASCII lines read as GBK than as
UTF-8); only a header that cannot be read rejects the file as a whole.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.domain import DomainError
from portal.masking import mask_text
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


ENCODINGS = {"utf-8": "utf-8", "gbk": "gb18030"}  # the name reported -> the codec (GB18030 extends GBK)


def _decodes(line: bytes, codec: str) -> bool:
    try:
        line.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def file_encoding(lines: list[bytes]) -> str:
    """``utf-8`` or ``gbk`` (as written by Chinese Excel): the one more of the non-ASCII lines read as.
    GB18030 reads much of what is not UTF-8, so a line counts for GBK only when it is not UTF-8."""
    utf8 = gbk = 0
    for line in lines:
        if line.isascii():
            continue
        if _decodes(line, "utf-8"):
            utf8 += 1
        elif _decodes(line, "gb18030"):
            gbk += 1
    return "gbk" if gbk > utf8 else "utf-8"


def decode_lines(data: bytes, encoding: str) -> list[str | None]:
    """Each line (its line break kept) decoded, or None where it is not text in ``encoding``."""
    decoded: list[str | None] = []
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        codec = ENCODINGS[encoding]
        if number == 1 and encoding == "utf-8":
            codec = "utf-8-sig"
        try:
            decoded.append(line.decode(codec))
        except UnicodeDecodeError:
            decoded.append(None)
    return decoded


def not_text(encoding: str) -> Any:
    return _l("the line is not %(encoding)s text", encoding="UTF-8" if encoding == "utf-8" else "GBK")


def read_jsonl(data: bytes) -> list[RawRecord]:
    """One JSON object a line; blank lines are skipped; a broken line becomes an error record."""
    records: list[RawRecord] = []
    for number, text in enumerate(decode_lines(data, "utf-8"), start=1):
        if text is None:
            records.append(RawRecord(number, None, not_text("utf-8")))
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            records.append(
                RawRecord(number, None, _l("broken JSON: %(msg)s at column %(n)d", msg=exc.msg, n=exc.colno))
            )
            continue
        except RecursionError:  # nested deeper than the parser goes
            records.append(RawRecord(number, None, _l("broken JSON: nested too deeply")))
            continue
        records.append(RawRecord(number, obj))
    return records


def read_csv(data: bytes) -> tuple[list[RawRecord], str]:
    """Rows → interactions (grouped by ticket, agent and start); returns the records and the encoding.

    A row on a line that is not text is read with the bad bytes replaced, only to find its conversation:
    that conversation is refused whole (reported at the bad line) rather than stored without the turn."""
    encoding = file_encoding(data.splitlines())
    decoded = decode_lines(data, encoding)
    if decoded and decoded[0] is None:
        raise ImportFileError(_l("the file is neither UTF-8 nor GBK text"))
    bad_lines = {number for number, text in enumerate(decoded, start=1) if text is None}
    raw_lines = data.splitlines(keepends=True)
    reader = csv.reader(
        text if text is not None else raw_lines[i].decode(ENCODINGS[encoding], errors="replace")
        for i, text in enumerate(decoded)
    )
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_l("the file is empty")) from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: {exc}") from None
    columns = [CSV_HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    # The refusal quotes the unknown header cells: a data row pasted over the header must not be echoed.
    unknown = [mask_text(h).text for h, c in zip(header, columns, strict=True) if c not in CSV_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        raise ImportFileError(
            _l(
                "line 1: the CSV header must name the columns %(columns)s%(missing)s%(unknown)s",
                columns=",".join(CSV_COLUMNS),
                missing=f"; missing: {', '.join(missing)}" if missing else "",
                unknown=f"; unknown: {', '.join(unknown)}" if unknown else "",
            )
        )
    groups: dict[tuple[str, str, str], RawRecord] = {}
    records: list[RawRecord] = []
    last_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records.append(
                RawRecord(reader.line_num, None, _l("unreadable CSV row: %(reason)s", reason=str(exc)))
            )
            last_line = reader.line_num
            continue
        first_line, line, last_line = last_line + 1, reader.line_num, reader.line_num
        unreadable = sorted(n for n in bad_lines if first_line <= n <= line)
        if not unreadable and not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            if unreadable:
                records.append(RawRecord(unreadable[0], None, not_text(encoding)))
            else:
                records.append(
                    RawRecord(
                        line,
                        None,
                        _l("expected %(n)d columns, found %(found)d", n=len(columns), found=len(row)),
                    )
                )
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
        if unreadable and record.error is None:
            # The whole conversation is refused, at the line that could not be read.
            record.ref, record.error = unreadable[0], not_text(encoding)
    return records, encoding
