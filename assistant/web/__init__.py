"""What every answer gets: security headers, compression, hashed static files, and the error pages."""
from . import errors, static

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers(response):
    """Strict defaults on every answer: no inline scripts, no framing, no sniffing."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app):
    """Static files, compression, headers and error pages."""
    static.init_app(app)
    app.after_request(security_headers)
    errors.init_app(app)
