"""Categories (two levels, as the source documents' 问题分类词典) and tags, edited by admins."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from articles.errors import InvalidInput, NotFound
from articles.models import (
    CATEGORY_NAME_MAX,
    CATEGORY_SEPARATOR,
    TAG_MAX,
    ArticleRevision,
    Category,
    RevisionTag,
    Tag,
)
from portal.audit import record
from portal.db import saved_id
from portal.models import User

# The request types of the service-centre documents our users work by, with their second level.
DEFAULT_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("咨询", ("产品功能咨询", "售后政策咨询")),
    ("问题/故障", ("物流异常", "产品质量", "软件问题", "硬件故障")),
    ("投诉", ()),
    ("建议/需求", ()),
    ("其他", ()),
)

# A path in an import file or form may use the typographic separator or a plain '>'.
_PATH_SPLIT = re.compile(r"\s*[›>]\s*")


def split_path(path: str) -> list[str]:
    return [part for part in _PATH_SPLIT.split(path.strip()) if part]


def category_paths(session: Session) -> dict[int, str]:
    """Every category's display path ('咨询 › 产品功能咨询'), by id."""
    rows = session.exec(select(Category)).all()
    by_id = {c.id: c for c in rows}
    paths: dict[int, str] = {}
    for c in rows:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        paths[saved_id(c)] = f"{parent.name}{CATEGORY_SEPARATOR}{c.name}" if parent else c.name
    return paths


def category_tree(session: Session) -> list[tuple[Category, list[Category]]]:
    """Top-level categories in order, each with its children."""
    rows = session.exec(select(Category).order_by(col(Category.position), col(Category.name))).all()
    tops = [c for c in rows if c.parent_id is None]
    return [(top, [c for c in rows if c.parent_id == top.id]) for top in tops]


def category_choices(session: Session) -> list[tuple[int, str]]:
    """(id, path) for select boxes, parents followed by their children."""
    paths = category_paths(session)
    choices: list[tuple[int, str]] = []
    for top, children in category_tree(session):
        choices.append((saved_id(top), paths[saved_id(top)]))
        choices.extend((saved_id(c), paths[saved_id(c)]) for c in children)
    return choices


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("A category needs a name."), details={"fields": {"name": "required"}})
    if len(name) > CATEGORY_NAME_MAX:
        raise InvalidInput(
            _l("A category name has at most %(n)d characters.", n=CATEGORY_NAME_MAX),
            details={"fields": {"name": "too long"}},
        )
    if "›" in name or ">" in name:
        raise InvalidInput(
            _l("A category name may not contain › or >."), details={"fields": {"name": "invalid"}}
        )
    return name


def find_category(session: Session, name: str, parent_id: int | None) -> Category | None:
    query = select(Category).where(Category.name == name)
    query = query.where(
        col(Category.parent_id).is_(None) if parent_id is None else Category.parent_id == parent_id
    )
    return session.exec(query).first()


def create_category(
    session: Session, actor: User | None, name: str, parent_id: int | None = None
) -> Category:
    """Add a category; a parent must be top-level (two levels only) and names are unique per parent."""
    name = _clean_name(name)
    if parent_id is not None:
        parent = session.get(Category, parent_id)
        if parent is None:
            raise InvalidInput(_l("Unknown parent category."), details={"fields": {"parent_id": "unknown"}})
        if parent.parent_id is not None:
            raise InvalidInput(
                _l("Categories have two levels; choose a top-level parent."),
                details={"fields": {"parent_id": "too deep"}},
            )
    if find_category(session, name, parent_id) is not None:
        raise InvalidInput(_l("This category already exists."), details={"fields": {"name": "duplicate"}})
    position = session.exec(select(func.count()).select_from(Category)).one()
    category = Category(name=name, parent_id=parent_id, position=position)
    session.add(category)
    session.flush()
    record(
        session,
        actor,
        "category.create",
        "category",
        category.id,
        details={"name": name, "parent": parent_id},
    )
    return category


def _articles_in_categories(session: Session, category_ids: list[int | None]) -> list[int]:
    query = (
        select(ArticleRevision.article_id)
        .where(col(ArticleRevision.category_id).in_(category_ids))
        .distinct()
    )
    return list(session.exec(query).all())


def rename_category(session: Session, actor: User | None, category_id: int, name: str) -> Category:
    """Rename a category; articles in it (and its children) are re-indexed because their path changes."""
    from search_index import article_changed

    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(_l("This category does not exist."))
    name = _clean_name(name)
    existing = find_category(session, name, category.parent_id)
    if existing is not None and existing.id != category.id:
        raise InvalidInput(_l("This category already exists."), details={"fields": {"name": "duplicate"}})
    old = category.name
    category.name = name
    session.add(category)
    session.flush()
    record(session, actor, "category.rename", "category", category.id, details={"from": old, "to": name})
    child_ids = list(session.exec(select(Category.id).where(Category.parent_id == category.id)).all())
    for article_id in _articles_in_categories(session, [category.id, *child_ids]):
        article_changed(session, article_id)
    return category


def delete_category(session: Session, actor: User | None, category_id: int) -> None:
    """Delete an unused category without children; a used one must be emptied first (nothing is lost)."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(_l("This category does not exist."))
    if session.exec(select(Category.id).where(Category.parent_id == category.id)).first() is not None:
        raise InvalidInput(_l("Delete or move the sub-categories first."))
    if _articles_in_categories(session, [category.id]):
        raise InvalidInput(_l("Articles still use this category; move them first."))
    record(session, actor, "category.delete", "category", category.id, details={"name": category.name})
    session.delete(category)
    session.flush()


def seed_default_categories(session: Session) -> None:
    """Default seeder: the request types of the service-centre documents; idempotent, never renames what admins changed."""
    for position, (top_name, children) in enumerate(DEFAULT_CATEGORIES):
        top = find_category(session, top_name, None)
        if top is None:
            top = Category(name=top_name, position=position)
            session.add(top)
            session.flush()
        for child_pos, child in enumerate(children):
            if find_category(session, child, top.id) is None:
                session.add(Category(name=child, parent_id=top.id, position=child_pos))
    session.flush()


# Tags -------------------------------------------------------------------------------------------


# Writers separate tags with an ASCII comma, a full-width comma or an enumeration comma (顿号).
TAG_SEPARATORS = r"[,，、]"


def clean_tags(values: object) -> list[str]:
    """Normalise a tag list: strings, stripped, de-duplicated in order; raises InvalidInput otherwise."""
    from articles.models import TAGS_PER_ARTICLE_MAX

    if values is None:
        return []
    if isinstance(values, str):
        values = re.split(TAG_SEPARATORS, values)
    if not isinstance(values, list | tuple):
        raise InvalidInput(_l("Tags must be a list of names."), details={"fields": {"tags": "not a list"}})
    tags: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidInput(
                _l("Tags must be a list of names."), details={"fields": {"tags": "not a string"}}
            )
        name = value.strip()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise InvalidInput(
                _l("A tag has at most %(n)d characters.", n=TAG_MAX), details={"fields": {"tags": "too long"}}
            )
        if name not in tags:
            tags.append(name)
    if len(tags) > TAGS_PER_ARTICLE_MAX:
        raise InvalidInput(
            _l("An article has at most %(n)d tags.", n=TAGS_PER_ARTICLE_MAX),
            details={"fields": {"tags": "too many"}},
        )
    return tags


def tag_ids(session: Session, names: list[str], cache: dict[str, int] | None = None) -> list[int]:
    """Ids of the named tags, creating the missing ones (tags are free-form; admins tidy them up)."""
    cache = cache if cache is not None else {}
    missing = [n for n in names if n not in cache]
    if missing:
        for tag in session.exec(select(Tag).where(col(Tag.name).in_(missing))).all():
            cache[tag.name] = saved_id(tag)
        for name in missing:
            if name not in cache:
                tag = Tag(name=name)
                session.add(tag)
                session.flush()
                cache[name] = saved_id(tag)
    return [cache[n] for n in names]


def tag_usage(session: Session) -> list[tuple[Tag, int]]:
    """Every tag with the number of revisions using it."""
    counts = dict(
        session.exec(select(RevisionTag.tag_id, func.count()).group_by(col(RevisionTag.tag_id))).all()
    )
    return [(t, counts.get(saved_id(t), 0)) for t in session.exec(select(Tag).order_by(Tag.name)).all()]


def rename_tag(session: Session, actor: User | None, tag_id: int, name: str) -> Tag:
    """Rename a tag; renaming onto an existing tag merges the two."""
    from search_index import article_changed

    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(_l("This tag does not exist."))
    new = clean_tags([name])
    if not new:
        raise InvalidInput(_l("A tag needs a name."), details={"fields": {"name": "required"}})
    target = session.exec(select(Tag).where(Tag.name == new[0])).first()
    affected = _articles_with_tag(session, saved_id(tag))
    if target is not None and target.id != tag.id:
        # Merge: move links that the target does not already have, drop the rest.
        for link in session.exec(select(RevisionTag).where(RevisionTag.tag_id == tag.id)).all():
            dup = session.get(RevisionTag, (link.revision_id, target.id))
            session.delete(link)
            if dup is None:
                session.add(RevisionTag(revision_id=link.revision_id, tag_id=saved_id(target)))
        session.flush()
        record(session, actor, "tag.merge", "tag", tag.id, details={"from": tag.name, "into": target.name})
        session.delete(tag)
        session.flush()
        result = target
    else:
        record(session, actor, "tag.rename", "tag", tag.id, details={"from": tag.name, "to": new[0]})
        tag.name = new[0]
        session.add(tag)
        session.flush()
        result = tag
    for article_id in affected:
        article_changed(session, article_id)
    return result


def delete_tag(session: Session, actor: User | None, tag_id: int) -> None:
    """Remove a tag from every revision."""
    from search_index import article_changed

    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(_l("This tag does not exist."))
    affected = _articles_with_tag(session, saved_id(tag))
    for link in session.exec(select(RevisionTag).where(RevisionTag.tag_id == tag.id)).all():
        session.delete(link)
    record(session, actor, "tag.delete", "tag", tag.id, details={"name": tag.name})
    session.delete(tag)
    session.flush()
    for article_id in affected:
        article_changed(session, article_id)


def _articles_with_tag(session: Session, tag_id: int) -> list[int]:
    query = (
        select(ArticleRevision.article_id)
        .join(RevisionTag, col(RevisionTag.revision_id) == ArticleRevision.id)
        .where(RevisionTag.tag_id == tag_id)
        .distinct()
    )
    return list(session.exec(query).all())
