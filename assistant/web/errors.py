"""Clear pages in the user's language for what goes wrong."""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..access import NoMandate
from ..applications.drafts import NotADraft
from ..applications.steps import replay_step


def init_app(app):
    """Register the error pages."""

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(403)
    def forbidden(error):
        message = str(error.description) if isinstance(error, NoMandate) else _("Your account may not open this page.")
        return render_template("errors/error.html", title=_("Not allowed"), message=message), 403

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/error.html", title=_("What you sent is too large"),
                               message=_("The page could not be saved because it is too large. Shorten long answers and try again.")), 413

    @app.errorhandler(429)
    def too_many(error):
        return render_template("errors/error.html", title=_("Too many attempts"),
                               message=_("For your security, please wait a while before you try again.")), 429

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/error.html", title=_("Something was wrong with the request"),
                               message=_("Go back and try again.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        """An expired or missing security token: on a step, show what was typed again so nothing is lost."""
        if request.endpoint == "applications.step":
            try:
                return replay_step(request.view_args["application_id"], request.view_args["step_id"])
            except HTTPException as refused:  # a stranger's draft, an unknown step: the same answer as without the token
                return app.handle_http_exception(refused)
            except NotADraft:
                return redirect(url_for("applications.show", application_id=request.view_args["application_id"]), code=303)
        return render_template("errors/error.html", title=_("This page has expired"),
                               message=_("For your security, the page could not be sent. Go back, reload the page and try again.")), 400
