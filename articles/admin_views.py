"""Admin pages for categories and tags."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from articles import categories
from articles.errors import ArticleError
from articles.forms import CategoryForm, RenameForm
from portal.auth import current_actor, role_required
from portal.db import get_session
from portal.models import Role

bp = Blueprint("articles_admin", __name__, url_prefix="/admin/kb", template_folder="templates")


def _page(form: CategoryForm | None = None, status: int = 200):
    session = get_session()
    form = form or CategoryForm()
    tree = categories.category_tree(session)
    form.parent_id.choices = [(0, _l("— top level —")), *[(top.id, top.name) for top, _children in tree]]
    return render_template(
        "articles/admin_categories.html",
        tree=tree,
        form=form,
        rename_form=RenameForm(),
        tags=categories.tag_usage(session),
    ), status


@bp.get("/categories")
@role_required(Role.ADMIN)
def index():
    return _page()


@bp.post("/categories")
@role_required(Role.ADMIN)
def create():
    form = CategoryForm()
    form.parent_id.choices = [
        (0, ""),
        *[(top.id, top.name) for top, _c in categories.category_tree(get_session())],
    ]
    if not form.validate():
        return _page(form, 400)
    try:
        categories.create_category(
            get_session(), current_actor(), form.name.data, form.parent_id.data or None
        )
    except ArticleError as exc:
        form.name.errors = [str(exc)]
        return _page(form, exc.status)
    flash(_("Category added."), "success")
    return redirect(url_for("articles_admin.index"))


def _act(fn, *args, ok: str):
    try:
        fn(get_session(), current_actor(), *args)
    except ArticleError as exc:
        return render_template(
            "articles/refused.html", message=str(exc), back=url_for("articles_admin.index"), status=exc.status
        ), exc.status
    flash(ok, "success")
    return redirect(url_for("articles_admin.index"))


@bp.post("/categories/<int:category_id>/rename")
@role_required(Role.ADMIN)
def rename(category_id: int):
    form = RenameForm()
    if not form.validate():
        return _page(status=400)
    return _act(categories.rename_category, category_id, form.name.data, ok=_("Category renamed."))


@bp.post("/categories/<int:category_id>/delete")
@role_required(Role.ADMIN)
def delete(category_id: int):
    return _act(categories.delete_category, category_id, ok=_("Category deleted."))


@bp.post("/tags/<int:tag_id>/rename")
@role_required(Role.ADMIN)
def rename_tag(tag_id: int):
    form = RenameForm()
    if not form.validate():
        return _page(status=400)
    return _act(categories.rename_tag, tag_id, form.name.data, ok=_("Tag renamed."))


@bp.post("/tags/<int:tag_id>/delete")
@role_required(Role.ADMIN)
def delete_tag(tag_id: int):
    return _act(categories.delete_tag, tag_id, ok=_("Tag deleted."))
