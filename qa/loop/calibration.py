"""Calibration sessions: several graders score the same interactions blind, then the session closes and
shows the consensus per criterion, each grader's deviation (per criterion and in total, flagged outside ±5
points) and Krippendorff's alpha (interval level), all computed by ``qa.stats.calibration_results``.

Blindness: while a session is open nobody, its creator included, can read another grader's ratings —
only who has finished which interaction. Calibration ratings are not evaluations, so they never count in
IQS and never reach an agent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from portal import audit
from portal.models import Role, User, UserRole
from portal.timeutil import utcnow
from qa.loop.errors import LoopError, not_found, rating_problems
from qa.loop.models import (
    CalibrationGrader,
    CalibrationItem,
    CalibrationRating,
    CalibrationSession,
    CalibrationStatus,
)
from qa.models import Interaction, ScorecardCriterion, ScorecardVersion
from qa.scorecards import freeze_version, sections_and_criteria, spec_for
from qa.scoring import RatingError, Scale, criterion_score, validate_ratings
from qa.stats import FLAG_THRESHOLD, calibration_results

MAX_INTERACTIONS = 50
MAX_GRADERS = 20
GRADER_ROLES = {Role.QA.value, Role.LEAD.value, Role.ADMIN.value}


MAX_ID = 2**31 - 1


def is_id(value: Any) -> bool:
    """A database id: a positive whole number that fits a 32-bit column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _int_list(value: Any, field: str) -> list[int]:
    if not isinstance(value, list) or not all(is_id(v) for v in value):
        raise LoopError(f"{field} must be a list of ids (positive integers)", details={"field": field})
    return value


def create_calibration(
    session: Session,
    actor: User,
    name: Any,
    interaction_ids: Any,
    scorecard_version_id: Any,
    graders: Any,
    expert: Any = None,
) -> CalibrationSession:
    """Open a session on ``interaction_ids`` (1–50) for ``graders`` (usernames of at least two QA
    specialists or leads; a named ``expert`` is added to them and becomes the consensus)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise LoopError("name must be 1–200 characters", details={"field": "name"})
    ids = _int_list(interaction_ids, "interaction_ids")
    if not ids or len(ids) > MAX_INTERACTIONS or len(set(ids)) != len(ids):
        raise LoopError(
            f"choose 1–{MAX_INTERACTIONS} different interactions", details={"field": "interaction_ids"}
        )
    found = set(session.exec(select(Interaction.id).where(col(Interaction.id).in_(ids))))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise LoopError(f"interactions {unknown} do not exist", details={"field": "interaction_ids"})
    if not is_id(scorecard_version_id):
        raise LoopError(
            "scorecard_version_id must be an id (positive integer)", details={"field": "scorecard_version_id"}
        )
    version = session.get(ScorecardVersion, scorecard_version_id)
    if version is None:
        raise LoopError(
            f"scorecard version {scorecard_version_id} does not exist",
            details={"field": "scorecard_version_id"},
        )
    if not isinstance(graders, list) or not all(isinstance(g, str) for g in graders):
        raise LoopError("graders must be a list of usernames", details={"field": "graders"})
    if expert is not None and not isinstance(expert, str):
        raise LoopError("expert must be a username or null", details={"field": "expert"})
    names = list(dict.fromkeys(g.strip() for g in graders if g.strip()))
    if expert and expert.strip() and expert.strip() not in names:
        names.append(expert.strip())
    if len(names) < 2:
        raise LoopError("a calibration needs at least two graders", details={"field": "graders"})
    if len(names) > MAX_GRADERS:
        raise LoopError(f"at most {MAX_GRADERS} graders", details={"field": "graders"})
    users = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))}
    roles: dict[int, set[str]] = {}
    for uid, role in session.exec(
        select(UserRole.user_id, UserRole.role).where(
            col(UserRole.user_id).in_([u.id for u in users.values()])
        )
    ):
        roles.setdefault(uid, set()).add(role)
    bad = [
        n
        for n in names
        if n not in users or not users[n].is_active or not roles.get(users[n].id, set()) & GRADER_ROLES
    ]
    if bad:
        raise LoopError(
            f"graders must be active QA specialists or leads: {', '.join(bad)}", details={"field": "graders"}
        )
    cal = CalibrationSession(
        name=name.strip(),
        scorecard_version_id=version.id,
        expert_id=users[expert.strip()].id if expert and expert.strip() else None,
        created_by_id=actor.id,
    )
    session.add(cal)
    session.flush()
    for pos, iid in enumerate(ids):
        session.add(CalibrationItem(calibration_id=cal.id, interaction_id=iid, position=pos))
    for n in names:
        session.add(CalibrationGrader(calibration_id=cal.id, grader_id=users[n].id))
    freeze_version(session, version)
    audit.record(
        session,
        actor,
        "calibration.create",
        "calibration",
        cal.id,
        to_state=CalibrationStatus.OPEN,
        details={"interactions": ids, "graders": names, "expert": expert},
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
            select(CalibrationGrader.grader_id)
            .where(CalibrationGrader.calibration_id == cal.id)
            .order_by(CalibrationGrader.grader_id)
        )
    )


def interaction_ids(session: Session, cal: CalibrationSession) -> list[int]:
    return list(
        session.exec(
            select(CalibrationItem.interaction_id)
            .where(CalibrationItem.calibration_id == cal.id)
            .order_by(CalibrationItem.position)
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
    session: Session, actor: User, cal: CalibrationSession, interaction_id: Any, ratings: Any
) -> list[CalibrationRating]:
    """A grader rates every criterion of one interaction of an open session (again = replace)."""
    if actor.id not in grader_ids(session, cal):
        raise LoopError("you are not a grader of this calibration", 403)
    if not cal.state.can_rate():
        raise LoopError("the calibration is closed", 409)
    if not is_id(interaction_id):
        raise LoopError(
            "interaction_id must be an id (positive integer)", details={"field": "interaction_id"}
        )
    if interaction_id not in interaction_ids(session, cal):
        raise LoopError(
            f"interaction {interaction_id} is not part of this calibration",
            details={"field": "interaction_id"},
        )
    if not isinstance(ratings, list):
        raise LoopError("ratings must be a list", details={"field": "ratings"})
    values: dict[Any, Any] = {}
    comments: dict[Any, str] = {}
    for i, r in enumerate(ratings):
        cid = r.get("criterion_id") if isinstance(r, dict) else None
        if not is_id(cid):
            raise LoopError(
                f"ratings[{i}] needs a criterion_id (positive integer)", details={"field": f"ratings[{i}]"}
            )
        if cid in values:
            raise LoopError(f"criterion {cid} is rated twice", details={"field": f"ratings[{i}]"})
        comment = r.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > 2000:
            raise LoopError(f"ratings[{i}].comment must be a text of at most 2000 characters")
        values[cid] = r.get("value")
        comments[cid] = comment.strip()
    version = session.get(ScorecardVersion, cal.scorecard_version_id)
    try:
        validate_ratings(spec_for(session, version), values)
    except RatingError as exc:
        raise rating_problems(exc) from None
    session.exec(
        delete(CalibrationRating).where(
            col(CalibrationRating.calibration_id) == cal.id,
            col(CalibrationRating.grader_id) == actor.id,
            col(CalibrationRating.interaction_id) == interaction_id,
        )
    )
    rows = [
        CalibrationRating(
            calibration_id=cal.id,
            grader_id=actor.id,
            interaction_id=interaction_id,
            criterion_id=cid,
            value=None if value is None else int(value),
            comment=comments[cid],
        )
        for cid, value in values.items()
    ]
    session.add_all(rows)
    audit.record(
        session, actor, "calibration.rate", "calibration", cal.id, details={"interaction_id": interaction_id}
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
            CalibrationRating.calibration_id == cal.id, CalibrationRating.grader_id == grader_id
        )
    ):
        out.setdefault(r.interaction_id, {})[r.criterion_id] = r
    return out


def progress(session: Session, cal: CalibrationSession) -> dict[int, set[int]]:
    """grader id → the interactions they have rated (no values: safe to show while open)."""
    done: dict[int, set[int]] = {g: set() for g in grader_ids(session, cal)}
    for grader, interaction in session.exec(
        select(CalibrationRating.grader_id, CalibrationRating.interaction_id)
        .where(CalibrationRating.calibration_id == cal.id)
        .distinct()
    ):
        done.setdefault(grader, set()).add(interaction)
    return done


def all_ratings(session: Session, cal: CalibrationSession) -> dict[int, dict[int, dict[int, int | None]]]:
    """grader id → interaction id → criterion id → rating value. Only for closed sessions."""
    if cal.state is not CalibrationStatus.CLOSED:
        raise LoopError("ratings stay hidden until the calibration closes", 403)
    out: dict[int, dict[int, dict[int, int | None]]] = {}
    for r in session.exec(select(CalibrationRating).where(CalibrationRating.calibration_id == cal.id)):
        out.setdefault(r.grader_id, {}).setdefault(r.interaction_id, {})[r.criterion_id] = r.value
    return out


def close_calibration(
    session: Session, actor: User, cal: CalibrationSession, *, is_admin: bool = False
) -> dict:
    """Close the session (its creator or an admin) and fix its results: consensus per criterion, deviation
    per grader (total and per criterion, flagged outside ±5 points) and Krippendorff's alpha (interval;
    units are (interaction, criterion) pairs, values the criterion scores c, N/A missing)."""
    if actor.id != cal.created_by_id and not is_admin:
        raise LoopError("only the creator of the calibration can close it", 403)
    if not cal.state.can_close():
        raise LoopError("the calibration is already closed", 409)
    _sections, criteria = sections_and_criteria(session, cal.scorecard_version_id)
    scales = {c.id: Scale(c.scale) for c in criteria}
    raw: dict[int, dict[int, dict[int, int | None]]] = {}
    for r in session.exec(select(CalibrationRating).where(CalibrationRating.calibration_id == cal.id)):
        raw.setdefault(r.grader_id, {}).setdefault(r.interaction_id, {})[r.criterion_id] = r.value
    if len(raw) < 2:
        raise LoopError("at least two graders must have rated before the calibration can close", 409)
    if cal.expert_id is not None and cal.expert_id not in raw:
        raise LoopError("the expert has not rated yet", 409)
    scores = {
        g: {i: {cid: criterion_score(scales[cid], v) for cid, v in by_c.items()} for i, by_c in by_i.items()}
        for g, by_i in raw.items()
    }
    result = calibration_results(scores, expert=cal.expert_id)
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(list(raw))))}
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
    cal.status = CalibrationStatus.CLOSED.value
    cal.closed_at = utcnow()
    cal.closed_by_id = actor.id
    cal.alpha = result.alpha
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
        details={"alpha": result.alpha},
    )
    session.flush()
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
        session.exec(select(User).where(col(User.id).in_(grader_ids(session, cal))).order_by(User.username))
    )
    closed = cal.state is CalibrationStatus.CLOSED
    return CalibrationPage(
        cal=cal,
        interactions=[by_id[i] for i in ids if i in by_id],
        criteria=criteria,
        graders=graders,
        done=progress(session, cal),
        mine=own_ratings(session, cal, viewer.id),
        everyone=all_ratings(session, cal) if closed else None,
        results=cal.result_dict() if closed else {},
    )


def list_calibrations(session: Session, limit: int = 100) -> list[CalibrationSession]:
    return list(
        session.exec(select(CalibrationSession).order_by(col(CalibrationSession.id).desc()).limit(limit))
    )
