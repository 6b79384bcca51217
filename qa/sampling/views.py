"""Sampling plan pages and the grader's queue: create a plan, preview it, draw it once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import role_required
from portal.db import get_session, saved_id
from portal.forms import ActionForm
from portal.models import Role, User
from qa.labels import usernames
from qa.sampling import services as plans
from qa.sampling.forms import PlanForm
from qa.sampling.models import SamplingPlan
from qa.sampling.queries import plan_agent_ids, plan_grader_ids, plan_items, queue_of
from qa.scorecards import services as scorecards
from qa.scorecards.models import Scorecard
from qa.web import bp, get_or_404, local_today, qa_timezone, signed_in, users_with_role


def _plan_form() -> PlanForm:
    session = get_session()
    form = PlanForm()
    form.agents.choices = [(u.username, u.label) for u in users_with_role(Role.AGENT.value)]
    form.graders.choices = [(u.username, u.label) for u in users_with_role(Role.QA.value)]
    teams = sorted({t for t in session.exec(select(col(User.team)).where(col(User.team).is_not(None))) if t})
    form.team.choices = [("", "—")] + [(t, t) for t in teams]
    cards = list(
        session.exec(select(Scorecard).where(col(Scorecard.active).is_(True)).order_by(col(Scorecard.id)))
    )
    default = scorecards.default_scorecard(session)
    form.scorecard_id.choices = [(0, _("Default scorecard"))] + [(c.id, c.name) for c in cards]
    if request.method == "GET" and default is not None:
        form.scorecard_id.data = default.id
    return form


@bp.get("/qa/plans")
@role_required(Role.QA)
def plan_list():
    session = get_session()
    rows = list(session.exec(select(SamplingPlan).order_by(col(SamplingPlan.id).desc())))
    return render_template("qa/sampling/plans.html", plans=rows)


@bp.route("/qa/plans/new", methods=["GET", "POST"])
@role_required(Role.QA)
def plan_new():
    form = _plan_form()
    if request.method == "GET":
        form.date_from.data = local_today()
    status = 200
    if form.validate_on_submit():
        date_from, date_to = form.date_from.data, form.date_to.data
        if form.period.data in ("week", "month"):
            date_from, date_to = plans.period_bounds(form.period.data, date_from)
        inp = plans.PlanInput(
            name=form.name.data,
            period_kind=form.period.data,
            date_from=date_from,
            date_to=date_to,
            quota_per_agent=form.quota_per_agent.data,
            channels=form.channels.data or [],
            agents=form.agents.data or [],
            team=form.team.data or None,
            csat_at_most=form.csat_at_most.data,
            complaints_only=form.complaints_only.data,
            always_complaints=form.always_complaints.data,
            always_csat_at_most=form.always_csat_at_most.data,
            always_cap=form.always_cap.data,
            seed=form.seed.data,
            graders=form.graders.data or [],
            due_days=form.due_days.data,
            scorecard_id=form.scorecard_id.data or None,
        )
        try:
            plan = plans.create_plan(get_session(), signed_in(), inp)
        except plans.PlanError as exc:
            form.name.errors.extend(exc.problems)
            status = 400
        else:
            flash(_("Plan created. Check the preview, then draw it."), "success")
            return redirect(url_for("qa.plan_detail", plan_id=plan.id))
    elif request.method == "POST":
        status = 400
    return render_template("qa/sampling/plan_form.html", form=form), status


@bp.get("/qa/plans/<int:plan_id>")
@role_required(Role.QA)
def plan_detail(plan_id: int):
    session = get_session()
    plan = get_or_404(SamplingPlan, plan_id)
    preview = None if plan.drawn_at else plans.preview_plan(session, plan, qa_timezone())
    items = plan_items(session, saved_id(plan))
    agent_ids, grader_ids = plan_agent_ids(session, plan.id), plan_grader_ids(session, plan.id)
    people = usernames(
        session,
        {i.agent_id for _, i in items} | {s.grader_id for s, _ in items} | set(grader_ids) | set(agent_ids),
    )
    card = session.get(Scorecard, plan.scorecard_id) if plan.scorecard_id else None
    return render_template(
        "qa/sampling/plan.html",
        plan=plan,
        preview=preview,
        items=items,
        people=people,
        agent_ids=agent_ids,
        grader_ids=grader_ids,
        card=card,
        action_form=ActionForm(),
    )


@bp.post("/qa/plans/<int:plan_id>/draw")
@role_required(Role.QA)
def plan_draw(plan_id: int):
    session = get_session()
    plan = get_or_404(SamplingPlan, plan_id)
    try:
        result = plans.draw_plan(session, signed_in(), plan, qa_timezone(), local_today())
    except plans.PlanError as exc:
        flash("; ".join(exc.problems), "error")
        return redirect(url_for("qa.plan_detail", plan_id=plan.id))
    flash(_("Sample drawn: %(n)d interactions assigned.", n=len(result.items)), "success")
    return redirect(url_for("qa.plan_detail", plan_id=plan.id))


@bp.get("/qa/queue")
@role_required(Role.QA)
def queue():
    session = get_session()
    show_done = request.args.get("done") == "1"
    rows = queue_of(session, signed_in().id, include_done=show_done)
    return render_template("qa/sampling/queue.html", rows=rows, today=local_today(), show_done=show_done)
