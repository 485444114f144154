"""The skeleton: configuration, secret key, database, migrations, health check, security headers."""
import sqlite3

import pytest
import sqlite_utils

from assistant import create_app
from assistant.db import connect
from migrations import migrations


def test_healthz_reports_database_and_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "services": len(client.application.extensions["services"])}


def test_healthz_reports_pending_migrations(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "empty.sqlite"), "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "migrations pending"


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ENV", "production")
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    monkeypatch.setenv("ASSISTANT_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="ASSISTANT_SECRET_KEY"):
        create_app()
    key = "from-the-environment-9f8e7d6c5b4a3210fedcba"
    monkeypatch.setenv("ASSISTANT_SECRET_KEY", key)
    app = create_app()
    assert app.config["SECRET_KEY"] == key
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_generates_and_keeps_a_secret_key_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ASSISTANT_ENV", raising=False)
    monkeypatch.setenv("ASSISTANT_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert len(first) == 64 and (tmp_path / "secret_key").read_text() == first
    assert create_app().config["SECRET_KEY"] == first
    assert create_app().config["DATABASE"] == str(tmp_path / "assistant.sqlite")


def test_migrations_apply_to_an_in_memory_database():
    db = sqlite_utils.Database(memory=True)
    migrations.apply(db)
    assert {"accounts", "persons", "applications", "answers", "confirmed_steps", "events"} <= set(db.table_names())
    assert migrations.pending(db) == []
    names = [m.name for m in migrations.applied(db)]
    assert names == sorted(names) and all(n[:4].isdigit() for n in names)


def test_database_uses_wal_and_foreign_keys(db_path):
    db = connect(str(db_path))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO persons (account_id) VALUES (12345)")


def test_migrate_command(app, db_path):
    result = app.test_cli_runner().invoke(args=["db", "migrate"])
    assert result.exit_code == 0 and "migrations applied" in result.output


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_catalogue_lists_both_services_with_what_to_have_ready(client, app):
    from tests.conftest import soup
    page = soup(client.get("/"))
    titles = [a.text for a in page.select(".card h2 a")]
    assert titles == [s.title for s in app.extensions["services"].values()]
    assert all("Have ready" in card.text for card in page.select(".card"))
    page = soup(client.get("/services/declaration-of-commitment"))
    assert "29,00" in page.text or "29.00" in page.text
    assert "§ 47" in page.text


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    import ast
    from pathlib import Path
    modules = {".".join(p.with_suffix("").parts).removesuffix(".__init__"): p for p in Path("assistant").rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1] + ([node.module] if node.module else [])
                for alias in node.names:
                    target = ".".join(base + [alias.name])
                    target = target if target in modules else ".".join(base)
                    if target in modules and target not in (name, "assistant"):
                        graph.setdefault(name, set()).add(target)

    def reaches(start, goal, seen):
        return any(t == goal or (t not in seen and not seen.add(t) and reaches(t, goal, seen)) for t in graph.get(start, ()))
    cycles = [name for name in graph if reaches(name, name, set())]
    assert cycles == []


def test_migrating_a_database_from_before_records_keeps_every_row(tmp_path):
    path = str(tmp_path / "old.sqlite")
    db = connect(path)
    migrations.apply(db, stop_before="0006_records_and_versions")
    db.execute("INSERT INTO accounts (id, email, password_hash) VALUES (1, 'a@example.org', 'x')")
    db.execute("INSERT INTO persons (id, account_id, is_self) VALUES (1, 1, 1)")
    db.execute("INSERT INTO applications (id, person_id, account_id, service_id, service_version, status, reference) "
               "VALUES ('app', 1, 1, 'declaration-of-commitment', 1, 'submitted', 'K7M4-Q9TX-C')")
    db.execute("""INSERT INTO answers (application_id, question_id, raw) VALUES ('app', 'family_name', '"Haddad"')""")
    db.execute("INSERT INTO events (application_id, account_id, kind) VALUES ('app', 1, 'created')")
    migrations.apply(db)
    assert [tuple(r) for r in db.execute("SELECT id, person_id, account_id, status, reference FROM applications")] == \
        [("app", 1, 1, "submitted", "K7M4-Q9TX-C")]
    assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1 and not db.execute("PRAGMA foreign_key_check").fetchall()
    db.execute("DELETE FROM accounts WHERE id = 1")           # an account goes; the person and the application stay
    assert db.execute("SELECT account_id FROM persons").fetchone()[0] is None
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM persons WHERE id = 1")         # a person with applications is never deleted with them
    db.close()


def test_a_backup_taken_while_the_app_writes_is_a_consistent_copy(app, db_path, tmp_path):
    """`flask db backup` uses SQLite's online backup API: a transaction open meanwhile is either wholly in the copy
    or not at all, and the copy is one self-contained file that passes SQLite's integrity check."""
    writer = connect(db_path)
    writer.execute("INSERT INTO audit_log (actor, action) VALUES ('before', 'backup')")
    writer.conn.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO audit_log (actor, action) VALUES ('during', 'backup')")   # not committed yet
    target = tmp_path / "copy.sqlite"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    writer.conn.execute("COMMIT")
    writer.close()
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        actors = [r[0] for r in copy.execute("SELECT actor FROM audit_log WHERE action = 'backup'")]
        assert actors == ["before"]                                  # the open transaction is not half in it
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"applications", "records", "mandates"} <= tables
    finally:
        copy.close()
