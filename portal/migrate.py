"""Alembic, driven from code so that ``portal init`` needs no alembic.ini.

Each package keeps its own branch of revisions (branch labels ``portal``, ``articles``, ``qa``, ``search``)
in ``portal/migrations/versions``; ``upgrade`` goes to all heads.  To write a revision for a package after
changing its models, run (tables are matched by the package's table-name prefix)::

    .venv/bin/python -m portal.make_migration articles "add article attachments"
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Which tables belong to which branch, by name prefix; "portal" owns everything else.
BRANCH_PREFIXES = {"articles": ("kb_",), "search": ("search_",), "qa": ("qa_",)}


def branch_of_table(name: str) -> str:
    for branch, prefixes in BRANCH_PREFIXES.items():
        if name.startswith(prefixes):
            return branch
    return "portal"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Create or upgrade the schema in place."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def script_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
