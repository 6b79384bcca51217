"""Interactions in the API: import a list (masked on the way in) and read one back."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from portal.api import ApiError
from portal.auth import role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session, saved_id
from portal.models import Role, User
from qa.interactions import services as imp
from qa.interactions.models import Interaction
from qa.interactions.queries import turns_of
from qa.interactions.records import MAX_RECORDS, RawRecord
from qa.interactions.schemas import Interaction as InteractionOut
from qa.interactions.schemas import InteractionBatch, InteractionImportResult, RecordRefusal
from qa.web import api_bp, api_get_or_404, qa_timezone, signed_in, ticket_pattern


def interaction_dict(interaction: Interaction) -> dict[str, Any]:
    session = get_session()
    agent = session.get(User, interaction.agent_id)
    return {
        "id": interaction.id,
        "ticket_id": interaction.ticket_id,
        "channel": interaction.channel,
        "agent": agent.username if agent else None,
        "started_at": interaction.started_at.isoformat(),
        "ended_at": interaction.ended_at.isoformat() if interaction.ended_at else None,
        "csat": interaction.csat,
        "complaint": interaction.complaint,
        "masked_values": interaction.masked_values,
        "imported_at": interaction.imported_at.isoformat(),
        "transcript": [
            {
                "seq": t.seq,
                "speaker": t.speaker,
                "at": t.at.isoformat() if t.at else None,
                "text": t.text,
                "masked": [{"start": s, "end": e, "kind": k} for s, e, k in t.span_list()],
            }
            for t in turns_of(session, saved_id(interaction))
        ],
    }


def _records(batch: InteractionBatch) -> list[RawRecord]:
    return [
        RawRecord(index, None, item.error)
        if isinstance(item, RecordRefusal)
        else RawRecord(index, item.record())
        for index, item in enumerate(batch.root)
    ]


@api_bp.post("/interactions")
@role_required(Role.QA)
@operation(
    "Import interactions (masked before storing); bad records are reported by list index",
    body=InteractionBatch,
    responses={
        201: Answer("some were created", InteractionImportResult),
        200: Answer("nothing new (duplicates only)", InteractionImportResult),
        413: Answer("too many records"),
    },
)
def create_interactions(body: InteractionBatch):
    if len(body.root) > MAX_RECORDS:
        raise ApiError(413, f"send at most {MAX_RECORDS} interactions per request")
    report = imp.import_records(
        get_session(),
        _records(body),
        actor=signed_in(),
        ticket_pattern=ticket_pattern(),
        tz=qa_timezone(),
        source="api",
    )
    problems = sorted(report.rejected + report.duplicates, key=lambda p: p.ref)
    with force_locale("en"):  # API clients get stable English messages
        rejected = [{"index": p.ref, "error": p.error} for p in problems]
    result = {
        "created": report.created,
        "ids": report.created_ids,
        "rejected": rejected,
        "duplicates": len(report.duplicates),
    }
    if report.created == 0 and report.rejected:
        raise ApiError(400, "no interaction was imported", details=result)
    return result, 201 if report.created else 200


@api_bp.get("/interactions/<int:interaction_id>")
@role_required(Role.QA, Role.LEAD)
@operation(
    "One interaction with its masked transcript",
    path=id_path("interaction_id"),
    responses={200: Answer("the interaction", InteractionOut)},
)
def get_interaction(interaction_id: int):
    return interaction_dict(api_get_or_404(Interaction, interaction_id, "interaction"))
