"""Login, logout, the home page and the user's own account."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_user, logout_user
from sqlmodel import select

from portal import accounts
from portal.auth import current_actor, login_required, public, require_actor
from portal.config import SUPPORTED_LANGUAGES
from portal.db import commit_even_on_error, get_session
from portal.forms import ActionForm, LanguageForm, LoginForm, PasswordForm, TokenForm
from portal.models import ApiToken

bp = Blueprint("portal", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: an open redirect would let a phishing link borrow our login page."""
    if not target:
        return url_for("portal.index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("portal.index")
    return target


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for /favicon.ico whatever the page links; pages link the static icons."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/")
@login_required
def index():
    return render_template("portal/index.html")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if current_actor() is not None and request.method == "GET":
        return redirect(url_for("portal.index"))
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                get_session(),
                form.username.data,
                form.password.data,
                request.remote_addr,
                accounts.ThrottlePolicy(
                    max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    window_seconds=current_app.config["LOGIN_LOCK_SECONDS"],
                    account_failures=current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                    address_failures=current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                ),
            )
        except accounts.LoginThrottled as exc:
            minutes = max(1, (exc.retry_after + 59) // 60)
            flash(
                ngettext(
                    "Too many failed logins. Try again in %(num)d minute.",
                    "Too many failed logins. Try again in %(num)d minutes.",
                    minutes,
                ),
                "error",
            )
            page = render_template("portal/login.html", form=form)
            return page, 429, {"Retry-After": str(exc.retry_after)}
        except accounts.AccountError as exc:
            commit_even_on_error()  # the failure record is what the throttle counts
            disabled = "disabled" in str(exc)
            flash(_("This account is disabled.") if disabled else _("Wrong username or password."), "error")
            status = 401
        else:
            # A fresh session on login: an attacker-planted session id must not become authenticated.
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("portal/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if not ActionForm().validate_on_submit():
        abort(400)
    # The session lives in the browser's cookie: only a new auth_version makes a copy taken before
    # this logout useless (it also ends this user's other sessions, which is the safe side).
    user = current_actor()
    user.auth_version += 1
    get_session().add(user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("portal.login"))


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit() or form.language.data not in SUPPORTED_LANGUAGES:
        abort(400)
    session["language"] = form.language.data
    user = current_actor()
    if user is not None:
        accounts.set_language(get_session(), user, form.language.data)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_actor()
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.change_password(
                get_session(),
                user,
                form.current.data,
                form.new.data,
                actor=user,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
        except accounts.AccountError:
            flash(_("The current password is wrong."), "error")
            status = 400
        else:
            login_user(user)  # auth_version changed: renew this session so only the others end
            flash(
                _(
                    "Password changed. Other sessions have been logged out and your API tokens no longer work."
                ),
                "success",
            )
            return redirect(url_for("portal.account"))
    elif request.method == "POST":
        status = 400
    tokens = (
        get_session()
        .exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
        .all()
    )
    return render_template(
        "portal/account.html", form=form, token_form=TokenForm(), action_form=ActionForm(), tokens=tokens
    ), status


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    user = current_actor()
    if not form.validate_on_submit():
        flash(_("Give the token a name (at most 100 characters)."), "error")
        return redirect(url_for("portal.account")), 303
    _token, clear = accounts.create_token(get_session(), user, form.name.data, actor=user)
    tokens = get_session().exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return render_template(
        "portal/account.html",
        form=PasswordForm(formdata=None),
        token_form=TokenForm(formdata=None),
        action_form=ActionForm(),
        tokens=tokens,
        new_token=clear,
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    user = require_actor()
    token = get_session().get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    accounts.revoke_token(get_session(), token, actor=user)
    flash(_("Token revoked."), "success")
    return redirect(url_for("portal.account"))
