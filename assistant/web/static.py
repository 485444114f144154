"""Bytes on the wire: gzip for text answers, and static files under content-hashed names cached for a year.

Both work when the app is served alone (`make run`, gunicorn), without a reverse proxy.
"""
import gzip
import hashlib
import mimetypes
from pathlib import Path

from flask import Response, abort, request

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "text/csv",
                "text/calendar", "image/svg+xml", "text/plain"}
MIN_SIZE = 300  # smaller answers grow when compressed


class StaticFiles:
    """Static files read once at start-up: a hashed name for each, and its gzip form."""

    def __init__(self, folder):
        self.files = {}   # URL name (hashed or plain) -> (bytes, gzip bytes, content type)
        self.hashed = {}  # plain name -> hashed name
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                name = path.relative_to(folder).as_posix()
                digest = hashlib.sha256(data).hexdigest()[:10]
                stem, dot, ext = name.rpartition(".")
                hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                self.files[hashed] = self.files[name] = (data, gzip.compress(data, 9, mtime=0), kind)
                self.hashed[name] = hashed

    def url_name(self, name):
        """The hashed name to put in a URL."""
        return self.hashed[name]

    def serve(self, filename):
        """A static file: immutable for a year under its hashed name, briefly cached under its plain name."""
        if filename not in self.files:
            abort(404)
        data, zipped, kind = self.files[filename]
        immutable = filename not in self.hashed
        use_gzip = kind in COMPRESSIBLE and "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(zipped if use_gzip else data, mimetype=kind)
        if use_gzip:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if immutable else "public, max-age=300"
        return response


def compress(response):
    """gzip a text answer when the browser accepts it."""
    if (response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return response
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(data, 6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def init_app(app):
    """Serve static/ with hashed names and compress every text answer."""
    static = StaticFiles(app.config["STATIC_DIR"])
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static.serve)
    app.add_template_global(lambda name: app.url_for("static", filename=static.url_name(name)), "asset")
    app.after_request(compress)
