"""Time a sampling draw over 1,000,000 interactions in SQLite, including the database query (run by hand).

.venv/bin/python benchmarks/sampling_db_bench.py [--interactions 1000000] [--agents 500] [--db PATH]

Builds a fresh database with the portal's schema, bulk-inserts the interactions (executemany, not timed),
then times ``qa.plans.preview_plan`` (the candidate query + ``draw_sample``) and ``draw_plan`` (the same plus
storing the sample items).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session

from portal import create_app, migrate
from portal.db import get_engine
from portal.models import User, UserRole
from qa.models import Interaction
from qa.sampling import services as plans

CHANNELS = ("phone", "chat", "email", "social", "ecommerce", "other")
TZ = ZoneInfo("Asia/Shanghai")
NO_LOGIN = "!"  # not a valid hash: the benchmark's users cannot log in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp()
    db_path = args.db or Path(tmp) / "bench.db"
    app = create_app({"INSTANCE_DIR": tmp, "DATABASE_URL": f"sqlite:///{db_path}", "TESTING": True})
    engine = get_engine(app)
    migrate.upgrade(engine)
    rng = random.Random(7)
    start = datetime(2024, 11, 1, tzinfo=UTC)
    with Session(engine) as session:
        users = [User(username=f"agent{i:04d}", password_hash=NO_LOGIN) for i in range(args.agents)]
        grader = User(username="qa0", password_hash=NO_LOGIN)
        session.add_all([*users, grader])
        session.flush()
        session.add(UserRole(user_id=grader.id, role="qa"))
        agent_ids = [u.id for u in users]
        session.commit()
        grader_obj = session.get(User, grader.id)

        t0 = time.perf_counter()
        batch = []
        for i in range(args.interactions):
            at = start + timedelta(seconds=rng.randrange(30 * 86400))
            batch.append(
                {
                    "ticket_id": f"{at:%Y%m%d}-A{i:07d}",
                    "channel": rng.choices(CHANNELS, weights=(30, 40, 10, 8, 10, 2))[0],
                    "agent_id": rng.choice(agent_ids),
                    "started_at": at,
                    "csat": rng.choice((None, 1, 2, 3, 4, 5, 5, 5)),
                    "complaint": rng.random() < 0.02,
                    "masked_values": 0,
                    "imported_at": start,
                }
            )
            if len(batch) == 50_000:
                session.execute(insert(Interaction), batch)
                batch.clear()
        if batch:
            session.execute(insert(Interaction), batch)
        session.commit()
        print(
            f"inserted {args.interactions:,} interactions in {time.perf_counter() - t0:.1f} s (not part of the draw)"
        )

        plan = plans.create_plan(
            session,
            grader_obj,
            plans.PlanInput(
                name="bench",
                date_from=date(2024, 10, 31),
                date_to=date(2024, 12, 1),
                quota_per_agent=20,
                always_complaints=True,
                always_csat_at_most=2,
                always_cap=5,
                seed=7,
                graders=["qa0"],
            ),
        )
        session.commit()

        t0, c0 = time.perf_counter(), time.process_time()
        preview = plans.preview_plan(session, plan, TZ)
        print(
            f"preview (query + draw): {len(preview.items):,} sampled from {sum(a.population for a in preview.per_agent):,} "
            f"in {time.perf_counter() - t0:.2f} s wall / {time.process_time() - c0:.2f} s CPU"
        )
        t0, c0 = time.perf_counter(), time.process_time()
        result = plans.draw_plan(session, grader_obj, plan, TZ, date(2024, 12, 2))
        session.commit()
        print(
            f"draw (query + draw + store {len(result.items):,} items + commit): "
            f"{time.perf_counter() - t0:.2f} s wall / {time.process_time() - c0:.2f} s CPU"
        )


if __name__ == "__main__":
    main()
