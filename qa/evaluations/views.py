"""Scoring an interaction on a scorecard version and reading an evaluation with its arithmetic."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import has_role, login_required, role_required
from portal.db import get_session, saved_id
from portal.models import Role, User
from qa.evaluations import services as ev
from qa.evaluations.forms import NA, evaluation_form_class
from qa.evaluations.models import Evaluation, EvaluationStatus
from qa.evaluations.queries import evaluation_sheet
from qa.interactions.models import Interaction
from qa.interactions.queries import turns_of
from qa.labels import usernames
from qa.sampling.models import SampleItem, SamplingPlan
from qa.scorecards import services as scorecards
from qa.scorecards.models import Scorecard, ScorecardVersion
from qa.scorecards.scoring import ScoringMode, format_score
from qa.web import bp, get_or_404, signed_in


def _version_for(session, interaction: Interaction, existing: Evaluation | None) -> ScorecardVersion | None:
    if existing is not None:
        return session.get(ScorecardVersion, existing.scorecard_version_id)
    wanted = request.args.get("scorecard", type=int)
    card = session.get(Scorecard, wanted) if wanted else None
    if card is None:
        item = session.exec(
            select(SampleItem).where(col(SampleItem.interaction_id) == interaction.id)
        ).first()
        plan = session.get(SamplingPlan, item.plan_id) if item else None
        card = session.get(Scorecard, plan.scorecard_id) if plan and plan.scorecard_id else None
    card = card or scorecards.default_scorecard(session)
    return scorecards.latest_version(session, saved_id(card)) if card else None


@bp.route("/qa/interactions/<int:interaction_id>/evaluate", methods=["GET", "POST"])
@role_required(Role.QA)
def evaluate(interaction_id: int):
    session = get_session()
    interaction_row = get_or_404(Interaction, interaction_id)
    existing = ev.existing_evaluation(session, saved_id(interaction_row))
    if existing is not None and (not existing.state.can_edit() or existing.grader_id != signed_in().id):
        return redirect(url_for("qa.evaluation_view", evaluation_id=existing.id))
    version = _version_for(session, interaction_row, existing)
    if version is None:
        flash(_("Create a scorecard first."), "error")
        return redirect(url_for("qa.scorecard_list"))
    sections, criteria = scorecards.sections_and_criteria(session, saved_id(version))
    form_class = evaluation_form_class(criteria)
    form = form_class()
    if request.method == "GET" and existing is not None:
        rated = ev.ratings_of(session, saved_id(existing))
        for c in criteria:
            r = rated.get(saved_id(c))
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
                    criterion_id=saved_id(c),
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
                session, signed_in(), interaction_row, version, inp, submit=submit, evaluation=existing
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
        "qa/evaluations/evaluate.html",
        form=form,
        item=interaction_row,
        agent=agent,
        turns=turns_of(session, saved_id(interaction_row)),
        version=version,
        card=session.get(Scorecard, version.scorecard_id),
        sections=sections,
        criteria=criteria,
        existing=existing,
        weighted=version.mode == ScoringMode.WEIGHTED_SECTIONS.value,
    ), status


@bp.get("/qa/evaluations/<int:evaluation_id>")
@login_required
def evaluation_view(evaluation_id: int):
    session = get_session()
    evaluation = get_or_404(Evaluation, evaluation_id)
    actor = signed_in()
    own = evaluation.agent_id == actor.id and evaluation.status != EvaluationStatus.DRAFT.value
    if not own and not has_role(Role.QA, Role.LEAD):
        abort(404)  # like a missing one: an agent must not learn that a colleague's evaluation exists
    sheet = evaluation_sheet(session, evaluation)
    result = sheet["result"]
    item = get_or_404(Interaction, evaluation.interaction_id)
    people = usernames(session, {evaluation.agent_id, evaluation.grader_id})
    weighted = sheet["version"].mode == ScoringMode.WEIGHTED_SECTIONS.value
    terms = []
    if result is not None:
        if weighted:
            terms = [
                (result.section_scores[s.id], s.weight)
                for s in sheet["sections"]
                if result.section_scores[s.id] is not None
            ]
        else:
            terms = [
                (result.criterion_scores[c.id], c.points)
                for c in sheet["criteria"]
                if result.criterion_scores[c.id] is not None
            ]
    return render_template(
        "qa/evaluations/evaluation.html",
        evaluation=evaluation,
        **sheet,
        item=item,
        people=people,
        turns=turns_of(session, saved_id(item)),
        weighted=weighted,
        terms=terms,
    )
