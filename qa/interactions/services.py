"""Importing interactions (会话记录) from JSONL, CSV (UTF-8 or GBK) and the API, masking on the way in.

Every source is turned into ``RawRecord`` objects (one interaction each, with the line numbers it came
from) and goes through :func:`import_records`, which validates, masks with ``portal.masking`` and stores. A bad
record is reported with its line number (or list index) and reason; good records land; a duplicate (same
ticket + agent + start) is skipped and reported. The unmasked text is never stored and never logged:
error messages name fields and positions, never transcript content; what they quote of a record (a ticket
ID, an agent's name, a time) is masked like a transcript before anyone sees it.

The record format is in ``qa.interaction_records``, the file formats in ``qa.interaction_files``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from portal import audit
from portal.db import saved_id
from portal.masking import ExtraPattern, extra_patterns, mask_text
from portal.models import User
from qa.interactions.files import read_csv, read_jsonl
from qa.interactions.models import Interaction, TranscriptTurn
from qa.interactions.records import NOT_AN_OBJECT, ParsedInteraction, RawRecord, RecordError, parse_record


@dataclass
class Problem:
    """A rejected or skipped record: its line number or list index and why (text or a lazy translation).

    The reason may quote what the record held (a phone number typed where the ticket ID belongs), so it is
    only ever read through ``error``, masked; it is rendered when read, in the reader's language."""

    ref: int
    reason: Any
    patterns: list[ExtraPattern] = field(default_factory=list, repr=False)

    @property
    def error(self) -> str:
        return mask_text(str(self.reason), self.patterns).text


@dataclass
class ImportReport:
    """What an import did. ``rejected`` and ``duplicates`` carry line numbers or list indexes."""

    created_ids: list[int] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    masked_values: int = 0
    encoding: str | None = None
    patterns: list[ExtraPattern] = field(default_factory=list, repr=False)

    def reject(self, ref: int, reason: Any) -> None:
        self.rejected.append(Problem(ref, reason, self.patterns))

    def skip(self, ref: int, reason: Any) -> None:
        self.duplicates.append(Problem(ref, reason, self.patterns))

    @property
    def created(self) -> int:
        return len(self.created_ids)


def _parse(
    session: Session,
    record: RawRecord,
    *,
    ticket_pattern: str,
    tz: tzinfo,
    agents: dict[str, User | None],
    report: ImportReport,
) -> ParsedInteraction | None:
    """The record's fields checked, or None after reporting why it is rejected (at the turn's line)."""
    if record.error is not None or record.data is None:
        report.reject(record.ref, record.error or NOT_AN_OBJECT)
        return None
    try:
        return parse_record(record.data, ticket_pattern=ticket_pattern, tz=tz, agents=agents, session=session)
    except RecordError as exc:
        ref = record.ref
        if exc.turn is not None and record.turn_refs:
            ref = record.turn_refs[exc.turn]
        report.reject(ref, exc.message)
        return None


def _duplicate_of(
    session: Session, parsed: ParsedInteraction, seen: set[tuple[str, int, datetime]]
) -> Any | None:
    """What the record duplicates (same ticket, agent and start): a stored interaction or an earlier
    record of this import; None when it is new."""
    existing = session.exec(
        select(col(Interaction.id)).where(
            col(Interaction.ticket_id) == parsed.ticket_id,
            col(Interaction.agent_id) == parsed.agent.id,
            col(Interaction.started_at) == parsed.started_at,
        )
    ).first()
    if existing is not None:
        return _l(
            "duplicate of interaction %(id)d (same ticket %(ticket)s, agent and start time)",
            id=existing,
            ticket=parsed.ticket_id,
        )
    if (parsed.ticket_id, saved_id(parsed.agent), parsed.started_at) in seen:
        return _l(
            "duplicate of an earlier record of this import (same ticket %(ticket)s, agent and start time)",
            ticket=parsed.ticket_id,
        )
    return None


def _store(
    session: Session, parsed: ParsedInteraction, actor: User | None, patterns: list[ExtraPattern]
) -> tuple[Interaction, int]:
    """Store the interaction and its transcript, masked; returns it and the number of masked values."""
    interaction = Interaction(
        ticket_id=parsed.ticket_id,
        channel=parsed.channel,
        agent_id=saved_id(parsed.agent),
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
                interaction_id=saved_id(interaction),
                seq=seq,
                speaker=speaker,
                at=at,
                text=result.text,
                spans=json.dumps([[s.start, s.end, s.label] for s in result.spans]),
            )
        )
    interaction.masked_values = masked
    return interaction, masked


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

    Each record is parsed (a bad one is reported and skipped), checked for duplicates (reported and
    skipped), then stored as an ``Interaction`` with its masked ``TranscriptTurn`` rows; the unmasked text
    exists only in memory during this call.
    """
    patterns = extra_patterns(session)
    report = ImportReport(patterns=patterns)
    agents: dict[str, User | None] = {}
    seen: set[tuple[str, int, datetime]] = set()
    for record in records:
        parsed = _parse(session, record, ticket_pattern=ticket_pattern, tz=tz, agents=agents, report=report)
        if parsed is None:
            continue
        duplicate = _duplicate_of(session, parsed, seen)
        if duplicate is not None:
            report.skip(record.ref, duplicate)
            continue
        seen.add((parsed.ticket_id, saved_id(parsed.agent), parsed.started_at))
        interaction, masked = _store(session, parsed, actor, patterns)
        report.masked_values += masked
        report.created_ids.append(saved_id(interaction))
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
