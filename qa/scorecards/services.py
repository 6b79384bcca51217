"""Scorecard services: create, edit (a frozen version gets a successor), read as a tree, a form input or a
scoring spec. The definition format is in ``qa.scorecard_input``, the default scorecard in ``qa.scorecard_defaults``."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, delete, func, select

from portal import audit
from portal.db import saved_id
from portal.domain import not_found
from portal.models import User
from portal.timeutil import utcnow
from portal.transitions import compare_and_set, insert_once
from qa.scorecards.input import (
    CriterionInput,
    ScorecardInput,
    ScorecardInputError,
    SectionInput,
    validate_input,
)
from qa.scorecards.models import Scorecard, ScorecardCriterion, ScorecardSection, ScorecardVersion
from qa.scorecards.scoring import CriterionSpec, Scale, ScorecardSpec, ScoringMode, SectionSpec


def _write_tree(session: Session, version: ScorecardVersion, inp: ScorecardInput) -> None:
    for i, s in enumerate(inp.sections):
        section = ScorecardSection(
            version_id=saved_id(version), position=i, name=s.name.strip(), weight=s.weight
        )
        session.add(section)
        session.flush()
        for j, c in enumerate(s.criteria):
            session.add(
                ScorecardCriterion(
                    version_id=saved_id(version),
                    section_id=saved_id(section),
                    position=j,
                    name=c.name.strip(),
                    description=c.description.strip(),
                    scale=Scale(c.scale).value,
                    points=c.points,
                    allow_na=c.allow_na,
                    critical=c.critical,
                    guidance=json.dumps(
                        {str(k): v.strip() for k, v in sorted(c.guidance.items()) if v.strip()},
                        ensure_ascii=False,
                    ),
                )
            )
    session.flush()


def _check_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    query = select(col(Scorecard.id)).where(col(Scorecard.name) == name.strip())
    if exclude_id is not None:
        query = query.where(col(Scorecard.id) != exclude_id)
    if session.exec(query).first() is not None:
        raise _name_taken(name)


def _name_taken(name: str) -> ScorecardInputError:
    """A name is unique: taken before or at the same moment, it is a conflict (409)."""
    return ScorecardInputError([f"a scorecard named {name.strip()!r} exists already"], 409)


def create_scorecard(
    session: Session, actor: User | None, inp: ScorecardInput, *, is_default: bool = False
) -> tuple[Scorecard, ScorecardVersion]:
    """Validate and store a new scorecard with its version 1 (flushes only)."""
    validate_input(inp)
    _check_name(session, inp.name)
    card_id = insert_once(
        session,
        Scorecard(
            name=inp.name.strip(),
            description=inp.description.strip(),
            is_default=is_default,
            created_by_id=actor.id if actor else None,
        ),
        ["name"],
    )
    card = session.get(Scorecard, card_id) if card_id is not None else None
    if card is None:  # another request took the name after _check_name
        raise _name_taken(inp.name)
    version = ScorecardVersion(
        scorecard_id=saved_id(card), number=1, mode=inp.mode, created_by_id=saved_id(actor) if actor else None
    )
    session.add(version)
    session.flush()
    _write_tree(session, version, inp)
    audit.record(session, actor, "scorecard.create", "scorecard", card.id, to_state="v1")
    return card, version


def edit_scorecard(
    session: Session, actor: User | None, card: Scorecard, inp: ScorecardInput
) -> ScorecardVersion:
    """Change a scorecard. The latest version is changed in place while no evaluation uses it; once it is
    frozen a new version is made, and evaluations keep the version they were made with."""
    validate_input(inp)
    _check_name(session, inp.name, exclude_id=card.id)
    # Hold the scorecard first: two edits at once are written one after the other (the second one
    # numbers its version after the first one's), then read its latest version.
    compare_and_set(session, card, {}, {"name": inp.name.strip(), "description": inp.description.strip()})
    version = latest_version(session, saved_id(card))
    # In place only while no evaluation uses the version, decided by the database: an evaluation starting
    # at this moment either froze it first (then this edit makes a new version) or waits for this edit.
    if (
        version is not None
        and version.can_edit_in_place()
        and compare_and_set(session, version, {"frozen_at": None}, {"mode": inp.mode})
    ):
        session.exec(delete(ScorecardCriterion).where(col(ScorecardCriterion.version_id) == version.id))
        session.exec(delete(ScorecardSection).where(col(ScorecardSection.version_id) == version.id))
        session.flush()
        action, from_state = "scorecard.edit", f"v{version.number}"
    else:
        number = (version.number if version else 0) + 1
        from_state = f"v{number - 1}"
        version = ScorecardVersion(
            scorecard_id=saved_id(card),
            number=number,
            mode=inp.mode,
            created_by_id=saved_id(actor) if actor else None,
        )
        session.add(version)
        session.flush()
        action = "scorecard.new_version"
    _write_tree(session, version, inp)
    audit.record(
        session, actor, action, "scorecard", card.id, from_state=from_state, to_state=f"v{version.number}"
    )
    return version


def freeze_version(session: Session, version: ScorecardVersion) -> None:
    """Mark ``version`` as used by an evaluation: from now on edits make a new version."""
    if version.frozen_at is None:
        version.frozen_at = utcnow()
        session.add(version)
        session.flush()


def latest_version(session: Session, scorecard_id: int) -> ScorecardVersion | None:
    return session.exec(
        select(ScorecardVersion)
        .where(col(ScorecardVersion.scorecard_id) == scorecard_id)
        .order_by(col(ScorecardVersion.number).desc())
    ).first()


def current_version(session: Session, card: Scorecard) -> ScorecardVersion:
    """The newest version of a stored scorecard (every scorecard is created with version 1)."""
    version = latest_version(session, saved_id(card))
    if version is None:
        raise not_found("version of scorecard", card.id)
    return version


def versions_of(session: Session, scorecard_id: int) -> list[ScorecardVersion]:
    return list(
        session.exec(
            select(ScorecardVersion)
            .where(col(ScorecardVersion.scorecard_id) == scorecard_id)
            .order_by(col(ScorecardVersion.number).desc())
        )
    )


def default_scorecard(session: Session) -> Scorecard | None:
    """The scorecard used when a plan names none: the default one, else the oldest active one."""
    card = session.exec(select(Scorecard).where(col(Scorecard.is_default), col(Scorecard.active))).first()
    return (
        card
        or session.exec(select(Scorecard).where(col(Scorecard.active)).order_by(col(Scorecard.id))).first()
    )


def sections_and_criteria(
    session: Session, version_id: int
) -> tuple[list[ScorecardSection], list[ScorecardCriterion]]:
    sections = list(
        session.exec(
            select(ScorecardSection)
            .where(col(ScorecardSection.version_id) == version_id)
            .order_by(col(ScorecardSection.position))
        )
    )
    order = {s.id: s.position for s in sections}
    criteria = sorted(
        session.exec(select(ScorecardCriterion).where(col(ScorecardCriterion.version_id) == version_id)),
        key=lambda c: (order.get(c.section_id, 0), c.position),
    )
    return sections, criteria


def spec_for(session: Session, version: ScorecardVersion) -> ScorecardSpec:
    """The scoring spec of a stored version (ids are the database ids)."""
    sections, criteria = sections_and_criteria(session, saved_id(version))
    return ScorecardSpec(
        mode=ScoringMode(version.mode),
        sections=tuple(SectionSpec(id=s.id, name=s.name, weight=s.weight) for s in sections),
        criteria=tuple(
            CriterionSpec(
                id=c.id,
                name=c.name,
                scale=Scale(c.scale),
                points=c.points,
                allow_na=c.allow_na,
                critical=c.critical,
                section_id=c.section_id,
            )
            for c in criteria
        ),
    )


def version_tree(session: Session, card: Scorecard, version: ScorecardVersion) -> dict[str, Any]:
    """The API shape of a scorecard version: the POST body with ids on every level."""
    sections, criteria = sections_and_criteria(session, saved_id(version))
    count = session.exec(
        select(func.count())
        .select_from(ScorecardVersion)
        .where(col(ScorecardVersion.scorecard_id) == card.id)
    ).one()
    return {
        "id": card.id,
        "name": card.name,
        "description": card.description,
        "version_id": version.id,
        "version": version.number,
        "versions": count,
        "frozen": version.is_frozen,
        "mode": version.mode,
        "sections": [
            {
                "id": s.id,
                "name": s.name,
                "weight": s.weight,
                "criteria": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "description": c.description,
                        "scale": c.scale,
                        "points": c.points,
                        "allow_na": c.allow_na,
                        "critical": c.critical,
                        "guidance": {str(k): v for k, v in c.guidance_map().items()},
                    }
                    for c in criteria
                    if c.section_id == s.id
                ],
            }
            for s in sections
        ],
    }


def input_from_version(session: Session, card: Scorecard, version: ScorecardVersion) -> ScorecardInput:
    """The editable definition of a stored version (to pre-fill the edit form)."""
    sections, criteria = sections_and_criteria(session, saved_id(version))
    return ScorecardInput(
        name=card.name,
        mode=version.mode,
        description=card.description,
        sections=[
            SectionInput(
                name=s.name,
                weight=s.weight,
                criteria=[
                    CriterionInput(
                        name=c.name,
                        scale=c.scale,
                        points=c.points,
                        allow_na=c.allow_na,
                        critical=c.critical,
                        description=c.description,
                        guidance=c.guidance_map(),
                    )
                    for c in criteria
                    if c.section_id == s.id
                ],
            )
            for s in sections
        ],
    )
