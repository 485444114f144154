"""Local stand-ins for the payment platforms, strict about their documented protocols, for tests and development.

Each fake is a small Flask app from a factory (`xbezahldienste.create_fake`, `girocheckout.create_fake`) whose
state tests reach through `app.fake`. `serve` runs one on a free port of 127.0.0.1 in a daemon thread, so the
provider clients talk real HTTP to it; `python -m tests.fakes …` runs one in the foreground.
"""
import threading
from html import escape

from werkzeug.serving import make_server


def serve(app, ssl_context=None):
    """Run `app` on 127.0.0.1 (a free port) in a daemon thread; return (server, base_url). Stop with `stop(server)`.

    Threaded, because a fake calls back into a served app (a notification) while a request of its own is open.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    server.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    server.thread.start()
    scheme = "https" if ssl_context else "http"
    return server, f"{scheme}://127.0.0.1:{server.server_port}"


def stop(server):
    """Shut a served fake down and wait for its thread."""
    server.shutdown()
    server.server_close()
    server.thread.join(timeout=5)


def page(platform, title, body):
    """A fake's payment page: large targets (48 px), readable on a 360 px wide screen."""
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – {escape(platform)} (Testplattform)</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 32rem; margin: 0 auto; padding: 1rem; color: #1a1a1a; }}
.sum {{ font-size: 1.5rem; font-weight: bold; }}
form {{ margin: 0 0 .75rem; }}
button {{ width: 100%; min-height: 48px; font-size: 1.125rem; padding: .5rem 1rem; border-radius: .25rem;
         border: 2px solid #1a1a1a; background: #fff; color: #1a1a1a; cursor: pointer; }}
button[value=pay] {{ background: #0b5394; border-color: #0b5394; color: #fff; }}
button:focus {{ outline: 3px solid #f1c232; outline-offset: 2px; }}
</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>"""
