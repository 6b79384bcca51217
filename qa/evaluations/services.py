"""Evaluation services: save a draft, submit (scored with ``qa.scoring``), and read one back with its score
explained. The score is always computed here on the server; the form's JavaScript only previews it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, delete, select

from portal import audit
from portal.db import saved_id
from portal.domain import DomainError
from portal.masking import free_text_masker
from portal.models import User
from portal.notifications import PageLink, notify
from portal.timeutil import utcnow
from portal.transitions import compare_and_set, current, hold, insert_once
from qa.evaluations.models import OPEN_TO_ONE_EVALUATION, Evaluation, EvaluationRating, EvaluationStatus
from qa.interactions.models import Interaction, TranscriptTurn
from qa.sampling.models import SampleItem, SampleStatus
from qa.scorecards.models import ScorecardVersion
from qa.scorecards.scoring import RatingError, ScoreResult, format_score, score_evaluation, validate_ratings
from qa.scorecards.services import freeze_version, spec_for

MAX_TEXT = 5000
_WS = re.compile(r"\s+")


def normalise_quote(text: str) -> str:
    """Whitespace-insensitive form used to check that evidence is a quote from the transcript."""
    return _WS.sub(" ", text).strip()


class EvaluationError(DomainError):
    """The evaluation cannot be saved (409 when its state forbids it); ``problems`` are
    ``(criterion_id or None, message)`` pairs."""

    def __init__(self, problems: list[tuple[int | None, str]], *, conflict: bool = False):
        self.problems = problems
        self.conflict = conflict
        super().__init__(
            "; ".join(m for _, m in problems),
            409 if conflict else 400,
            details={"problems": [{"criterion_id": c, "message": m} for c, m in problems]},
        )


@dataclass
class RatingInput:
    criterion_id: int
    value: int | None  # None = N/A
    comment: str = ""
    evidence: str = ""

    def masked(self, mask: Callable[[str], str]) -> RatingInput:
        return replace(self, comment=mask(self.comment), evidence=mask(self.evidence))


@dataclass
class EvaluationInput:
    ratings: list[RatingInput] = field(default_factory=list)
    comment: str = ""
    article_id: int | None = None
    no_article: bool = False
    gap_note: str = ""

    def masked(self, mask: Callable[[str], str]) -> EvaluationInput:
        """The input with every text the grader typed masked (``portal.masking.free_text_masker``): a
        comment or a note may quote the customer's number, and only the masked text may be stored. The
        evidence is masked too, which is also what makes a quote match the (masked) transcript."""
        return replace(
            self,
            ratings=[r.masked(mask) for r in self.ratings],
            comment=mask(self.comment),
            gap_note=mask(self.gap_note),
        )


def existing_evaluation(session: Session, interaction_id: int) -> Evaluation | None:
    """The (non-calibration) evaluation of an interaction, if any: an interaction is evaluated once."""
    return session.exec(
        select(Evaluation).where(
            col(Evaluation.interaction_id) == interaction_id, col(Evaluation.is_calibration).is_(False)
        )
    ).first()


def _check(
    session: Session, interaction: Interaction, version: ScorecardVersion, inp: EvaluationInput, submit: bool
):
    spec = spec_for(session, version)
    problems: list[tuple[int | None, str]] = []
    ratings: dict[Any, Any] = {}
    for r in inp.ratings:
        if r.criterion_id in ratings:
            problems.append((r.criterion_id, f"criterion {r.criterion_id} is rated twice"))
        ratings[r.criterion_id] = r.value
        if len(r.comment) > MAX_TEXT or len(r.evidence) > MAX_TEXT:
            problems.append((r.criterion_id, f"comments and evidence have at most {MAX_TEXT} characters"))
    try:
        validate_ratings(spec, ratings)
    except RatingError as exc:
        for p in exc.problems:
            if not submit and p.criterion_id not in ratings:
                continue  # a draft may leave criteria unrated
            cid = p.criterion_id  # the scorecard's ids: database ids here
            problems.append((cid if isinstance(cid, int) else None, p.message))
    transcript = normalise_quote(
        "\n".join(
            session.exec(
                select(col(TranscriptTurn.text)).where(col(TranscriptTurn.interaction_id) == interaction.id)
            )
        )
    )
    for r in inp.ratings:
        if r.evidence.strip() and normalise_quote(r.evidence) not in transcript:
            problems.append((r.criterion_id, "the evidence must be a quote from the transcript"))
    if len(inp.comment) > MAX_TEXT or len(inp.gap_note) > MAX_TEXT:
        problems.append((None, f"comments have at most {MAX_TEXT} characters"))
    if inp.article_id is not None and (
        isinstance(inp.article_id, bool) or not isinstance(inp.article_id, int) or inp.article_id <= 0
    ):
        problems.append((None, "article_id must be a positive whole number"))
    if inp.article_id is not None and inp.no_article:
        problems.append((None, "choose an article or 'no article exists', not both"))
    if problems:
        raise EvaluationError(problems)
    complete = all(c.id in ratings for c in spec.criteria)
    result = score_evaluation(spec, ratings) if complete else None
    return result


def _may_save(session: Session, actor: User, interaction: Interaction, evaluation: Evaluation | None) -> None:
    """An interaction is evaluated once, and only its grader changes a draft (409 otherwise)."""
    if evaluation is None:
        other = existing_evaluation(session, saved_id(interaction))
        if other is not None:
            raise EvaluationError(
                [(None, f"this interaction already has evaluation {other.id}")], conflict=True
            )
    elif not evaluation.state.can_edit():
        raise EvaluationError(
            [(None, f"the evaluation is {evaluation.status} and can no longer be changed")], conflict=True
        )
    elif evaluation.grader_id != actor.id:
        raise EvaluationError(
            [(None, "only the grader who started this evaluation can change it")], conflict=True
        )


def _claim_draft(session: Session, evaluation: Evaluation) -> None:
    """Hold the draft iff it is still a draft of the same grader: a save and a submission (or two of
    either) sent at once are written one after the other, and a save that comes after the submission is
    refused instead of changing what the agent has received."""
    if not compare_and_set(
        session,
        evaluation,
        {"status": EvaluationStatus.DRAFT.value, "grader_id": evaluation.grader_id},
        {"updated_at": utcnow()},
    ):
        status = current(session, evaluation, "status")
        raise EvaluationError(
            [(None, f"the evaluation was {status} in the meantime and can no longer be changed")],
            conflict=True,
        )


def _new_draft(
    session: Session, actor: User, interaction: Interaction, version: ScorecardVersion
) -> Evaluation:
    new_id = insert_once(
        session,
        Evaluation(
            interaction_id=saved_id(interaction),
            scorecard_version_id=saved_id(version),
            grader_id=saved_id(actor),
            agent_id=interaction.agent_id,
            ticket_id=interaction.ticket_id,
        ),
        ["interaction_id"],
        OPEN_TO_ONE_EVALUATION,
    )
    evaluation = session.get(Evaluation, new_id) if new_id is not None else None
    if evaluation is None:
        raise EvaluationError(
            [(None, "this interaction was given an evaluation at the same moment; open it and try again")],
            conflict=True,
        )
    freeze_version(session, version)
    audit.record(session, actor, "evaluation.create", "evaluation", evaluation.id, to_state="draft")
    return evaluation


def _write(
    session: Session, evaluation: Evaluation, inp: EvaluationInput, result: ScoreResult | None
) -> None:
    """Replace the ratings and the free text of the evaluation with ``inp`` and set its score."""
    session.exec(delete(EvaluationRating).where(col(EvaluationRating.evaluation_id) == evaluation.id))
    for r in inp.ratings:
        session.add(
            EvaluationRating(
                evaluation_id=saved_id(evaluation),
                criterion_id=r.criterion_id,
                value=r.value,
                comment=r.comment.strip(),
                evidence=r.evidence.strip(),
            )
        )
    evaluation.comment = inp.comment.strip()
    evaluation.article_id = inp.article_id
    evaluation.no_article = inp.no_article
    evaluation.gap_note = inp.gap_note.strip()
    evaluation.updated_at = utcnow()
    evaluation.set_result(result)


def _submit(session: Session, actor: User, evaluation: Evaluation, item: SampleItem | None) -> None:
    """Release the evaluation to the agent: its sample item is done, the agent is notified."""
    evaluation.status = EvaluationStatus.SUBMITTED.value
    evaluation.submitted_at = evaluation.updated_at
    if item is not None:
        item.status = SampleStatus.DONE.value
        session.add(item)
    audit.record(
        session,
        actor,
        "evaluation.submit",
        "evaluation",
        evaluation.id,
        from_state="draft",
        to_state="submitted",
        details={"score": evaluation.score, "auto_fail": evaluation.auto_fail},
    )
    notify(
        session,
        evaluation.agent_id,
        "evaluation_received",
        link=PageLink(
            "qa.feedback", {"evaluation_id": saved_id(evaluation)}
        ),  # the agent acknowledges or disputes there
        ticket_id=evaluation.ticket_id,
        score=format_score(evaluation.score),
    )


def save_evaluation(
    session: Session,
    actor: User,
    interaction: Interaction,
    version: ScorecardVersion,
    inp: EvaluationInput,
    *,
    submit: bool,
    evaluation: Evaluation | None = None,
) -> Evaluation:
    """Create or update the draft evaluation of ``interaction`` and, with ``submit``, submit it.

    Validates every rating against the scorecard version (scale, N/A allowed, evidence quoted from the
    transcript); submitting needs every criterion rated. The score comes from ``qa.scorecards.scoring`` at
    full precision. Submitting marks the sample item done, notifies the agent and writes the audit log.
    Raises :class:`EvaluationError` (nothing is changed then). The typed texts are stored masked.
    """
    inp = inp.masked(free_text_masker(session))
    _may_save(session, actor, interaction, evaluation)
    if evaluation is None:
        # Hold the scorecard version before reading its criteria: an edit in place at this moment either
        # is done (the ratings are checked against its criteria) or waits and then finds it in use.
        hold(session, version, "mode")
    result = _check(session, interaction, version, inp, submit)

    if evaluation is None:
        evaluation = _new_draft(session, actor, interaction, version)
    else:
        _claim_draft(session, evaluation)
    _write(session, evaluation, inp, result)
    item = session.exec(select(SampleItem).where(col(SampleItem.interaction_id) == interaction.id)).first()
    if submit:
        _submit(session, actor, evaluation, item)
    elif item is not None and item.status == SampleStatus.PENDING.value:
        item.status = SampleStatus.IN_PROGRESS.value
        session.add(item)
    session.add(evaluation)
    session.flush()
    return evaluation


def ratings_of(session: Session, evaluation_id: int) -> dict[int, EvaluationRating]:
    return {
        r.criterion_id: r
        for r in session.exec(
            select(EvaluationRating).where(col(EvaluationRating.evaluation_id) == evaluation_id)
        )
    }


def explain(session: Session, evaluation: Evaluation) -> ScoreResult | None:
    """Recompute the score of a complete evaluation for display (criterion and section scores)."""
    version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
    if version is None:  # a foreign key: only a concurrent delete gets here
        return None
    spec = spec_for(session, version)
    rated = ratings_of(session, saved_id(evaluation))
    if not all(c.id in rated for c in spec.criteria):
        return None
    return score_evaluation(spec, {cid: r.value for cid, r in rated.items()})


def evaluation_dict(session: Session, evaluation: Evaluation) -> dict[str, Any]:
    """The API shape of one evaluation."""
    rated = ratings_of(session, saved_id(evaluation))
    grader = session.get(User, evaluation.grader_id)
    agent = session.get(User, evaluation.agent_id)
    return {
        "id": evaluation.id,
        "interaction_id": evaluation.interaction_id,
        "scorecard_version_id": evaluation.scorecard_version_id,
        "ticket_id": evaluation.ticket_id,
        "agent": agent.username if agent else None,
        "grader": grader.username if grader else None,
        "status": evaluation.status,
        "is_calibration": evaluation.is_calibration,
        "score": evaluation.score,
        "raw_score": evaluation.raw_score,
        "auto_fail": evaluation.auto_fail,
        "auto_fail_reasons": evaluation.reasons(),
        "comment": evaluation.comment,
        "article_id": evaluation.article_id,
        "no_article": evaluation.no_article,
        "gap_note": evaluation.gap_note,
        "created_at": evaluation.created_at.isoformat(),
        "submitted_at": evaluation.submitted_at.isoformat() if evaluation.submitted_at else None,
        "ratings": [
            {"criterion_id": r.criterion_id, "value": r.value, "comment": r.comment, "evidence": r.evidence}
            for r in sorted(rated.values(), key=lambda r: r.criterion_id)
        ],
    }
