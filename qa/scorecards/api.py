"""Scorecards in the API: create one (version 1) and read its latest version as a tree."""

from __future__ import annotations

from portal.auth import role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session
from portal.models import Role
from qa.scorecards import input as scorecard_input
from qa.scorecards import services as scorecards
from qa.scorecards.models import Scorecard
from qa.scorecards.schemas import Scorecard as ScorecardOut
from qa.scorecards.schemas import ScorecardIn
from qa.web import api_bp, api_get_or_404, signed_in


@api_bp.post("/qa/scorecards")
@role_required(Role.QA)
@operation(
    "Create a scorecard (version 1)",
    body=ScorecardIn,
    responses={
        201: Answer("the scorecard tree with ids", ScorecardOut),
        409: Answer("a scorecard with this name exists"),
    },
)
def create_scorecard(body: ScorecardIn):
    # The scoring rules (weights that add up, guidance on the scale) are the domain's: ScorecardInputError.
    inp = scorecard_input.parse_payload(body.model_dump(mode="json"))
    card, version = scorecards.create_scorecard(get_session(), signed_in(), inp)
    return scorecards.version_tree(get_session(), card, version), 201


@api_bp.get("/qa/scorecards/<int:scorecard_id>")
@role_required(Role.QA, Role.LEAD)
@operation(
    "A scorecard's current version",
    path=id_path("scorecard_id"),
    responses={200: Answer("the scorecard tree", ScorecardOut)},
)
def get_scorecard(scorecard_id: int):
    session = get_session()
    card = api_get_or_404(Scorecard, scorecard_id, "scorecard")
    return scorecards.version_tree(session, card, scorecards.current_version(session, card))
