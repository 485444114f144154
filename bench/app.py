"""The app as gunicorn serves it in production, plus one floor endpoint for `make bench`.

`/bench/floor` goes through the same app, middleware, session and login handling, CSRF check and security headers
as every page, and returns a constant: what a request costs before the product does anything. The bench compares
each scenario with it. This module is never the production entry point (that is wsgi.py).
"""
from flask_login import login_required

from assistant import create_app

app = create_app()


@app.route("/bench/floor", methods=["GET", "POST"])
@login_required
def floor():
    """A constant answer, after the same checks a live field check passes."""
    return "<p>ok</p>"
