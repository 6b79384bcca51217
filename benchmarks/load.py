"""Load benchmark (by hand, not in CI): ``portal serve`` with 2 workers on SQLite holding the 69,000 FAQ
articles, 50 concurrent clients for 60 s, 80 % searches / 15 % article views / 5 % writes (drafts,
feedback, ticket links), side by side with /healthz on the same server as the ceiling.

    .venv/bin/python -m benchmarks.load [--clients 50] [--duration 60] [--instance DIR] [--limit N]
    .venv/bin/python -m benchmarks.load --database postgresql     # the same on a PostgreSQL server

With ``--database postgresql`` the script starts a cluster of Debian's ``postgresql`` package (install it
with ``tools/system-packages.sh postgresql``) on 127.0.0.1 with its data in the instance folder
(``benchmarks/out/load-instance-pg/pgdata``), PostgreSQL's default durability settings, and stops it at
the end; the server's workers then use their connection pools instead of SQLite's file.

The instance folder (default benchmarks/out/load-instance) is prepared once: ``portal init``, an admin,
an agent and a lead with API tokens, then both FAQ files through ``portal import-articles --publish``
(lexical only, the fast path), then ``portal reindex`` with the semantic setting the server runs with, so
every article has its vector before the clock starts; later runs reuse it.  The server runs with the app's
default semantic setting (``PORTAL_SEMANTIC`` unset, i.e. ``use``) unless ``--semantic`` says otherwise.
Traffic goes to 127.0.0.1 only; every phase is bounded in time.

Targets (issue 8): zero errors; search p95 under load < 10 x its single-user p95; mix throughput at least
1/4 of /healthz throughput.  A JSON report is written to benchmarks/out/load_<time>.json.

Back to back, every client always has a request in the queue: with 50 clients and 2 sync workers a request
waits for ~24 others (Little's law), so its latency is ~25 times the time a worker spends on it, however
short that is.  A second, *paced* run of the same mix (``--think``, 2 s by default) has every client pause
before its first request and after each answer (exponentially distributed, like people reading it), which
shows what 50 working agents experience.  Worker memory (VmRSS and the unshared RssAnon, from /proc) is read
after the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.fault_support import (
    BENCH,
    ROOT,
    PostgresServer,
    Server,
    create_user_with_token,
    free_port,
    log_line,
    portal,
    portal_env,
)

OUT = ROOT / "benchmarks" / "out"
FILES = ("faq_zh_articles.jsonl", "faq_zh_extra_articles.jsonl")


def prepare(instance: Path, limit: int | None, semantic: str, db_env: dict[str, str]) -> dict:
    marker = instance / "load-ready.json"
    if marker.exists():
        info = json.loads(marker.read_text())
    else:
        info = import_all(instance, limit, db_env)
        marker.write_text(json.dumps(info))
    if semantic != "off" and semantic not in info.get("vectors", {}):
        # Without stored vectors every worker would embed 69,000 articles in the background during the run.
        log_line(f"portal reindex with PORTAL_SEMANTIC={semantic} (article vectors)")
        started = time.monotonic()
        portal(portal_env(instance, PORTAL_SEMANTIC=semantic, **db_env), "reindex", timeout=4 * 3600)
        info.setdefault("vectors", {})[semantic] = round(time.monotonic() - started, 1)
        marker.write_text(json.dumps(info))
    return info


def import_all(instance: Path, limit: int | None, db_env: dict[str, str]) -> dict:
    instance.mkdir(parents=True, exist_ok=True)
    env = portal_env(instance, **db_env)
    portal(env, "init")
    tokens = {
        "admin": create_user_with_token(env, "bench_admin", "admin"),
        "agent": create_user_with_token(env, "bench_agent", "agent"),
        "lead": create_user_with_token(env, "bench_lead", "lead"),
    }
    started = time.monotonic()
    for name in FILES:
        path = BENCH / name
        if limit:
            path = instance / f"limited-{name}"
            with (BENCH / name).open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as dst:
                for i, line in enumerate(src):
                    if i >= limit:
                        break
                    dst.write(line)
        log_line(f"importing {path.name}")
        portal(env, "import-articles", str(path), "--publish", "--as", "bench_admin", timeout=4 * 3600)
    return {"tokens": tokens, "import_seconds": round(time.monotonic() - started, 1)}


def published_ids(url: str) -> list[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return list(db.execute(text("SELECT id FROM kb_articles WHERE status = 'published'")).scalars())
    finally:
        engine.dispose()


def queries() -> list[str]:
    with (BENCH / "faq_zh_dev_queries.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh if line.strip()]


class Client(threading.Thread):
    """One simulated user: a keep-alive connection, requests until the deadline, back to back or (``think``
    seconds on average, exponentially distributed) with a pause before the first request and after each
    answer, like a person."""

    def __init__(self, port, token, pick, deadline, seed, think=0.0):
        super().__init__(daemon=True)
        self.port, self.token, self.pick, self.deadline = port, token, pick, deadline
        self.think = think
        self.rng = random.Random(seed)
        self.samples: list[tuple[str, float, int, float]] = []  # (kind, seconds, status, sent at)

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if self.think:
            # A pause before the first request too, as people already at work are: 50 first requests at the
            # same instant queued ~0.5 s deep on 2 workers, and those ~3 % of a paced run's answers made
            # its p99 (200-350 ms); after the first 2.2 s no answer took over 150 ms (2026-12-02 probe).
            self._pause()
        while time.monotonic() < self.deadline:
            kind, method, path, body = self.pick(self.rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.samples.append((kind, time.perf_counter() - started, status, started))
            if self.think:
                self._pause()
        conn.close()

    def _pause(self):
        time.sleep(min(self.rng.expovariate(1 / self.think), max(0.0, self.deadline - time.monotonic())))


def server_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the server's processes (Linux /proc): what the requests cost the server,
    whatever else the machine is doing."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def worker_memory_mb(pids: list[int]) -> list[dict[str, float]]:
    """Resident memory of each worker (Linux /proc): all of it (VmRSS), its proportional share (Pss), the
    anonymous part (RssAnon) and the peak (VmHWM)."""
    out = []
    for pid in pids:
        try:
            status = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if ":" in line
            )
        except OSError:
            continue
        kib = {k: int(status[k].split()[0]) for k in ("VmRSS", "RssAnon", "VmHWM") if k in status}
        # Pss: the worker's own pages plus its share of the pages it shares (the model and jieba's
        # dictionary, loaded in the master): the workers' Pss add up to what they use together.
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kib["Pss"] = int(line.split()[1])
        out.append({"pid": pid, **{f"{k}_mb": round(v / 1024, 1) for k, v in kib.items()}})
    return out


def run_phase(port, token, pick, clients, duration, seed=1, server=None, think=0.0):
    pids = [server.proc.pid, *server.worker_pids(), *server.database_pids()] if server is not None else []
    cpu_before = server_cpu_seconds(pids)
    deadline = time.monotonic() + duration
    threads = [Client(port, token, pick, deadline, seed * 1000 + i, think) for i in range(clients)]
    started, phase_start = time.monotonic(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 120)
    elapsed = time.monotonic() - started
    samples = [s for t in threads for s in t.samples]
    out = summarize(samples, elapsed)
    # Where the slowest answers fall in the phase: a stall of the server shows as a cluster in time.
    out["slowest"] = [
        {"kind": kind, "sent_at_s": round(sent - phase_start, 2), "ms": round(took * 1000, 1), "status": st}
        for kind, took, st, sent in sorted(samples, key=lambda x: -x[1])[:15]
    ]
    if pids and samples:
        out["server_cpu_ms_per_request"] = round(
            (server_cpu_seconds(pids) - cpu_before) * 1000 / len(samples), 2
        )
    return out


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[k] * 1000, 1)


def summarize(samples, elapsed):
    out = {"elapsed_s": round(elapsed, 1), "requests": len(samples), "rps": round(len(samples) / elapsed, 1)}
    kinds = sorted({k for k, *_ in samples})
    out["errors"] = sum(1 for _, _, st, _ in samples if st == 0 or st >= 500 or st in (401, 403, 404))
    out["by_kind"] = {}
    for kind in kinds:
        times = [d for k, d, *_ in samples if k == kind]
        statuses = {}
        for k, _, st, _ in samples:
            if k == kind:
                statuses[str(st)] = statuses.get(str(st), 0) + 1
        out["by_kind"][kind] = {
            "n": len(times),
            "rps": round(len(times) / elapsed, 1),
            "p50_ms": pct(times, 50),
            "p95_ms": pct(times, 95),
            "p99_ms": pct(times, 99),
            "mean_ms": round(statistics.fmean(times) * 1000, 1),
            "statuses": statuses,
        }
    return out


def wait_for_vectors(server_log: Path, offset: int, workers: int, timeout: float = 600) -> None:
    """Workers load the model and the vectors in the background and search lexically meanwhile: measure
    only once every worker has them, so the single-user and the loaded phases search the same way (and,
    when the learned fusion is served, once every worker has computed its articles' neighbour densities)."""
    from search_index.ranking.learned import load_model

    ready = ["article vector(s) loaded"]
    if load_model() is not None:
        ready.append("neighbour densities of")
    log_line("waiting for every worker to load the article vectors")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with server_log.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
        if all(text.count(marker) >= workers for marker in ready):
            return
        if "lexical results only" in text or "lexical search only" in text:
            raise RuntimeError(f"semantic search failed to load; see {server_log}")
        time.sleep(1)
    raise RuntimeError(f"the workers did not load their vectors within {timeout} s; see {server_log}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--ceiling-duration", type=float, default=20)
    parser.add_argument("--single-requests", type=int, default=200)
    parser.add_argument(
        "--database",
        default="sqlite",
        choices=("sqlite", "postgresql"),
        help="postgresql: a cluster of Debian's package on 127.0.0.1, started and stopped here",
    )
    parser.add_argument(
        "--instance", type=Path, default=None, help="default benchmarks/out/load-instance[-pg]"
    )
    parser.add_argument("--limit", type=int, default=None, help="import only the first N lines of each file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--semantic", default="use", choices=("off", "use", "e5"), help="PORTAL_SEMANTIC of the server"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="after the back-to-back mix, the same mix with this mean pause (s) after each answer; 0: skip",
    )
    args = parser.parse_args()
    assert 1 <= args.clients <= 200 and 1 <= args.duration <= 600 and 0 <= args.think <= 60
    if args.database == "postgresql":
        instance = args.instance or OUT / "load-instance-pg"
        # The cluster's data lives in the instance folder, so the 69,000 imported articles are kept.
        with PostgresServer(instance / "pgdata", free_port()) as pg:
            run(args, instance, {"PORTAL_DATABASE_URL": pg.url}, pg.url, pg.pids)
    else:
        instance = args.instance or OUT / "load-instance"
        run(args, instance, {}, f"sqlite:///{instance / 'portal.db'}", list)


def run(
    args: argparse.Namespace,
    instance: Path,
    db_env: dict[str, str],
    db_url: str,
    database_pids: Callable[[], list[int]],
) -> None:
    """Prepare the instance on its database, serve it, drive the phases, report (the server CPU includes
    the database server's processes, so SQLite and PostgreSQL runs compare)."""
    info = prepare(instance, args.limit, args.semantic, db_env)
    tokens = info["tokens"]
    ids = published_ids(db_url)
    qs = queries()
    log_line(f"{len(ids)} published articles, {len(qs)} queries; import took {info['import_seconds']} s")
    port = free_port()
    writes = ("draft", "feedback", "ticket")
    ticket_seq = iter(range(1, 10**9))

    def search(rng):
        q = rng.choice(qs)
        from urllib.parse import quote

        return "search", "GET", f"/api/v1/search?q={quote(q)}&limit=10", None

    def mix(rng):
        r = rng.random()
        if r < 0.80:
            return search(rng)
        if r < 0.95:
            return "view", "GET", f"/api/v1/articles/{rng.choice(ids)}", None
        kind = writes[int(rng.random() * 3)]
        if kind == "draft":
            body = {
                "title": f"压测草稿 {rng.random():.6f}",
                "scenario": "客户无法登录",
                "solution": "1. 重置密码",
            }
            return "write:draft", "POST", "/api/v1/articles", body
        if kind == "feedback":
            body = {"helpful": rng.random() < 0.7, "reason": ""}
            return "write:feedback", "POST", f"/api/v1/articles/{rng.choice(ids)}/feedback", body
        ticket = f"20240315-L{next(ticket_seq):05d}"
        return "write:ticket", "POST", f"/api/v1/articles/{rng.choice(ids)}/tickets", {"ticket_id": ticket}

    def healthz(_rng):
        return "healthz", "GET", "/healthz", None

    env = portal_env(instance, PORTAL_SEMANTIC=args.semantic, **db_env)
    report = {
        "database": args.database,
        "semantic": args.semantic,
        "clients": args.clients,
        "duration_s": args.duration,
        "workers": args.workers,
        "articles": len(ids),
        "import_seconds": info["import_seconds"],
    }
    server_log = OUT / "load-server.log"
    log_start = server_log.stat().st_size if server_log.exists() else 0
    with Server(env, port, workers=args.workers, log=server_log, database_pids=database_pids) as server:
        if args.semantic != "off":
            wait_for_vectors(server_log, log_start, args.workers)
        log_line("warm-up")
        run_phase(port, tokens["agent"], search, 2, 5)
        log_line("single user: search")
        single = run_phase(
            port, tokens["agent"], search, 1, max(5.0, args.single_requests * 0.05), server=server
        )
        report["single_user_search"] = single["by_kind"]["search"]
        report["single_user_search"]["server_cpu_ms_per_request"] = single.get("server_cpu_ms_per_request")
        log_line(f"ceiling: /healthz x {args.clients} for {args.ceiling_duration} s")
        report["healthz"] = run_phase(
            port, tokens["agent"], healthz, args.clients, args.ceiling_duration, server=server
        )
        log_line(f"mix x {args.clients} for {args.duration} s")
        report["mix"] = run_phase(port, tokens["agent"], mix, args.clients, args.duration, server=server)
        if args.think:
            log_line(
                f"paced mix: {args.clients} agents pausing {args.think} s on average, for {args.duration} s"
            )
            report["paced_mix"] = run_phase(
                port,
                tokens["agent"],
                mix,
                args.clients,
                args.duration,
                seed=2,
                server=server,
                think=args.think,
            )
            report["paced_mix"]["think_s"] = args.think
        report["worker_memory"] = worker_memory_mb(server.worker_pids())

    s1 = report["single_user_search"]["p95_ms"]
    sl = report["mix"]["by_kind"]["search"]["p95_ms"]
    report["targets"] = {
        "zero_errors": report["mix"]["errors"] == 0,
        "search_p95_ratio": round(sl / s1, 2) if s1 else None,
        "search_p95_under_10x": bool(s1) and sl < 10 * s1,
        "throughput_ratio": round(report["mix"]["rps"] / report["healthz"]["rps"], 3),
        "throughput_at_least_quarter": report["mix"]["rps"] >= report["healthz"]["rps"] / 4,
    }
    if "paced_mix" in report:
        sp = report["paced_mix"]["by_kind"]["search"]["p95_ms"]
        report["targets"]["paced_zero_errors"] = report["paced_mix"]["errors"] == 0
        report["targets"]["paced_search_p95_ratio"] = round(sp / s1, 2) if s1 else None
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"load_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print_table(report)
    print(f"report: {path.relative_to(ROOT)}")


def print_table(report):
    print(
        f"\n{report['articles']} articles, {report['clients']} clients, {report['workers']} workers, "
        f"{report['database']}"
    )
    print(f"{'phase/kind':<22}{'n':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    rows = [("single-user search", report["single_user_search"])]
    rows += [("healthz (ceiling)", report["healthz"]["by_kind"]["healthz"])]
    rows += [(f"mix {k}", v) for k, v in report["mix"]["by_kind"].items()]
    if "paced_mix" in report:
        rows += [(f"paced {k}", v) for k, v in report["paced_mix"]["by_kind"].items()]
    for name, r in rows:
        print(
            f"{name:<22}{r['n']:>8}{r['rps']:>9}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}  {r['statuses']}"
        )
    print(
        f"mix total: {report['mix']['requests']} requests, {report['mix']['rps']} req/s, errors {report['mix']['errors']}"
    )
    print(
        "server CPU ms per request: single-user search "
        f"{report['single_user_search'].get('server_cpu_ms_per_request')}, /healthz "
        f"{report['healthz'].get('server_cpu_ms_per_request')}, mix {report['mix'].get('server_cpu_ms_per_request')}"
        f" (semantic: {report['semantic']})"
    )
    slowest = report["mix"].get("slowest", [])[:6]
    if slowest:
        print(
            "mix slowest (kind ms @ sent s):",
            ", ".join(f"{x['kind']} {x['ms']:.0f} @ {x['sent_at_s']}" for x in slowest),
        )
    if "paced_mix" in report:
        paced = report["paced_mix"]
        print(
            f"paced mix ({paced['think_s']} s think time): {paced['requests']} requests, {paced['rps']} req/s, "
            f"errors {paced['errors']}, server CPU {paced.get('server_cpu_ms_per_request')} ms/request"
        )
    for worker in report.get("worker_memory", []):
        print(f"worker {worker['pid']}: {worker}")
    print(f"targets: {report['targets']}")


if __name__ == "__main__":
    main()
