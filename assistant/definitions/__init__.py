"""Service definitions: loaded from forms/ at start-up, every version that ever had an application kept."""
from flask import current_app

from .cli import drift, forms_cli
from .loader import SCHEMA, ServiceError, load_file, load_services  # noqa: F401 (the package's interface)
from . import conditions, guide  # noqa: F401
from .model import ITEM, Question, Service, Step  # noqa: F401


def get_services():
    """The services of today's files, by id (for new applications and the catalogue)."""
    return current_app.extensions["services"]


def init_app(app):
    """Load the services and the guide once; a broken file stops start-up, a file changed under existing drafts is reported."""
    app.extensions["services"] = load_services(app.config["FORMS_DIR"])
    app.extensions["guide"], problems = guide.check(app.config["FORMS_DIR"], app.extensions["services"])
    if problems:
        raise ServiceError(problems)
    app.cli.add_command(forms_cli)
    for problem in drift(app.extensions["services"], app.config["DATABASE"]):
        app.logger.warning(str(problem))
