"""Quality-loop data: released evaluations (through the qa package's own service) and calibration sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from portal.models import User
from qa.evaluations import services as ev
from qa.models import Evaluation, Interaction, ScorecardVersion
from qa.scorecards import services as scorecards


def criteria_by_name(db: Session, version: ScorecardVersion) -> dict[str, int]:
    _sections, criteria = scorecards.sections_and_criteria(db, version.id)
    return {c.name: c.id for c in criteria}


def make_evaluation(
    db: Session,
    grader: User,
    interaction: Interaction,
    version: ScorecardVersion,
    values: dict[str, int | None] | None = None,
    *,
    submit: bool = True,
    submitted_at: datetime | None = None,
    comment: str = "",
    gap_note: str = "",
    article_id: int | None = None,
    no_article: bool = False,
) -> Evaluation:
    """A committed evaluation of ``interaction``; ``values`` maps criterion name → rating (all top marks by
    default on the factory scorecard: greeting 1, empathy 5, privacy 3)."""
    values = values if values is not None else {"greeting": 1, "empathy": 5, "privacy": 3}
    ids = criteria_by_name(db, version)
    evaluation = ev.save_evaluation(
        db,
        grader,
        interaction,
        version,
        ev.EvaluationInput(
            ratings=[ev.RatingInput(ids[name], value) for name, value in values.items()],
            comment=comment,
            gap_note=gap_note,
            article_id=article_id,
            no_article=no_article,
        ),
        submit=submit,
    )
    if submitted_at is not None:
        evaluation.submitted_at = submitted_at
        db.add(evaluation)
    db.commit()
    return evaluation
