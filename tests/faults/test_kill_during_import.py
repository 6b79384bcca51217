"""kill -9 in the middle of a bulk import: the database stays consistent, the import re-runs
idempotently, and the index shows no drift after the start-up replay."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import func, select

from articles.models import Article

PORTAL = str(Path(sys.executable).with_name("portal"))


def _env(app, database_url):
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=app.config["INSTANCE_DIR"],
        PORTAL_INDEX_DIR=app.config["INDEX_DIR"],
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    return env


def test_import_killed_midway_then_rerun_is_consistent(app, db, database_url, tmp_path):
    rows = 3000
    source = tmp_path / "kb.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            record = {
                "external_id": f"faq-{i}",
                "title": f"花呗还款问题 {i}",
                "solution": f"第 {i} 条解决步骤",
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    env = _env(app, database_url)

    proc = subprocess.Popen(
        [PORTAL, "import-articles", str(source)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    time.sleep(2.5)  # somewhere inside reading, validating, inserting or indexing
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    db.expire_all()
    after_kill = db.exec(select(func.count()).select_from(Article)).one()
    assert after_kill in range(rows + 1)  # whatever landed is whole rows, the database opens fine

    rerun = subprocess.run(
        [PORTAL, "import-articles", str(source)], env=env, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Article)).one() == rows
    assert len(set(db.exec(select(Article.external_id)).all())) == rows

    again = subprocess.run(
        [PORTAL, "import-articles", str(source)], env=env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Article)).one() == rows

    check = subprocess.run([PORTAL, "check-index"], env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
