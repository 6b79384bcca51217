"""The shell's ``portal`` commands: init, serve, create-user, create-token, backup."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url
from sqlmodel import select

from portal import accounts, migrate
from portal.db import get_engine, session_scope
from portal.models import Role, User

DEMO_USERS = (
    ("agent", "张小客", ("agent",), "一线一组"),
    ("agent2", "李二客", ("agent",), "一线二组"),
    ("lead", "王主管", ("lead",), None),
    ("qa", "赵质检", ("qa",), None),
    ("admin", "系统管理员", ("admin",), None),
)


def register_commands(app: Flask) -> None:
    for command in (init_command, serve_command, create_user_command, create_token_command, backup_command):
        app.cli.add_command(command)


def _run_seeders(key: str, *args) -> None:
    for _order, seeder in sorted(current_app.extensions.get(key, []), key=lambda pair: pair[0]):
        with session_scope() as session:
            seeder(session, *args)


@click.command("init")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also create demo users (passwords printed once) and sample data.")
def init_command(demo: bool) -> None:
    """Create the database or upgrade it in place, then add the defaults every installation needs."""
    engine = get_engine()
    migrate.upgrade(engine)
    click.echo(f"Database ready at {engine.url.render_as_string(hide_password=True)}")
    _run_seeders("portal.default_seeders")
    if demo:
        _create_demo()


def _create_demo() -> None:
    hash_method = current_app.config["PASSWORD_HASH_METHOD"]
    users: dict[str, User] = {}
    lines = []
    with session_scope() as session:
        for username, display, roles, team in DEMO_USERS:
            existing = session.exec(select(User).where(User.username == username)).first()
            if existing is not None:
                users.setdefault(roles[0], existing)
                continue
            password = secrets.token_urlsafe(9)
            user = accounts.create_user(
                session, username, password, roles, display_name=display, team=team, hash_method=hash_method
            )
            users.setdefault(roles[0], user)
            lines.append(f"  {username:<8} {'/'.join(roles):<6} {password}")
    _run_seeders("portal.demo_seeders", users)
    if lines:
        click.echo("Demo users (these passwords are shown only once):")
        for line in lines:
            click.echo(line)
    else:
        click.echo("Demo users already exist; their passwords were shown when they were created.")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the portal with gunicorn."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{port}",
        "--access-logfile",
        "-",
        "--timeout",
        "120",
        "--config",
        "python:portal.gunicorn_conf",
        "portal.wsgi:app",
    ]
    env = dict(os.environ)
    env.setdefault("PORTAL_INSTANCE_DIR", current_app.config["INSTANCE_DIR"])
    os.execve(sys.executable, args, env)  # noqa: S606 - replaces this process with gunicorn, fixed argv  # nosec B606


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="")
@click.option("--team", default=None)
def create_user_command(
    name: str, roles: tuple[str, ...], password_stdin: bool, display_name: str, team: str | None
) -> None:
    """Create a user. Without --password-stdin a random password is printed once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    try:
        with session_scope() as session:
            accounts.create_user(
                session,
                name,
                password,
                roles,
                display_name=display_name,
                team=team,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created user {name} ({', '.join(roles)}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@click.command("create-token")
@with_appcontext
@click.argument("name")
@click.option("--label", default="cli", help="A name for the token, shown on the account page.")
def create_token_command(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (only its hash is stored)."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == name)).first()
        if user is None:
            raise click.ClickException(f"no user named {name!r}")
        if not user.is_active:
            raise click.ClickException(f"user {name!r} is disabled")
        _token, clear = accounts.create_token(session, user, label, actor=None)
    click.echo(clear)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent online copy of the database to PATH (SQLite backup API, or pg_dump)."""
    url = make_url(current_app.config["DATABASE_URL"])
    if path.exists():
        raise click.ClickException(f"{path} exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        if not url.database:
            raise click.ClickException("an in-memory SQLite database cannot be backed up")
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(path)
        try:
            # The backup API copies page by page under a read transaction: consistent while others write.
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise click.ClickException("pg_dump is not installed; install the postgresql-client package")
        libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with path.open("wb") as out:
            result = subprocess.run(  # noqa: S603 - fixed program, URL from our own config  # nosec B603
                [pg_dump, "--format=custom", "--dbname", libpq_url], stdout=out, check=False
            )
        if result.returncode != 0:
            path.unlink(missing_ok=True)
            raise click.ClickException("pg_dump failed; see the message above")
    click.echo(f"Backup written to {path}")
