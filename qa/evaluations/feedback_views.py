"""The agent's side of an evaluation and a lead's arbitration, as pages: my evaluations, acknowledge /
dispute, the dispute queue and the resolution. Thin: parse, call one service verb, render or redirect."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.auth import actor_roles, has_role, login_required, role_required
from portal.db import get_session
from portal.domain import DomainError
from portal.forms import ActionForm
from portal.models import Role
from qa.evaluations import disputes as arbitration
from qa.evaluations import feedback as fb
from qa.evaluations import queries as fq
from qa.evaluations.forms import NA, DisputeForm, resolve_form_class
from qa.evaluations.queries import evaluation_sheet
from qa.evaluations.schemas import parse_dispute, parse_resolution
from qa.labels import usernames
from qa.scorecards import services as scorecards
from qa.web import bp, signed_in


def _window() -> int:
    return int(current_app.config.get("DISPUTE_WINDOW_DAYS", 7))


def _evaluation(evaluation_id: int):
    # Someone else's evaluation raises NotFound: the 404 page, as for an id that does not exist.
    return fb.visible_evaluation(get_session(), signed_in(), actor_roles(), evaluation_id)


def _feedback_page(evaluation, *, dispute_form=None, resolve_form=None, status: int = 200):
    session = get_session()
    actor = signed_in()
    sheet = evaluation_sheet(session, evaluation)
    criteria, ratings = sheet["criteria"], sheet["ratings"]
    dispute = fq.dispute_of(session, evaluation.id)
    history = fq.history_of(session, evaluation.id)
    people = usernames(
        session,
        {evaluation.agent_id, evaluation.grader_id}
        | ({dispute.resolved_by_id} if dispute and dispute.resolved_by_id else set())
        | {h.changed_by_id for h in history if h.changed_by_id},
    )
    own = evaluation.agent_id == actor.id
    may_arbitrate = (
        has_role(Role.LEAD)
        and dispute is not None
        and dispute.state.can_resolve()
        and actor.id not in (evaluation.agent_id, evaluation.grader_id)
    )
    if dispute_form is None and own and fb.can_dispute_now(evaluation, _window()) and dispute is None:
        dispute_form = DisputeForm()
    if dispute_form is not None:
        dispute_form.criteria.choices = [(c.id, c.name) for c in criteria]
    if resolve_form is None and may_arbitrate:
        resolve_form = resolve_form_class(criteria)(
            data={
                f"rating_{c.id}": (NA if ratings[c.id].value is None else str(ratings[c.id].value))
                for c in criteria
                if c.id in ratings
            }
        )
    return render_template(
        "qa/evaluations/feedback.html",
        evaluation=evaluation,
        **sheet,
        criteria_by_id={c.id: c for c in criteria},
        dispute=dispute,
        disputed_criteria=fq.dispute_criteria(session, dispute.id) if dispute else [],
        history=history,
        people=people,
        own=own,
        deadline=fb.dispute_deadline(evaluation, _window()),
        window=_window(),
        dispute_form=dispute_form if own else None,
        resolve_form=resolve_form if may_arbitrate else None,
        action_form=ActionForm(),
    ), status


# --- agent -----------------------------------------------------------------------------------------------


@bp.get("/qa/my")
@role_required(Role.AGENT)
def my_evaluations():
    session = get_session()
    rows = fq.my_evaluations(session, signed_in().id)
    disputes = fq.disputes_for(session, [e.id for e in rows])
    return render_template(
        "qa/evaluations/my.html",
        rows=rows,
        disputes=disputes,
        window=_window(),
        can_dispute=fb.can_dispute_now,
    )


@bp.get("/qa/feedback/<int:evaluation_id>")
@login_required
def feedback(evaluation_id: int):
    return _feedback_page(_evaluation(evaluation_id))


@bp.post("/qa/feedback/<int:evaluation_id>/acknowledge")
@login_required
def acknowledge(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        fb.acknowledge(get_session(), signed_in(), evaluation)
    except DomainError as exc:
        flash(exc.message, "error")
        return _feedback_page(evaluation, status=exc.status)
    flash(_("Thank you: the evaluation is acknowledged."), "success")
    return redirect(url_for("qa.feedback", evaluation_id=evaluation.id))


@bp.post("/qa/feedback/<int:evaluation_id>/dispute")
@login_required
def dispute(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    session = get_session()
    form = DisputeForm()
    _sections, criteria = scorecards.sections_and_criteria(session, evaluation.scorecard_version_id)
    form.criteria.choices = [(c.id, c.name) for c in criteria]
    if not form.validate_on_submit():
        return _feedback_page(evaluation, dispute_form=form, status=400)
    try:
        inp = parse_dispute(form.reason.data, form.criteria.data)
        fb.open_dispute(session, signed_in(), evaluation, inp, window_days=_window())
    except DomainError as exc:
        flash(exc.message, "error")
        return _feedback_page(evaluation, dispute_form=form, status=exc.status)
    flash(_("Your dispute was sent to the leads."), "success")
    return redirect(url_for("qa.feedback", evaluation_id=evaluation.id))


# --- lead ------------------------------------------------------------------------------------------------


@bp.get("/qa/disputes")
@role_required(Role.LEAD)
def disputes():
    session = get_session()
    open_rows = fq.dispute_queue(session)
    closed_rows = fq.dispute_queue(session, open_only=False, limit=50)
    people = usernames(
        session,
        {e.agent_id for _d, e in open_rows + closed_rows}
        | {e.grader_id for _d, e in open_rows + closed_rows},
    )
    return render_template(
        "qa/evaluations/disputes.html",
        open_rows=open_rows,
        closed_rows=closed_rows,
        people=people,
        me=signed_in(),
    )


@bp.post("/qa/feedback/<int:evaluation_id>/resolve")
@role_required(Role.LEAD)
def resolve(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    session = get_session()
    _sections, criteria = scorecards.sections_and_criteria(session, evaluation.scorecard_version_id)
    form = resolve_form_class(criteria)()
    if not form.validate_on_submit():
        return _feedback_page(evaluation, resolve_form=form, status=400)
    ratings = None
    if form.outcome.data == "adjusted":
        ratings = []
        for c in criteria:
            raw = getattr(form, f"rating_{c.id}").data
            ratings.append({"criterion_id": c.id, "value": None if raw == NA else int(raw)})
    try:
        resolution = parse_resolution(form.outcome.data, form.comment.data, ratings)
        arbitration.resolve_dispute(session, signed_in(), evaluation, resolution)
    except DomainError as exc:
        flash(exc.message, "error")
        return _feedback_page(evaluation, resolve_form=form, status=exc.status)
    flash(_("The dispute is resolved; the agent and the grader were notified."), "success")
    return redirect(url_for("qa.feedback", evaluation_id=evaluation.id))
