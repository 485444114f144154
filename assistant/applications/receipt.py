"""The PDFs for people, drawn from the record: the receipt, in the applicant's language beside German, and a client's
summary of what a representative filed.

Drawing them is most of the cost of a submit, so the tables have a fixed layout (WeasyPrint then does not measure
every cell's content twice) and each thread keeps its font configuration and the parsed stylesheet instead of
building them for every PDF."""
import threading

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

_fonts = threading.local()   # a FontConfiguration is not shared between threads


def font_config():
    """This thread's font configuration."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def stylesheet():
    """templates/pdf/people.css, parsed once per thread (with the thread's fonts)."""
    if not hasattr(_fonts, "css"):
        env = current_app.jinja_env
        _fonts.css = CSS(string=env.loader.get_source(env, "pdf/people.css")[0], font_config=font_config())
    return _fonts.css


def pdf(template, **context):
    """A PDF/A-3b from one of the templates in pdf/, in the look of people.css."""
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"]).write_pdf(
        pdf_variant="pdf/a-3b", font_config=font_config(), stylesheets=[stylesheet()])


def render(record):
    """The receipt PDF of a record."""
    return pdf("pdf/receipt.html", record=record)
