"""Developer tool: autogenerate an Alembic revision holding only one package's tables.

    .venv/bin/python -m portal.make_migration articles "add article attachments"

It upgrades a scratch SQLite database to the current heads, then compares it with the models, keeping
only the tables of the named branch (see ``portal.migrate.BRANCH_PREFIXES``).
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from alembic.script import ScriptDirectory

from portal.app import create_app
from portal.db import get_engine
from portal.migrate import BRANCH_PREFIXES, MIGRATIONS_DIR, alembic_config, upgrade


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"portal", *BRANCH_PREFIXES}:
        print(__doc__)
        return 2
    branch, message = argv
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"INSTANCE_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/scratch.db", "TESTING": True}
        )
        engine = get_engine(app)
        upgrade(engine)
        cfg = alembic_config()
        cfg.attributes["autogenerate_branch"] = branch
        script = ScriptDirectory.from_config(cfg)
        has_branch = any(branch in (script.get_revision(h).branch_labels or ()) for h in script.get_heads())
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            if has_branch:
                command.revision(cfg, message=message, autogenerate=True, head=f"{branch}@head")
            else:
                command.revision(
                    cfg,
                    message=message,
                    autogenerate=True,
                    head="base",
                    branch_label=branch,
                    version_path=str(MIGRATIONS_DIR / "versions"),
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
