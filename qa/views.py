"""The qa pages: interactions and import, transcript viewer, sampling plans, my queue, scorecards, masking
patterns, evaluation form and evaluation view. Thin: parse, call one service verb, render or redirect."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import current_actor, has_role, login_required, role_required
from portal.db import get_session
from portal.forms import ActionForm
from portal.models import Role, User, UserRole
from qa import evaluations as ev
from qa import interactions as imp
from qa import plans, scorecards
from qa.forms import NA, ImportForm, MaskingPatternForm, PlanForm, ScorecardForm, evaluation_form_class
from qa.masking import ExtraPattern, mask_text
from qa.models import (
    Channel,
    Evaluation,
    EvaluationStatus,
    Interaction,
    MaskingPattern,
    SamplingPlan,
    Scorecard,
    ScorecardVersion,
)
from qa.queries import InteractionFilter, list_interactions, plan_items, queue_of, turns_of, usernames
from qa.scoring import ScoringMode, format_score
from qa.web import local_today, qa_timezone, ticket_pattern

bp = Blueprint(
    "qa",
    __name__,
    url_prefix="/qa",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.app_template_filter("qa_score")
def _qa_score(value):
    return format_score(value)


@bp.app_template_filter("qa_local")
def _qa_local(value, fmt="%Y-%m-%d %H:%M"):
    return value.astimezone(qa_timezone()).strftime(fmt) if value else "—"


def _users_with_role(role: str) -> list[User]:
    session = get_session()
    return list(
        session.exec(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, col(User.is_active).is_(True))
            .order_by(User.username)
        ).unique()
    )


# --- interactions ----------------------------------------------------------------------------------------


@bp.get("/interactions")
@role_required(Role.QA, Role.LEAD)
def interactions():
    session = get_session()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    flt = InteractionFilter(
        ticket_id=(request.args.get("ticket_id") or "").strip()[:64],
        agent=(request.args.get("agent") or "").strip()[:64],
        channel=request.args.get("channel")
        if request.args.get("channel") in {c.value for c in Channel}
        else "",
        complaint=request.args.get("complaint") == "1",
    )
    rows, total = list_interactions(session, flt, page)
    agents = usernames(session, {r.agent_id for r in rows})
    return render_template(
        "qa/interactions.html",
        rows=rows,
        total=total,
        agents=agents,
        flt=flt,
        page=page,
        pages=max(1, math.ceil(total / 50)),
        channels=[c.value for c in Channel],
    )


@bp.route("/interactions/import", methods=["GET", "POST"])
@role_required(Role.QA)
def import_interactions():
    form = ImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = imp.import_file(
                get_session(),
                upload.filename or "upload",
                upload.read(),
                actor=current_actor(),
                ticket_pattern=ticket_pattern(),
                tz=qa_timezone(),
            )
        except imp.ImportFileError as exc:
            form.file.errors.append(str(exc))
            status = 400
        else:
            flash(
                _("%(n)d interactions imported.", n=report.created),
                "success" if report.created else "warning",
            )
    elif request.method == "POST":
        status = 400
    return render_template("qa/import.html", form=form, report=report), status


@bp.get("/interactions/<int:interaction_id>")
@role_required(Role.QA, Role.LEAD)
def interaction(interaction_id: int):
    session = get_session()
    item = session.get(Interaction, interaction_id)
    if item is None:
        abort(404)
    evaluations = list(session.exec(select(Evaluation).where(Evaluation.interaction_id == item.id)))
    people = usernames(session, {item.agent_id} | {e.grader_id for e in evaluations})
    return render_template(
        "qa/interaction.html",
        item=item,
        turns=turns_of(session, item.id),
        evaluations=evaluations,
        people=people,
        evaluated=ev.existing_evaluation(session, item.id),
    )


# --- masking patterns ------------------------------------------------------------------------------------


@bp.route("/masking", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def masking():
    session = get_session()
    form = MaskingPatternForm()
    preview, status = None, 200
    if form.validate_on_submit():
        if request.form.get("action") == "test":
            pattern = ExtraPattern.compile(form.label.data, form.pattern.data)
            preview = mask_text(form.sample.data or "", [pattern]).text
        else:
            imp.add_masking_pattern(session, current_actor(), form.label.data.strip(), form.pattern.data)
            flash(_("Masking pattern added; it applies to future imports."), "success")
            return redirect(url_for("qa.masking"))
    elif request.method == "POST":
        status = 400
    rows = list(session.exec(select(MaskingPattern).order_by(MaskingPattern.id)))
    return render_template(
        "qa/masking.html", form=form, rows=rows, preview=preview, action_form=ActionForm()
    ), status


@bp.post("/masking/<int:pattern_id>/toggle")
@role_required(Role.ADMIN)
def toggle_masking(pattern_id: int):
    session = get_session()
    row = session.get(MaskingPattern, pattern_id)
    if row is None:
        abort(404)
    imp.toggle_masking_pattern(session, current_actor(), row)
    return redirect(url_for("qa.masking"))


# --- scorecards ------------------------------------------------------------------------------------------


@bp.get("/scorecards")
@role_required(Role.QA)
def scorecard_list():
    session = get_session()
    cards = list(session.exec(select(Scorecard).order_by(Scorecard.id)))
    latest = {c.id: scorecards.latest_version(session, c.id) for c in cards}
    return render_template("qa/scorecards.html", cards=cards, latest=latest)


def _form_to_input(form: ScorecardForm) -> scorecards.ScorecardInput:
    sections = [
        scorecards.SectionInput(
            name=(row.form.name.data or "").strip(),
            weight=row.form.weight.data if row.form.weight.data is not None else 1.0,
        )
        for row in form.sections
    ]
    used = [bool(s.name) for s in sections]
    problems = []
    for i, row in enumerate(form.criteria, start=1):
        f = row.form
        if not (f.name.data or "").strip():
            continue
        number = f.section.data or 1
        if not 1 <= number <= len(sections) or not used[number - 1]:
            problems.append(_("Criterion %(n)d refers to section %(s)d, which has no name.", n=i, s=number))
            continue
        lines = [line.strip() for line in (f.guidance.data or "").splitlines()]
        start = 0 if f.scale.data == "binary" else 1
        sections[number - 1].criteria.append(
            scorecards.CriterionInput(
                name=f.name.data.strip(),
                scale=f.scale.data,
                points=f.points.data if f.points.data is not None else 1.0,
                allow_na=f.allow_na.data,
                critical=f.critical.data,
                description=f.description.data or "",
                guidance={start + k: line for k, line in enumerate(lines) if line},
            )
        )
    if problems:
        raise scorecards.ScorecardInputError(problems)
    return scorecards.ScorecardInput(
        name=form.name.data or "",
        mode=form.mode.data,
        description=form.description.data or "",
        sections=[s for s, keep in zip(sections, used, strict=True) if keep],
    )


def _fill_form(form: ScorecardForm, inp: scorecards.ScorecardInput, extra: int) -> None:
    form.name.data, form.mode.data, form.description.data = inp.name, inp.mode, inp.description
    while len(form.sections):
        form.sections.pop_entry()
    while len(form.criteria):
        form.criteria.pop_entry()
    for s in inp.sections:
        form.sections.append_entry({"name": s.name, "weight": s.weight})
    for number, s in enumerate(inp.sections, start=1):
        for c in s.criteria:
            scale_min = 0 if c.scale == "binary" else 1
            lines = [
                c.guidance.get(v, "") for v in range(scale_min, {"binary": 1, "3": 3, "5": 5}[c.scale] + 1)
            ]
            form.criteria.append_entry(
                {
                    "section": number,
                    "name": c.name,
                    "description": c.description,
                    "scale": c.scale,
                    "points": c.points,
                    "allow_na": c.allow_na,
                    "critical": c.critical,
                    "guidance": "\n".join(lines).rstrip("\n"),
                }
            )
    for _i in range(extra):
        form.sections.append_entry({"weight": 1.0})
    for _i in range(extra * 2):
        form.criteria.append_entry({"points": 1.0, "section": len(inp.sections) or 1})


def _scorecard_form(card: Scorecard | None):
    session = get_session()
    form = ScorecardForm()
    status = 200
    if request.method == "GET":
        inp = scorecards.ScorecardInput(name="", sections=[])
        if card is not None:
            inp = scorecards.input_from_version(session, card, scorecards.latest_version(session, card.id))
        _fill_form(form, inp, 3 if card else 5)
    elif request.form.get("more"):
        for _i in range(3):
            form.sections.append_entry({"weight": 1.0})
            form.criteria.append_entry({"points": 1.0})
            form.criteria.append_entry({"points": 1.0})
    elif form.validate_on_submit():
        try:
            inp = _form_to_input(form)
            if card is None:
                card, _version = scorecards.create_scorecard(session, current_actor(), inp)
                flash(_("Scorecard created."), "success")
            else:
                version = scorecards.edit_scorecard(session, current_actor(), card, inp)
                flash(_("Scorecard saved as version %(n)d.", n=version.number), "success")
            return redirect(url_for("qa.scorecard_detail", scorecard_id=card.id))
        except scorecards.ScorecardInputError as exc:
            form.name.errors.extend(exc.problems)
            status = 400
    else:
        status = 400
    frozen = bool(card and scorecards.latest_version(session, card.id).is_frozen)
    return render_template("qa/scorecard_form.html", form=form, card=card, frozen=frozen), status


@bp.route("/scorecards/new", methods=["GET", "POST"])
@role_required(Role.QA)
def scorecard_new():
    return _scorecard_form(None)


@bp.route("/scorecards/<int:scorecard_id>/edit", methods=["GET", "POST"])
@role_required(Role.QA)
def scorecard_edit(scorecard_id: int):
    card = get_session().get(Scorecard, scorecard_id)
    if card is None:
        abort(404)
    return _scorecard_form(card)


@bp.get("/scorecards/<int:scorecard_id>")
@role_required(Role.QA, Role.LEAD)
def scorecard_detail(scorecard_id: int):
    session = get_session()
    card = session.get(Scorecard, scorecard_id)
    if card is None:
        abort(404)
    versions = scorecards.versions_of(session, card.id)
    chosen = versions[0]
    wanted = request.args.get("version", type=int)
    for v in versions:
        if v.number == wanted:
            chosen = v
    sections, criteria = scorecards.sections_and_criteria(session, chosen.id)
    return render_template(
        "qa/scorecard.html",
        card=card,
        versions=versions,
        version=chosen,
        sections=sections,
        criteria=criteria,
    )


# --- sampling plans --------------------------------------------------------------------------------------


def _plan_form() -> PlanForm:
    session = get_session()
    form = PlanForm()
    form.agents.choices = [(u.username, u.label) for u in _users_with_role(Role.AGENT.value)]
    form.graders.choices = [(u.username, u.label) for u in _users_with_role(Role.QA.value)]
    teams = sorted(set(session.exec(select(User.team).where(col(User.team).is_not(None)))))
    form.team.choices = [("", "—")] + [(t, t) for t in teams]
    cards = list(
        session.exec(select(Scorecard).where(col(Scorecard.active).is_(True)).order_by(Scorecard.id))
    )
    default = scorecards.default_scorecard(session)
    form.scorecard_id.choices = [(0, _("Default scorecard"))] + [(c.id, c.name) for c in cards]
    if request.method == "GET" and default is not None:
        form.scorecard_id.data = default.id
    return form


@bp.get("/plans")
@role_required(Role.QA)
def plan_list():
    session = get_session()
    rows = list(session.exec(select(SamplingPlan).order_by(col(SamplingPlan.id).desc())))
    return render_template("qa/plans.html", plans=rows)


@bp.route("/plans/new", methods=["GET", "POST"])
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
            plan = plans.create_plan(get_session(), current_actor(), inp)
        except plans.PlanError as exc:
            form.name.errors.extend(exc.problems)
            status = 400
        else:
            flash(_("Plan created. Check the preview, then draw it."), "success")
            return redirect(url_for("qa.plan_detail", plan_id=plan.id))
    elif request.method == "POST":
        status = 400
    return render_template("qa/plan_form.html", form=form), status


@bp.get("/plans/<int:plan_id>")
@role_required(Role.QA)
def plan_detail(plan_id: int):
    session = get_session()
    plan = session.get(SamplingPlan, plan_id)
    if plan is None:
        abort(404)
    preview = None if plan.drawn_at else plans.preview_plan(session, plan, qa_timezone())
    items = plan_items(session, plan.id)
    people = usernames(
        session,
        {i.agent_id for _, i in items}
        | {s.grader_id for s, _ in items}
        | set(plan.grader_id_list())
        | set(plan.agent_id_list()),
    )
    card = session.get(Scorecard, plan.scorecard_id) if plan.scorecard_id else None
    return render_template(
        "qa/plan.html",
        plan=plan,
        preview=preview,
        items=items,
        people=people,
        card=card,
        action_form=ActionForm(),
    )


@bp.post("/plans/<int:plan_id>/draw")
@role_required(Role.QA)
def plan_draw(plan_id: int):
    session = get_session()
    plan = session.get(SamplingPlan, plan_id)
    if plan is None:
        abort(404)
    try:
        result = plans.draw_plan(session, current_actor(), plan, qa_timezone(), local_today())
    except plans.PlanError as exc:
        flash("; ".join(exc.problems), "error")
        return redirect(url_for("qa.plan_detail", plan_id=plan.id))
    flash(_("Sample drawn: %(n)d interactions assigned.", n=len(result.items)), "success")
    return redirect(url_for("qa.plan_detail", plan_id=plan.id))


@bp.get("/queue")
@role_required(Role.QA)
def queue():
    session = get_session()
    show_done = request.args.get("done") == "1"
    rows = queue_of(session, current_actor().id, include_done=show_done)
    return render_template("qa/queue.html", rows=rows, today=local_today(), show_done=show_done)


# --- evaluations -----------------------------------------------------------------------------------------


def _version_for(session, interaction: Interaction, existing: Evaluation | None) -> ScorecardVersion | None:
    if existing is not None:
        return session.get(ScorecardVersion, existing.scorecard_version_id)
    wanted = request.args.get("scorecard", type=int)
    card = session.get(Scorecard, wanted) if wanted else None
    if card is None:
        from qa.models import SampleItem

        item = session.exec(select(SampleItem).where(SampleItem.interaction_id == interaction.id)).first()
        plan = session.get(SamplingPlan, item.plan_id) if item else None
        card = session.get(Scorecard, plan.scorecard_id) if plan and plan.scorecard_id else None
    card = card or scorecards.default_scorecard(session)
    return scorecards.latest_version(session, card.id) if card else None


@bp.route("/interactions/<int:interaction_id>/evaluate", methods=["GET", "POST"])
@role_required(Role.QA)
def evaluate(interaction_id: int):
    session = get_session()
    interaction_row = session.get(Interaction, interaction_id)
    if interaction_row is None:
        abort(404)
    existing = ev.existing_evaluation(session, interaction_row.id)
    if existing is not None and (not existing.state.can_edit() or existing.grader_id != current_actor().id):
        return redirect(url_for("qa.evaluation_view", evaluation_id=existing.id))
    version = _version_for(session, interaction_row, existing)
    if version is None:
        flash(_("Create a scorecard first."), "error")
        return redirect(url_for("qa.scorecard_list"))
    sections, criteria = scorecards.sections_and_criteria(session, version.id)
    form_class = evaluation_form_class(criteria)
    form = form_class()
    if request.method == "GET" and existing is not None:
        rated = ev.ratings_of(session, existing.id)
        for c in criteria:
            r = rated.get(c.id)
            if r is not None:
                getattr(form, f"rating_{c.id}").data = NA if r.value is None else str(r.value)
                getattr(form, f"comment_{c.id}").data = r.comment
                getattr(form, f"evidence_{c.id}").data = r.evidence
        form.comment.data, form.article_id.data = existing.comment, existing.article_id
        form.no_article.data, form.gap_note.data = existing.no_article, existing.gap_note
    status = 200
    if form.validate_on_submit():
        ratings = []
        for c in criteria:
            raw = getattr(form, f"rating_{c.id}").data
            if raw in (None, "", "None"):
                continue
            ratings.append(
                ev.RatingInput(
                    criterion_id=c.id,
                    value=None if raw == NA else int(raw),
                    comment=getattr(form, f"comment_{c.id}").data or "",
                    evidence=getattr(form, f"evidence_{c.id}").data or "",
                )
            )
        inp = ev.EvaluationInput(
            ratings=ratings,
            comment=form.comment.data or "",
            article_id=form.article_id.data,
            no_article=form.no_article.data,
            gap_note=form.gap_note.data or "",
        )
        submit = bool(form.submit_evaluation.data)
        try:
            saved = ev.save_evaluation(
                session, current_actor(), interaction_row, version, inp, submit=submit, evaluation=existing
            )
        except ev.EvaluationError as exc:
            status = 400
            for cid, message in exc.problems:
                target = getattr(form, f"rating_{cid}", None) if cid is not None else None
                (target or form.comment).errors.append(message)
        else:
            if submit:
                flash(_("Evaluation submitted: %(score)s.", score=format_score(saved.score)), "success")
                return redirect(url_for("qa.evaluation_view", evaluation_id=saved.id))
            flash(_("Draft saved."), "success")
            return redirect(url_for("qa.evaluate", interaction_id=interaction_row.id))
    elif request.method == "POST":
        status = 400
    agent = session.get(User, interaction_row.agent_id)
    return render_template(
        "qa/evaluate.html",
        form=form,
        item=interaction_row,
        agent=agent,
        turns=turns_of(session, interaction_row.id),
        version=version,
        card=session.get(Scorecard, version.scorecard_id),
        sections=sections,
        criteria=criteria,
        existing=existing,
        weighted=version.mode == ScoringMode.WEIGHTED_SECTIONS.value,
    ), status


@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def evaluation_view(evaluation_id: int):
    session = get_session()
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    actor = current_actor()
    own = evaluation.agent_id == actor.id and evaluation.status != EvaluationStatus.DRAFT.value
    if not own and not has_role(Role.QA, Role.LEAD):
        abort(403)
    version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
    sections, criteria = scorecards.sections_and_criteria(session, version.id)
    result = ev.explain(session, evaluation)
    item = session.get(Interaction, evaluation.interaction_id)
    people = usernames(session, {evaluation.agent_id, evaluation.grader_id})
    weighted = version.mode == ScoringMode.WEIGHTED_SECTIONS.value
    terms = []
    if result is not None:
        if weighted:
            terms = [
                (result.section_scores[s.id], s.weight)
                for s in sections
                if result.section_scores[s.id] is not None
            ]
        else:
            terms = [
                (result.criterion_scores[c.id], c.points)
                for c in criteria
                if result.criterion_scores[c.id] is not None
            ]
    return render_template(
        "qa/evaluation.html",
        evaluation=evaluation,
        version=version,
        card=session.get(Scorecard, version.scorecard_id),
        sections=sections,
        criteria=criteria,
        result=result,
        ratings=ev.ratings_of(session, evaluation.id),
        item=item,
        people=people,
        turns=turns_of(session, item.id),
        weighted=weighted,
        terms=terms,
    )
