"""`flask forms check`: every problem of every service file at once, with file and line.

It needs no app: Flask finds the `forms` commands as a plugin (pyproject.toml), so the check also runs where the
app cannot start, which is when it is needed most.
"""
import os
import sqlite3
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import current_app, has_app_context
from flask.cli import AppGroup

from ..config import ROOT, from_environment
from ..db import connect
from ..i18n import _find_locales, extract_yaml
from . import guide
from .guide import FILE
from .loader import BLOCKS, Problem, check_folder, problem_at
from .versions import drifted

forms_cli = AppGroup("forms", help="Service definition commands.")


def _settings():
    """The running app's settings, else the same settings from the environment: the check must not need the app."""
    if has_app_context():
        return current_app.config
    return from_environment(os.environ.get("ASSISTANT_INSTANCE_PATH", str(ROOT / "instance")))


def _catalog(folder, code):
    """A language's catalog from locales/ (.po, else the compiled .mo, else empty: nothing translated)."""
    path = Path(folder) / code / "LC_MESSAGES" / "messages"
    for suffix, read in ((".po", read_po), (".mo", read_mo)):
        if path.with_suffix(suffix).is_file():
            with path.with_suffix(suffix).open("rb") as f:
                return read(f)
    return Catalog(locale=code)


def untranslated(services, folder, forms=None):
    """Warnings for texts of the services, their blocks and the guide that a language the office offers does not
    translate (English is the ids')."""
    catalogs = {code: _catalog(folder, code) for code in _find_locales(folder) if code != "en"}
    found = []
    sources = [s.source for s in services.values()]
    if forms is not None:
        sources += sorted(map(str, (Path(forms) / BLOCKS).glob("*.yaml"))) + [str(p) for p in [Path(forms) / FILE] if p.is_file()]
    for source in sources:
        with open(source, "rb") as f:
            texts = list(extract_yaml(f, [], [], {}))
        for line, _, text, _ in texts:
            missing = [code for code, catalog in catalogs.items()
                       if not ((m := catalog.get(text)) and m.string and not m.fuzzy)]
            if missing:
                shown = " ".join(text.split())
                found.append(Problem(source, line, "", "", f"'{shown}' has no translation in {', '.join(missing)}",
                                     warning=True))
    return found


def drift(services, database):
    """Errors for files changed without a new version while drafts exist on the earlier text; none without a database."""
    if not Path(database).is_file():
        return []
    try:
        db = connect(database)
        try:
            if not db["definitions"].exists():
                return []
            return [problem_at(s.source, ["version"], text.removeprefix(f"{s.source}: "))._replace(where="")
                    for s in services.values() for text in drifted(db, {s.id: s})]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [Problem(str(database), None, "", "", f"drafts not checked: {exc}", warning=True)]


@forms_cli.command("check", with_appcontext=False)
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def check_command(folder):
    """Check every service file (of FOLDER, default the configured one); warn about untranslated texts."""
    settings = _settings()
    folder = folder or settings["FORMS_DIR"]
    if not Path(folder).is_dir():
        raise click.ClickException(f"{folder} is not a folder")
    services, problems = check_folder(folder)
    routes, found = guide.check(folder, services)
    problems += found
    problems += untranslated(services, settings["BABEL_TRANSLATION_DIRECTORIES"], folder)
    problems += drift(services, settings["DATABASE"])
    for problem in sorted(problems, key=lambda p: (p.file, p.line or 0)):
        click.echo(str(problem), err=True)
    errors = sum(not p.warning for p in problems)
    if errors:
        raise click.ClickException(f"{errors} problem(s) in the service files of {folder}.")
    for s in services.values():
        click.echo(f"{s.id} v{s.version}: {len(s.steps)} steps, {len(s.questions)} questions ({Path(s.source).name})")
    if routes is not None:
        click.echo(f"guide: {len(routes.questions)} questions, {len(routes.results)} results ({FILE})")
    click.echo(f"{len(services)} services are valid.")

