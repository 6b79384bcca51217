"""``portal import-articles`` and ``portal export-articles``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from articles.exporting import export_lines
from articles.import_lines import ImportNotAllowed
from articles.importing import import_articles
from portal.db import session_scope
from portal.models import User


@click.command("import-articles")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--publish", is_flag=True, help="Publish at once (migrating a knowledge base; administrators only)."
)
@click.option("--as", "as_user", metavar="NAME", help="Import as this user (author, and audit actor).")
@click.option(
    "--no-create-categories",
    is_flag=True,
    help="Reject lines whose category does not exist instead of creating it.",
)
def import_articles_command(
    path: str, publish: bool, as_user: str | None, no_create_categories: bool
) -> None:
    """Upsert articles from a JSON Lines file by external_id. Bad lines are reported with their number;
    the good ones still land; the exit status is 1 if any line failed."""
    # Bytes, decoded line by line: a line in another encoding is reported alone instead of aborting the file.
    stream = click.open_file(path, "rb")
    with session_scope() as session:
        actor = None
        if as_user:
            actor = session.exec(select(User).where(User.username == as_user)).first()
            if actor is None or not actor.is_active:
                raise click.ClickException(f"no active user named {as_user!r}")
        try:
            report = import_articles(
                session,
                stream,
                actor=actor,
                publish=publish,
                create_categories=not no_create_categories,
                review_due_days=current_app.config["REVIEW_DUE_DAYS"],
                ticket_pattern=current_app.config["TICKET_ID_PATTERN"],
            )
        except ImportNotAllowed as exc:
            raise click.ClickException(str(exc)) from None
    for line_no, reason in report.errors:
        click.echo(f"line {line_no}: {reason}", err=True)
    for path_name in report.categories_created:
        click.echo(f"created category: {path_name}")
    click.echo(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} failed" + (" (published)" if publish else " (as drafts)")
    )
    if report.errors:
        sys.exit(1)


@click.command("export-articles")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--published-only", is_flag=True, help="Only articles that are live.")
def export_articles_command(path: str, published_only: bool) -> None:
    """Write every article (its live revision, else its newest) as JSON Lines in the import format."""
    count = 0
    with session_scope() as session, click.open_file(path, "w", encoding="utf-8") as out:
        for line in export_lines(session, include_unpublished=not published_only):
            out.write(line + "\n")
            count += 1
    click.echo(f"{count} articles written", err=path == "-")
