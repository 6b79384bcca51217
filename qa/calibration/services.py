"""Calibration sessions: several graders score the same interactions blind, then the session closes and
shows the consensus per criterion, each grader's deviation (per criterion and in total, flagged outside ±5
points) and Krippendorff's alpha (interval level), all computed by ``qa.stats.calibration_results``.

Blindness: while a session is open nobody, its creator included, can read another grader's ratings —
only who has finished which interaction. Calibration ratings are not evaluations, so they never count in
IQS and never reach an agent.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from portal import audit
from portal.db import saved_id
from portal.domain import DomainError, not_found
from portal.masking import free_text_masker
from portal.models import Role, User, UserRole
from portal.timeutil import utcnow
from portal.transitions import compare_and_set
from qa.calibration.models import (
    CalibrationGrader,
    CalibrationItem,
    CalibrationRating,
    CalibrationSession,
    CalibrationStatus,
)
from qa.calibration.schemas import CalibrationInput, CalibrationRatings
from qa.interactions.models import Interaction
from qa.scorecards.models import ScorecardCriterion, ScorecardVersion
from qa.scorecards.scoring import RatingValue, Scale, criterion_score, validate_ratings
from qa.scorecards.services import freeze_version, sections_and_criteria, spec_for
from qa.stats import FLAG_THRESHOLD, calibration_results

MAX_GRADERS = 20
GRADER_ROLES = {Role.QA.value, Role.LEAD.value, Role.ADMIN.value}


def _graders(session: Session, inp: CalibrationInput) -> tuple[list[str], dict[str, User]]:
    """The graders' usernames (the expert added last) and their accounts; refuses too few, too many and
    anyone who is not an active QA specialist or lead."""
    names = list(dict.fromkeys(g.strip() for g in inp.graders if g.strip()))
    if inp.expert and inp.expert not in names:
        names.append(inp.expert)
    if len(names) < 2:
        raise DomainError("a calibration needs at least two graders", details={"field": "graders"})
    if len(names) > MAX_GRADERS:
        raise DomainError(f"at most {MAX_GRADERS} graders", details={"field": "graders"})
    users = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))}
    roles: dict[int, set[str]] = {}
    for uid, role in session.exec(
        select(col(UserRole.user_id), col(UserRole.role)).where(
            col(UserRole.user_id).in_([u.id for u in users.values()])
        )
    ):
        roles.setdefault(uid, set()).add(role)
    bad = [
        n
        for n in names
        if n not in users or not users[n].is_active or not roles.get(users[n].id or 0, set()) & GRADER_ROLES
    ]
    if bad:
        raise DomainError(
            f"graders must be active QA specialists or leads: {', '.join(bad)}", details={"field": "graders"}
        )
    return names, users


def _decide_session(
    session: Session, inp: CalibrationInput
) -> tuple[ScorecardVersion, list[str], dict[str, User]]:
    """Check what the new session refers to (interactions, scorecard version, graders); writes nothing."""
    found = set(session.exec(select(col(Interaction.id)).where(col(Interaction.id).in_(inp.interaction_ids))))
    unknown = [i for i in inp.interaction_ids if i not in found]
    if unknown:
        raise DomainError(f"interactions {unknown} do not exist", details={"field": "interaction_ids"})
    version = session.get(ScorecardVersion, inp.scorecard_version_id)
    if version is None:
        raise DomainError(
            f"scorecard version {inp.scorecard_version_id} does not exist",
            details={"field": "scorecard_version_id"},
        )
    names, users = _graders(session, inp)
    return version, names, users


def create_calibration(session: Session, actor: User, inp: CalibrationInput) -> CalibrationSession:
    """Open a session on ``inp.interaction_ids`` (1–50) for ``inp.graders`` (usernames of at least two QA
    specialists or leads; a named ``expert`` is added to them and becomes the consensus)."""
    version, names, users = _decide_session(session, inp)
    cal = CalibrationSession(
        name=inp.name,
        scorecard_version_id=saved_id(version),
        expert_id=users[inp.expert].id if inp.expert else None,
        created_by_id=actor.id,
    )
    session.add(cal)
    session.flush()
    for pos, iid in enumerate(inp.interaction_ids):
        session.add(CalibrationItem(calibration_id=saved_id(cal), interaction_id=iid, position=pos))
    for n in names:
        session.add(CalibrationGrader(calibration_id=saved_id(cal), grader_id=saved_id(users[n])))
    freeze_version(session, version)
    audit.record(
        session,
        actor,
        "calibration.create",
        "calibration",
        cal.id,
        to_state=CalibrationStatus.OPEN,
        details={"interactions": inp.interaction_ids, "graders": names, "expert": inp.expert},
    )
    session.flush()
    return cal


def get_calibration(session: Session, calibration_id: int) -> CalibrationSession:
    cal = session.get(CalibrationSession, calibration_id)
    if cal is None:
        raise not_found("calibration", calibration_id)
    return cal


def grader_ids(session: Session, cal: CalibrationSession) -> list[int]:
    return list(
        session.exec(
            select(col(CalibrationGrader.grader_id))
            .where(col(CalibrationGrader.calibration_id) == cal.id)
            .order_by(col(CalibrationGrader.grader_id))
        )
    )


def interaction_ids(session: Session, cal: CalibrationSession) -> list[int]:
    return list(
        session.exec(
            select(col(CalibrationItem.interaction_id))
            .where(col(CalibrationItem.calibration_id) == cal.id)
            .order_by(col(CalibrationItem.position))
        )
    )


def may_view(session: Session, cal: CalibrationSession, user: User, roles: set[str]) -> bool:
    """Graders, the creator, QA specialists and admins; leads only once they are graders."""
    return bool(
        roles & {Role.QA.value, Role.ADMIN.value}
        or user.id == cal.created_by_id
        or user.id in grader_ids(session, cal)
    )


def submit_ratings(
    session: Session, actor: User, cal: CalibrationSession, inp: CalibrationRatings
) -> list[CalibrationRating]:
    """A grader rates every criterion of one interaction of an open session (again = replace). The
    comments are stored masked."""
    inp = inp.masked(free_text_masker(session))
    if actor.id not in grader_ids(session, cal):
        raise DomainError("you are not a grader of this calibration", 403)
    if not cal.state.can_rate():
        raise DomainError("the calibration is closed", 409)
    if inp.interaction_id not in interaction_ids(session, cal):
        raise DomainError(
            f"interaction {inp.interaction_id} is not part of this calibration",
            details={"field": "interaction_id"},
        )
    values: dict[Any, RatingValue] = {r.criterion_id: r.value for r in inp.ratings}
    version = session.get(ScorecardVersion, cal.scorecard_version_id)
    if version is None:  # a foreign key: only a concurrent delete gets here
        raise not_found("scorecard version", cal.scorecard_version_id)
    validate_ratings(spec_for(session, version), values)  # RatingError: 400 with the problems
    # Hold the session open while the ratings are written: a close that comes at the same moment either
    # waits and counts them, or has closed it first and this rating is refused.
    if not compare_and_set(session, cal, {"status": CalibrationStatus.OPEN.value}, {}):
        raise DomainError("the calibration was closed in the meantime", 409)

    session.exec(
        delete(CalibrationRating).where(
            col(CalibrationRating.calibration_id) == cal.id,
            col(CalibrationRating.grader_id) == actor.id,
            col(CalibrationRating.interaction_id) == inp.interaction_id,
        )
    )
    rows = [
        CalibrationRating(
            calibration_id=saved_id(cal),
            grader_id=actor.id,
            interaction_id=inp.interaction_id,
            criterion_id=r.criterion_id,
            value=None if r.value is None else int(r.value),
            comment=r.comment,
        )
        for r in inp.ratings
    ]
    session.add_all(rows)
    audit.record(
        session,
        actor,
        "calibration.rate",
        "calibration",
        cal.id,
        details={"interaction_id": inp.interaction_id},
    )
    session.flush()
    return rows


def own_ratings(
    session: Session, cal: CalibrationSession, grader_id: int
) -> dict[int, dict[int, CalibrationRating]]:
    """interaction id → criterion id → the grader's own rating (what a grader may see while open)."""
    out: dict[int, dict[int, CalibrationRating]] = {}
    for r in session.exec(
        select(CalibrationRating).where(
            col(CalibrationRating.calibration_id) == cal.id, col(CalibrationRating.grader_id) == grader_id
        )
    ):
        out.setdefault(r.interaction_id, {})[r.criterion_id] = r
    return out


def progress(session: Session, cal: CalibrationSession) -> dict[int, set[int]]:
    """grader id → the interactions they have rated (no values: safe to show while open)."""
    done: dict[int, set[int]] = {g: set() for g in grader_ids(session, cal)}
    for grader, interaction in session.exec(
        select(col(CalibrationRating.grader_id), col(CalibrationRating.interaction_id))
        .where(col(CalibrationRating.calibration_id) == cal.id)
        .distinct()
    ):
        done.setdefault(grader, set()).add(interaction)
    return done


def all_ratings(session: Session, cal: CalibrationSession) -> dict[int, dict[int, dict[int, int | None]]]:
    """grader id → interaction id → criterion id → rating value. Only for closed sessions."""
    if cal.state is not CalibrationStatus.CLOSED:
        raise DomainError("ratings stay hidden until the calibration closes", 403)
    out: dict[int, dict[int, dict[int, int | None]]] = {}
    for r in session.exec(select(CalibrationRating).where(col(CalibrationRating.calibration_id) == cal.id)):
        out.setdefault(r.grader_id, {}).setdefault(r.interaction_id, {})[r.criterion_id] = r.value
    return out


def close_calibration(
    session: Session, actor: User, cal: CalibrationSession, *, is_admin: bool = False
) -> dict:
    """Close the session (its creator or an admin) and fix its results: consensus per criterion, deviation
    per grader (total and per criterion, flagged outside ±5 points) and Krippendorff's alpha (interval;
    units are (interaction, criterion) pairs, values the criterion scores c, N/A missing)."""
    if actor.id != cal.created_by_id and not is_admin:
        raise DomainError("only the creator of the calibration can close it", 403)
    if not cal.state.can_close():
        raise DomainError("the calibration is already closed", 409)
    # Close first, then read the ratings: a rating sent at the same moment is either in before (and
    # counted) or refused, never stored after the results were fixed.
    open_state = {"status": CalibrationStatus.OPEN.value, "closed_at": None, "closed_by_id": None}
    closed_state = {"status": CalibrationStatus.CLOSED.value, "closed_at": utcnow(), "closed_by_id": actor.id}
    if not compare_and_set(session, cal, {"status": CalibrationStatus.OPEN.value}, closed_state):
        raise DomainError("the calibration is already closed", 409)
    try:
        body = _results(session, cal)
    except DomainError:
        # Nothing changed on a refusal (a page redirects after it, which commits): reopen it.
        compare_and_set(session, cal, {"status": CalibrationStatus.CLOSED.value}, open_state)
        raise
    cal.alpha = body["alpha"]
    cal.results = json.dumps(body, ensure_ascii=False)
    session.add(cal)
    audit.record(
        session,
        actor,
        "calibration.close",
        "calibration",
        cal.id,
        from_state=CalibrationStatus.OPEN,
        to_state=CalibrationStatus.CLOSED,
        details={"alpha": body["alpha"]},
    )
    session.flush()
    return body


def _results(session: Session, cal: CalibrationSession) -> dict:
    """The results of a session from its stored ratings; refuses (409) too few graders or a missing
    expert."""
    _sections, criteria = sections_and_criteria(session, cal.scorecard_version_id)
    scales = {c.id: Scale(c.scale) for c in criteria}
    raw: dict[int, dict[int, dict[int, int | None]]] = {}
    for r in session.exec(select(CalibrationRating).where(col(CalibrationRating.calibration_id) == cal.id)):
        raw.setdefault(r.grader_id, {}).setdefault(r.interaction_id, {})[r.criterion_id] = r.value
    if len(raw) < 2:
        raise DomainError("at least two graders must have rated before the calibration can close", 409)
    if cal.expert_id is not None and cal.expert_id not in raw:
        raise DomainError("the expert has not rated yet", 409)
    scores: dict[Hashable, Mapping[Hashable, Mapping[Hashable, float | None]]] = {
        g: {i: {cid: criterion_score(scales[cid], v) for cid, v in by_c.items()} for i, by_c in by_i.items()}
        for g, by_i in raw.items()
    }
    result = calibration_results(scores, expert=cal.expert_id)
    people: dict[Hashable, User] = {
        saved_id(u): u for u in session.exec(select(User).where(col(User.id).in_(list(raw))))
    }
    names = {c.id: c.name for c in criteria}
    body = {
        "alpha": result.alpha,
        "expert": people[cal.expert_id].username if cal.expert_id else None,
        "threshold": FLAG_THRESHOLD,
        "graders": [
            {
                "grader": people[g.grader].username,
                "deviation": g.deviation,
                "bias": g.bias,
                "n_units": g.n_units,
                "flagged": g.flagged,
                "criteria": [
                    {
                        "criterion_id": cid,
                        "deviation": g.per_criterion[cid],
                        "bias": g.per_criterion_bias[cid],
                    }
                    for cid in names
                    if cid in g.per_criterion
                ],
            }
            for g in sorted(result.graders, key=lambda g: people[g.grader].username)
        ],
        "criteria": [
            {"criterion_id": cid, "name": names[cid], "consensus": result.criterion_consensus.get(cid)}
            for cid in names
        ],
    }
    return body


@dataclass
class CalibrationPage:
    cal: CalibrationSession
    interactions: list[Interaction]
    criteria: list[ScorecardCriterion]
    graders: list[User]
    done: dict[int, set[int]]
    mine: dict[int, dict[int, CalibrationRating]]
    everyone: dict[int, dict[int, dict[int, int | None]]] | None
    results: dict


def page(session: Session, cal: CalibrationSession, viewer: User) -> CalibrationPage:
    """What one viewer may see of a session: progress always, own ratings, everyone's after closing."""
    ids = interaction_ids(session, cal)
    by_id = {i.id: i for i in session.exec(select(Interaction).where(col(Interaction.id).in_(ids)))}
    _sections, criteria = sections_and_criteria(session, cal.scorecard_version_id)
    graders = list(
        session.exec(
            select(User).where(col(User.id).in_(grader_ids(session, cal))).order_by(col(User.username))
        )
    )
    closed = cal.state is CalibrationStatus.CLOSED
    return CalibrationPage(
        cal=cal,
        interactions=[by_id[i] for i in ids if i in by_id],
        criteria=criteria,
        graders=graders,
        done=progress(session, cal),
        mine=own_ratings(session, cal, saved_id(viewer)),
        everyone=all_ratings(session, cal) if closed else None,
        results=cal.result_dict() if closed else {},
    )


def list_calibrations(session: Session, limit: int = 100) -> list[CalibrationSession]:
    return list(
        session.exec(select(CalibrationSession).order_by(col(CalibrationSession.id).desc()).limit(limit))
    )
