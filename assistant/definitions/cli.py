"""`flask forms check`: the start-up check of the service files, on demand."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .loader import ServiceError, load_services

forms_cli = AppGroup("forms", help="Service definition commands.")


@forms_cli.command("check")
@click.argument("folder", required=False)
def check_command(folder):
    """Check every service file (of FOLDER, default the configured one)."""
    try:
        services = load_services(folder or current_app.config["FORMS_DIR"])
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    for s in services.values():
        click.echo(f"{s.id} v{s.version}: {len(s.steps)} steps, {len(s.questions)} questions ({Path(s.source).name})")
    click.echo(f"{len(services)} services are valid.")
