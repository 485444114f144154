"""Entry point for `flask --app wsgi` and gunicorn."""
from assistant import create_app

app = create_app()
