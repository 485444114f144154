"""The receipt: a PDF/A-3b drawn from the record, in the applicant's language beside German."""
from flask import current_app, render_template
from weasyprint import HTML


def render(record):
    """The receipt PDF of a record."""
    html = render_template("pdf/receipt.html", record=record)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"]).write_pdf(pdf_variant="pdf/a-3b")
