"""Administration of users and roles, and the audit log page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import func, select

from portal import accounts
from portal.auth import current_actor, role_required
from portal.db import get_session
from portal.forms import UserCreateForm, UserEditForm, role_choices
from portal.models import AuditLog, Role, User, UserRole

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    session = get_session()
    rows = session.exec(select(User).order_by(User.username)).all()
    roles: dict[int, list[str]] = {}
    for link in session.exec(select(UserRole)).all():
        roles.setdefault(link.user_id, []).append(link.role)
    labels = dict(role_choices())  # role names as the reader's language says them, never the codes
    names = {uid: [str(labels.get(r, r)) for r in sorted(rs)] for uid, rs in roles.items()}
    return render_template("portal/admin_users.html", users=rows, roles=names)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_user():
    form = UserCreateForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                get_session(),
                form.username.data,
                form.password.data,
                form.roles.data,
                display_name=form.display_name.data or "",
                team=form.team.data or None,
                email=form.email.data or None,
                actor=current_actor(),
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
        except accounts.AccountError as exc:
            form.username.errors.append(str(exc))
            status = 400
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 400
    return render_template("portal/admin_user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(accounts.roles_of(session, user))
        form.active.data = user.is_active
    status = 200
    if form.validate_on_submit():
        actor = current_actor()
        try:
            accounts.update_profile(
                session,
                user,
                display_name=form.display_name.data or "",
                team=form.team.data,
                email=form.email.data,
                actor=actor,
            )
            accounts.set_roles(session, user, form.roles.data, actor=actor)
            if form.active.data != user.is_active:
                accounts.set_active(session, user, form.active.data, actor=actor)
            if form.new_password.data:
                accounts.change_password(
                    session,
                    user,
                    None,
                    form.new_password.data,
                    actor=actor,
                    hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                )
        except accounts.LastAdminError:
            session.rollback()
            flash(
                _(
                    "The portal needs at least one active administrator. Make another user an administrator "
                    "first. Nothing was changed."
                ),
                "error",
            )
            status = 400
        except accounts.AccountError as exc:
            session.rollback()
            form.roles.errors.append(str(exc))
            status = 400
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 400
    return render_template("portal/admin_user_form.html", form=form, user=user), status


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    session = get_session()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = select(AuditLog)
    action = (request.args.get("action") or "").strip()[:64]
    if action:
        query = query.where(AuditLog.action.startswith(action))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    entries = session.exec(
        query.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    actors = (
        {u.id: u for u in session.exec(select(User).where(User.id.in_(actor_ids))).all()} if actor_ids else {}
    )
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template(
        "portal/admin_audit.html", entries=entries, actors=actors, page=page, pages=pages, action=action
    )
