"""Calibration pages: create a session, grade blind, close and read the results (API: ``calibration_api``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import actor_roles, role_required
from portal.db import get_session, saved_id
from portal.domain import DomainError
from portal.forms import ActionForm
from portal.models import Role, User, UserRole
from qa.calibration import services as cs
from qa.calibration.forms import NA, CalibrationForm, calibration_rating_form_class
from qa.calibration.schemas import parse_calibration, parse_ratings
from qa.interactions.queries import turns_of
from qa.scorecards.models import Scorecard, ScorecardVersion
from qa.web import bp, signed_in


def _calibration(calibration_id: int):
    session = get_session()
    cal = cs.get_calibration(session, calibration_id)  # NotFound: the 404 page
    if not cs.may_view(session, cal, signed_in(), actor_roles()):
        abort(404)
    return cal


def _grader_choices() -> list[tuple[str, str]]:
    rows = get_session().exec(
        select(User)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(col(UserRole.role).in_([Role.QA.value, Role.LEAD.value]), col(User.is_active).is_(True))
        .order_by(col(User.username))
    )
    seen: dict[int, User] = {saved_id(u): u for u in rows}
    return [(u.username, u.label) for u in seen.values()]


def _version_choices() -> list[tuple[int, str]]:
    session = get_session()
    rows = session.exec(
        select(ScorecardVersion, Scorecard)
        .join(Scorecard, col(Scorecard.id) == col(ScorecardVersion.scorecard_id))
        .where(col(Scorecard.active).is_(True))
        .order_by(col(Scorecard.id), col(ScorecardVersion.number).desc())
    )
    return [(saved_id(v), f"{c.name} v{v.number}") for v, c in rows]


@bp.get("/qa/calibrations")
@role_required(Role.QA, Role.LEAD)
def calibrations():
    session = get_session()
    me = signed_in()
    roles = actor_roles()
    rows = [c for c in cs.list_calibrations(session) if cs.may_view(session, c, me, roles)]
    return render_template("qa/calibration/calibrations.html", rows=rows)


@bp.route("/qa/calibrations/new", methods=["GET", "POST"])
@role_required(Role.QA)
def calibration_new():
    form = CalibrationForm()
    form.graders.choices = _grader_choices()
    form.expert.choices = [("", "—"), *form.graders.choices]
    form.scorecard_version_id.choices = _version_choices()
    if request.method == "GET" and request.args.get("interactions"):
        form.interaction_ids.data = request.args.get("interactions", "")[:2000]
    status = 200
    if form.validate_on_submit():
        raw = [
            p.strip() for p in (form.interaction_ids.data or "").replace("，", ",").split(",") if p.strip()
        ]
        if not all(p.isdigit() for p in raw):
            form.interaction_ids.errors.append(_("Enter conversation IDs (numbers) separated by commas."))
            status = 400
        else:
            try:
                inp = parse_calibration(
                    form.name.data,
                    [int(p) for p in raw],
                    form.scorecard_version_id.data,
                    form.graders.data or [],
                    form.expert.data or None,
                )
                cal = cs.create_calibration(get_session(), signed_in(), inp)
            except DomainError as exc:
                form.name.errors.append(exc.message)
                status = exc.status
            else:
                flash(_("Calibration session created; the graders can start."), "success")
                return redirect(url_for("qa.calibration", calibration_id=cal.id))
    elif request.method == "POST":
        status = 400
    return render_template("qa/calibration/calibration_form.html", form=form), status


@bp.get("/qa/calibrations/<int:calibration_id>")
@role_required(Role.QA, Role.LEAD)
def calibration(calibration_id: int):
    cal = _calibration(calibration_id)
    view = cs.page(get_session(), cal, signed_in())
    return render_template(
        "qa/calibration/calibration.html",
        view=view,
        me=signed_in(),
        can_close=cal.state.can_close()
        and (signed_in().id == cal.created_by_id or Role.ADMIN.value in actor_roles()),
        form=ActionForm(),
    )


@bp.route("/qa/calibrations/<int:calibration_id>/rate/<int:interaction_id>", methods=["GET", "POST"])
@role_required(Role.QA, Role.LEAD)
def calibration_rate(calibration_id: int, interaction_id: int):
    cal = _calibration(calibration_id)
    session = get_session()
    view = cs.page(session, cal, signed_in())
    item = next((i for i in view.interactions if i.id == interaction_id), None)
    if item is None:
        abort(404)
    form_class = calibration_rating_form_class(view.criteria)
    mine = view.mine.get(saved_id(item), {})
    if request.method == "GET" and mine:
        form = form_class(
            data={f"rating_{cid}": NA if r.value is None else str(r.value) for cid, r in mine.items()}
        )
    else:
        form = form_class()
    status = 200
    if form.validate_on_submit():
        ratings = []
        for c in view.criteria:
            raw = getattr(form, f"rating_{c.id}").data
            ratings.append({"criterion_id": c.id, "value": None if raw == NA else int(raw)})
        try:
            cs.submit_ratings(session, signed_in(), cal, parse_ratings(item.id, ratings))
        except DomainError as exc:
            flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("Your ratings are saved. Others cannot see them until the session closes."), "success")
            return redirect(url_for("qa.calibration", calibration_id=cal.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "qa/calibration/calibration_rate.html",
        view=view,
        item=item,
        form=form,
        turns=turns_of(session, saved_id(item)),
    ), status


@bp.post("/qa/calibrations/<int:calibration_id>/close")
@role_required(Role.QA)
def calibration_close(calibration_id: int):
    cal = _calibration(calibration_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        cs.close_calibration(get_session(), signed_in(), cal, is_admin=Role.ADMIN.value in actor_roles())
    except DomainError as exc:
        flash(exc.message, "error")
        view = cs.page(get_session(), cal, signed_in())
        return render_template(
            "qa/calibration/calibration.html",
            view=view,
            me=signed_in(),
            can_close=True,
            form=ActionForm(),
        ), exc.status
    flash(_("The calibration is closed; the results are below."), "success")
    return redirect(url_for("qa.calibration", calibration_id=cal.id))
