"""The SQLite database: one sqlite-utils Database per request, migrations, CLI."""
import contextlib
import sqlite3
import threading
from datetime import datetime, timezone

import click
from flask.cli import AppGroup
import sqlite_utils
from flask import current_app, g

from migrations import migrations


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is locked" when another
    connection committed in between: SQLite cannot wait for a lock its read snapshot can no longer get. Taken
    up front, the lock is waited for (the busy timeout), so concurrent submits queue instead of failing."""

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:      # nested: a savepoint, as sqlite-utils does it
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise


def connect(path):
    """Open the database file with WAL, foreign keys and a busy timeout for concurrent writers."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return Database(conn)


def now():
    """UTC now in the product's timestamp form (what SQLite's strftime('%Y-%m-%dT%H:%M:%fZ', 'now') writes)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_thread = threading.local()   # each server thread keeps its connection from one request to the next


def get_db():
    """The request's database: the thread's open connection to the app's file (opening one costs more than a live
    check's own work), opened on first use."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        if getattr(_thread, "path", None) != path:
            if getattr(_thread, "db", None) is not None:
                _thread.db.close()
            _thread.db, _thread.path = connect(path), path
        g.db = _thread.db
    return g.db


def close_db(exc=None):
    """End the request's use of the connection: whatever a failed request left open is rolled back, never kept."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def migrate(path):
    """Apply every pending migration to the database file."""
    db = connect(path)
    try:
        migrations.apply(db)
        return [m.name for m in migrations.applied(db)]
    finally:
        db.close()


def state():
    """What /healthz reports: reachable, and whether migrations are pending."""
    try:
        db = get_db()
        pending = migrations.pending(db)
        return "ok" if not pending else "migrations pending"
    except sqlite3.Error as exc:
        return f"error: {exc.__class__.__name__}"


@click.group("db", cls=AppGroup)
def db_cli():
    """Database commands."""


@db_cli.command("migrate")
def migrate_command():
    """Apply pending migrations."""
    applied = migrate(current_app.config["DATABASE"])
    click.echo(f"Database {current_app.config['DATABASE']}: {len(applied)} migrations applied.")


@db_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def backup_command(target):
    """Copy the database to TARGET (another disk) while the app keeps running, with SQLite's online backup API: a
    consistent copy, whatever is written meanwhile. The files folder is copied on its own (files are never changed)."""
    source = sqlite3.connect(current_app.config["DATABASE"])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")      # one self-contained file
    finally:
        copy.close()
        source.close()
    click.echo(f"Database copied to {target}.")


def init_app(app):
    """Register teardown and the `db` CLI group."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(db_cli)
