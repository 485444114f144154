"""What every answer gets: security headers, compression, hashed static files, and the error pages."""
from flask import current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, static

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'{origins}; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers(response):
    """Strict defaults on every answer: no inline scripts, no framing, no sniffing; pages of someone are never stored."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["csp"])
    if request.endpoint != "static" and current_user and current_user.is_authenticated:  # static files need no user
        response.headers["Cache-Control"] = "no-store"  # a shared computer in a counselling office keeps nothing
        response.vary.add("Cookie")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app):
    """Static files, compression, headers and error pages; behind a TLS proxy, the proxy's word on scheme and host."""
    from ..payments.registry import form_action_origins
    static.init_app(app)
    # a pay button posts here and is redirected to the payment platform: form-action must allow its origin too
    app.extensions["csp"] = CSP.format(origins="".join(" " + o for o in form_action_origins(app.config)))
    app.after_request(security_headers)
    errors.init_app(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
