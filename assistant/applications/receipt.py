"""The PDFs for people, drawn from the record: the receipt, in the applicant's language beside German, and a client's
summary of what a representative filed.

Drawing them is most of the cost of a submit, so the tables have a fixed layout (WeasyPrint then does not measure
every cell's content twice) and each thread keeps its font configuration instead of building one per PDF."""
import threading

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

_fonts = threading.local()   # a FontConfiguration is not shared between threads


def font_config():
    """This thread's font configuration."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def pdf(template, **context):
    """A PDF/A-3b from one of the templates in pdf/."""
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"]).write_pdf(pdf_variant="pdf/a-3b",
                                                                                  font_config=font_config())


def render(record):
    """The receipt PDF of a record."""
    return pdf("pdf/receipt.html", record=record)
