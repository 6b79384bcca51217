"""Evaluations in the API: create or update one's draft (optionally submitting it) and read one."""

from __future__ import annotations

from portal.api import ApiError
from portal.auth import has_role, login_required, role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session, saved_id
from portal.models import Role
from qa.evaluations import services as ev
from qa.evaluations.models import Evaluation, EvaluationStatus
from qa.evaluations.schemas import Evaluation as EvaluationOut
from qa.evaluations.schemas import EvaluationIn, EvaluationResult
from qa.interactions.models import Interaction
from qa.scorecards import services as scorecards
from qa.scorecards.models import ScorecardVersion
from qa.web import api_bp, api_get_or_404, signed_in


def _input(body: EvaluationIn) -> ev.EvaluationInput:
    return ev.EvaluationInput(
        ratings=[
            ev.RatingInput(
                criterion_id=r.criterion_id, value=r.value, comment=r.comment or "", evidence=r.evidence or ""
            )
            for r in body.ratings
        ],
        comment=body.comment or "",
        article_id=body.article_id,
        no_article=body.no_article,
        gap_note=body.gap_note or "",
    )


@api_bp.post("/qa/evaluations")
@role_required(Role.QA)
@operation(
    "Create (or update one's own draft of) an evaluation; submit=true submits it",
    body=EvaluationIn,
    responses={
        201: Answer("created", EvaluationResult),
        200: Answer("draft updated", EvaluationResult),
        409: Answer("already evaluated or no longer editable"),
    },
)
def create_evaluation(body: EvaluationIn):
    session = get_session()
    actor = signed_in()
    interaction = api_get_or_404(Interaction, body.interaction_id, "interaction")
    existing = ev.existing_evaluation(session, saved_id(interaction))
    version_id = body.scorecard_version_id
    if version_id is None:
        if existing is not None:
            version_id = existing.scorecard_version_id
        else:
            card = scorecards.default_scorecard(session)
            latest = scorecards.latest_version(session, saved_id(card)) if card else None
            if latest is None:
                raise ApiError(400, "no scorecard exists; create one first")
            version_id = saved_id(latest)
    version = api_get_or_404(ScorecardVersion, version_id, "scorecard version")
    draft = None
    if existing is not None and existing.grader_id == actor.id and existing.state.can_edit():
        if existing.scorecard_version_id != version.id:
            raise ApiError(409, "the draft of this interaction uses another scorecard version")
        draft = existing
    evaluation = ev.save_evaluation(  # EvaluationError: 400 or 409 with the problems
        session, actor, interaction, version, _input(body), submit=body.submit, evaluation=draft
    )
    result = EvaluationResult(
        id=saved_id(evaluation),
        score=evaluation.score,
        auto_fail=evaluation.auto_fail,
        auto_fail_reasons=evaluation.reasons(),
        status=evaluation.status,
    )
    return result, 201 if draft is None else 200


@api_bp.get("/qa/evaluations/<int:evaluation_id>")
@login_required
@operation(
    "One evaluation (QA, leads, or the evaluated agent once submitted)",
    path=id_path("evaluation_id"),
    responses={200: Answer("the evaluation", EvaluationOut)},
)
def get_evaluation(evaluation_id: int):
    evaluation = api_get_or_404(Evaluation, evaluation_id, "evaluation")
    actor = signed_in()
    own = evaluation.agent_id == actor.id and evaluation.status != EvaluationStatus.DRAFT.value
    if not own and not has_role(Role.QA, Role.LEAD):
        # The same answer as for a missing one: an agent must not learn that a colleague's evaluation exists.
        raise ApiError(404, f"evaluation {evaluation_id} not found")
    return ev.evaluation_dict(get_session(), evaluation)
