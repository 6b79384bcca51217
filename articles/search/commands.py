"""``portal reindex``, ``portal check-index`` and ``portal search`` (stable interfaces that scripts rely on)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlmodel import Session, func, select

from articles.search.runtime import get_search_engine
from portal.db import get_engine
from search_index import rebuild_procs, search_articles

MAX_IDS_SHOWN = 50
_NO_SYNC = "this search engine has no database to index from"


@click.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=None,
    help="Processes analysing articles in parallel (default: the CPU cores, at most 4).",
)
@with_appcontext
def reindex_command(procs: int | None) -> None:
    """Rebuild this node's search index from the database (searches keep working meanwhile)."""
    from articles.models import Article

    engine = get_search_engine()
    sync = engine.sync
    if sync is None:  # the app's engine is built with its database, hence always with an index sync
        raise click.ClickException(_NO_SYNC)
    with Session(get_engine()) as session:
        total = session.exec(select(func.count()).select_from(Article)).one()
    done = [0]
    with click.progressbar(length=total, label="Indexing articles", file=sys.stderr) as bar:

        def progress(n: int) -> None:
            bar.update(n - done[0])
            done[0] = n

        n = sync.rebuild(progress, procs=procs or rebuild_procs())
    click.echo(f"Indexed {n} article(s) into {engine.index.index_dir}")
    _reindex_vectors(engine, total)


def _reindex_vectors(engine, total: int) -> None:
    vectors = engine.vectors
    if vectors is None or not vectors.ensure_model():
        state = vectors.status() if vectors is not None else {"state": "off", "reason": ""}
        click.echo(
            f"Semantic search {state['state']}; no article vectors computed. {state['reason']}".rstrip()
        )
        return
    done = [0]
    with click.progressbar(
        length=total, label=f"Embedding articles ({vectors.model_name})", file=sys.stderr
    ) as bar:

        def progress(n: int) -> None:
            bar.update(n - done[0])
            done[0] = n

        n = vectors.rebuild(progress)
    click.echo(f"Computed {n} article vector(s) with {vectors.model_name}")


def _show(label: str, ids: list) -> None:
    shown = ", ".join(str(i) for i in ids[:MAX_IDS_SHOWN])
    more = f" … and {len(ids) - MAX_IDS_SHOWN} more" if len(ids) > MAX_IDS_SHOWN else ""
    click.echo(f"{label}: {len(ids)}" + (f" ({shown}{more})" if ids else ""))


@click.command("check-index")
@with_appcontext
def check_index_command() -> None:
    """Compare the search index with the database; exit status 1 when they differ."""
    engine = get_search_engine()
    if engine.sync is None:
        raise click.ClickException(_NO_SYNC)
    report = engine.sync.check()
    _show("missing", report.missing)
    _show("stale", report.stale)
    _show("extra", report.extra)
    clean = report.clean
    vectors = engine.vectors
    if vectors is not None and vectors.ensure_model():
        vreport = vectors.check()
        _show("vectors missing", vreport.missing)
        _show("vectors stale", vreport.stale)
        _show("vectors extra", vreport.extra)
        clean = clean and vreport.clean
        if vreport.clean:
            click.echo(f"Vectors OK: {vreport.checked} article vector(s) ({vectors.model_name}).")
    elif vectors is not None:
        click.echo(f"Semantic search {vectors.status()['state']}: vectors not checked.")
    if not clean:
        click.echo("The index differs from the database; run `portal reindex`.", err=True)
        sys.exit(1)
    click.echo(f"Index OK: {report.checked} article(s) match the database.")


def _result_line(query: str, outcome) -> str:
    return json.dumps(
        {
            "query": query,
            "results": [
                {"external_id": h.external_id or None, "id": h.id, "title": h.title, "score": h.score}
                for h in outcome.hits
            ],
        },
        ensure_ascii=False,
    )


@click.command("search")
@with_appcontext
@click.argument("query", required=False)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="Read one query a line ('-': stdin).")
@click.option("--include-unpublished", is_flag=True, help="Also drafts and articles in review.")
def search_command(query: str | None, limit: int, as_json: bool, batch, include_unpublished: bool) -> None:
    """Search published articles as an agent would (not written to the search log)."""
    if (query is None) == (batch is None):
        raise click.UsageError("give either QUERY or --batch FILE")
    engine = get_search_engine()
    roles = ("admin",) if include_unpublished else ("agent",)
    # Exactly one of QUERY and --batch is given (checked above).
    queries = (line.rstrip("\r\n") for line in batch) if batch is not None else iter([query or ""])
    with Session(get_engine()) as session:
        for text in queries:
            outcome = search_articles(
                session, engine, text, actor_roles=roles, include_unpublished=include_unpublished, limit=limit
            )
            if as_json:
                click.echo(_result_line(text, outcome))
                continue
            if batch is not None:
                click.echo(f"# {text}")
            if not outcome.hits:
                click.echo(
                    "No results." + (f" Did you mean: {outcome.suggestion}" if outcome.suggestion else "")
                )
            for rank, hit in enumerate(outcome.hits, start=1):
                status = "" if hit.status == "published" else f" [{hit.status}]"
                click.echo(
                    f"{rank:>3}. {hit.score:8.3f}  #{hit.id} {hit.external_id or '-'}  {hit.title}{status}"
                )
