"""``portal import-interactions FILE.jsonl|FILE.csv``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from portal.db import session_scope
from qa.interactions import services as imp
from qa.interactions.files import ImportFileError
from qa.web import qa_timezone, ticket_pattern


@click.command("import-interactions")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_interactions_command(path: Path) -> None:
    """Import conversations from a JSONL or CSV file (UTF-8 or GBK); personal data is masked before storing.
    Bad lines are reported with their number and reason; good lines still land."""
    try:
        with session_scope() as session:
            report = imp.import_file(
                session,
                path.name,
                path.read_bytes(),
                actor=None,
                ticket_pattern=ticket_pattern(),
                tz=qa_timezone(),
            )
    except ImportFileError as exc:
        with force_locale("en"):  # the command speaks English throughout, as its summary line does
            raise click.ClickException(str(exc)) from None
    with force_locale("en"):
        for problem in report.duplicates:
            click.echo(f"line {problem.ref}: skipped, {problem.error}")
        for problem in report.rejected:
            click.echo(f"line {problem.ref}: {problem.error}", err=True)
    click.echo(
        f"{report.created} imported, {len(report.duplicates)} duplicates skipped, {len(report.rejected)} rejected "
        f"({report.masked_values} values masked; encoding {report.encoding})"
    )
    if report.rejected:
        raise SystemExit(1)
