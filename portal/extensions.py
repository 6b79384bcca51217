"""Small registries through which packages plug into the shell: navigation, demo data, start-up tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    """A link in the base layout's navigation, shown to users holding one of ``roles`` (any user if empty)."""

    endpoint: str
    label: Any  # a lazy_gettext string, translated when rendered
    roles: tuple[str, ...] = ()
    order: int = 50
    group: str = "main"
    kwargs: dict[str, Any] = field(default_factory=dict)


def register_nav(app: Flask, item: NavItem) -> None:
    app.extensions.setdefault("portal.nav", []).append(item)
    app.extensions["portal.nav"].sort(key=lambda i: i.order)


def register_demo_seeder(app: Flask, order: int, seeder: Callable[..., None]) -> None:
    """``seeder(session, users)`` adds demo data; ``users`` maps role name to the demo user of that role."""
    app.extensions.setdefault("portal.demo_seeders", []).append((order, seeder))


def register_default_seeder(app: Flask, order: int, seeder: Callable[..., None]) -> None:
    """``seeder(session)`` adds data every installation needs (default scorecard, categories); idempotent."""
    app.extensions.setdefault("portal.default_seeders", []).append((order, seeder))
