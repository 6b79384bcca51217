"""Search pages: the search page (agents, leads, QA), click tracking, analytics (leads), synonyms (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from articles.search.analytics import Period, search_report
from articles.search.forms import SearchSettingsForm
from articles.search.links import article_url, new_article_url
from articles.search.runtime import get_search_engine
from articles.search.services import SettingsInvalid, current_settings, save_search_settings
from portal.auth import actor_roles, current_actor, require_actor, role_required
from portal.db import after_commit, get_session
from portal.models import Role
from search_index import bundled_synonym_rules, can_include_unpublished, record_click, search_articles

bp = Blueprint("search", __name__, template_folder="templates")

PAGE_SIZE = 10
MAX_PAGE = 100
SEARCH_ROLES = (Role.AGENT, Role.LEAD, Role.QA)


def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name, "")
    return min(int(raw), maximum) if raw.isdigit() and int(raw) >= 1 else default


def _categories() -> list[str]:
    from articles.categories import category_paths

    return sorted(category_paths(get_session()).values())


@bp.get("/search")
@role_required(*SEARCH_ROLES)
def search():
    args = request.args
    actor = current_actor()
    roles = actor_roles(actor)
    page = _int_arg("page", 1, MAX_PAGE)
    filters = {
        "category": args.get("category", "").strip(),
        "tag": args.get("tag", "").strip(),
        "all": "1" if args.get("all") == "1" and can_include_unpublished(roles) else "",
    }
    outcome = search_articles(
        get_session(),
        get_search_engine(),
        args.get("q", ""),
        actor_roles=roles,
        actor_id=actor.id,
        include_unpublished=filters["all"] == "1",
        category=filters["category"],
        tag=filters["tag"],
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        log_source="page",
    )
    # Later pages carry the first page's log entry so that their clicks count too.
    log_id = outcome.log_id or _int_arg("l", 0, 2**62)
    pages = min(MAX_PAGE, (outcome.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template(
        "search/search.html",
        outcome=outcome,
        page=page,
        pages=pages,
        filters=filters,
        log_id=log_id,
        categories=_categories(),
        may_include_unpublished=can_include_unpublished(roles),
        new_article_url=new_article_url,
        article_url=article_url,
    )


@bp.get("/search/click/<int:log_id>/<int:article_id>")
@role_required(*SEARCH_ROLES)
def click(log_id: int, article_id: int):
    # A GET that only marks the searcher's own log entry and redirects to our own article page: a forged
    # link can do no more than record a click in the victim's own search history.
    record_click(get_session(), log_id, article_id, require_actor().id)
    return redirect(article_url(article_id))


@bp.get("/search/analytics")
@role_required(Role.LEAD)
def analytics():
    period = Period.parse(request.args.get("from"), request.args.get("to"))
    report = search_report(get_session(), period)
    return render_template("search/analytics.html", report=report, new_article_url=new_article_url)


@bp.route("/admin/search/synonyms", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def synonyms():
    session = get_session()
    form = SearchSettingsForm()
    if request.method == "GET":
        saved = current_settings(session)
        form.synonyms.data, form.userdict.data = saved["synonyms"], saved["userdict"]
    status = 200
    errors: dict[str, list[tuple[int, str]]] = {}
    if form.validate_on_submit():
        try:
            changed = save_search_settings(session, current_actor(), form.synonyms.data, form.userdict.data)
        except SettingsInvalid as exc:
            errors, status = exc.errors, 400
        else:
            # This worker applies the new lists at its next search; the others within their poll interval.
            after_commit(session, get_search_engine().settings.expire)
            flash(
                _("Saved; searches use the new lists now.") if changed else _("Nothing changed."), "success"
            )
            return redirect(url_for("search.synonyms"))
    elif request.method == "POST":
        status = 400
    search_engine = get_search_engine()
    vectors = search_engine.vectors
    return render_template(
        "search/synonyms.html",
        fusion=search_engine.fusion_model,
        form=form,
        errors=errors,
        bundled_rules=bundled_synonym_rules(),
        semantic=vectors.status() if vectors is not None else {"state": "off", "setting": "off"},
    ), status
