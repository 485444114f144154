"""The PDFs for people, drawn from the record: the receipt, in the applicant's language beside German, and a client's
summary of what a representative filed."""
from flask import current_app, render_template
from weasyprint import HTML


def pdf(template, **context):
    """A PDF/A-3b from one of the templates in pdf/."""
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"]).write_pdf(pdf_variant="pdf/a-3b")


def render(record):
    """The receipt PDF of a record."""
    return pdf("pdf/receipt.html", record=record)
