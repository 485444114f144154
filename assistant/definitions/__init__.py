"""Service definitions: loaded from forms/ at start-up, every version that ever had an application kept."""
from flask import current_app

from .cli import drift, forms_cli
from .loader import SCHEMA, ServiceError, load_file, load_services  # noqa: F401 (the package's interface)
from .model import Question, Service, Step, matches  # noqa: F401


def get_services():
    """The services of today's files, by id (for new applications and the catalogue)."""
    return current_app.extensions["services"]


def init_app(app):
    """Load the services once; a broken file stops start-up, a file changed under existing drafts is reported."""
    app.extensions["services"] = load_services(app.config["FORMS_DIR"])
    app.cli.add_command(forms_cli)
    for problem in drift(app.extensions["services"], app.config["DATABASE"]):
        app.logger.warning(str(problem))
