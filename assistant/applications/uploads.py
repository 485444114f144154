"""Uploads: type decided from the bytes, photos made upright, stripped and scaled, PDFs checked; why a file is refused."""
import io
import re
import unicodedata
import warnings
from pathlib import Path

from flask import current_app, request
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener
from pypdf import PdfReader

from ..i18n import filesize

register_heif_opener()
Image.MAX_IMAGE_PIXELS = 80_000_000  # larger "photos" are decompression bombs, not documents
LONGEST_SIDE = 2400                  # about 200 dpi on A4: readable for an office, small for a phone
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}


class Refused(ValueError):
    """A file that cannot be accepted; the argument is the reason: 'type', 'broken' or 'size'."""


def sniff(head):
    """The content type decided from the first bytes, never from the name; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None


def clean_name(filename, extension):
    """A safe display name: no path, no control characters, the extension of what is stored."""
    name = unicodedata.normalize("NFC", Path(filename or "").name)
    stem = re.sub(r"[\x00-\x1f\x7f/\\]+", "", name.rsplit(".", 1)[0]).strip()[:80] or "document"
    return f"{stem}.{extension}"


def _image_to_jpeg(data):
    """Open a photo, turn it upright, drop its metadata (location!), scale it down and save it as JPEG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except Exception:
        raise Refused("broken") from None
    image = ImageOps.exif_transpose(image)
    if "A" in image.getbands() or "transparency" in image.info:  # transparent scans: writing on white, not on black
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    else:
        image = image.convert("RGB")
    image.info = {}  # no comment, EXIF, XMP or ICC of the original is carried over (location data lives there)
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def accepts_uploads(count):
    """Mark a view that takes up to `count` files: its request may be that large (see `upload_limit`)."""
    def mark(view):
        view.upload_files = count
        return view
    return mark


def upload_limit():
    """Before any view reads the body: a marked view's request may hold its files, every other stays small."""
    view = current_app.view_functions.get(request.endpoint)
    count = getattr(view, "upload_files", 0)
    if count:
        request.max_content_length = current_app.config["MAX_FILE_BYTES"] * count + 256 * 1024


def read_upload(upload):
    """The bytes of an uploaded file (one byte more than allowed is enough to refuse it), its spool file closed."""
    try:
        return upload.read(current_app.config["MAX_FILE_BYTES"] + 1)
    finally:
        upload.close()


def prepare(data, filename):
    """Check and convert an upload; returns (bytes, content type, display name) or raises Refused."""
    if len(data) > current_app.config["MAX_FILE_BYTES"]:
        raise Refused("size")
    kind = sniff(data[:16])
    if kind is None:
        raise Refused("type")
    if kind == "application/pdf":
        try:
            if len(PdfReader(io.BytesIO(data)).pages) < 1:
                raise Refused("broken")
        except Refused:
            raise
        except Exception:
            raise Refused("broken") from None
        return data, kind, clean_name(filename, "pdf")
    return _image_to_jpeg(data), "image/jpeg", clean_name(filename, "jpg")


def images_to_pdf(images):
    """Several photos of one document as one PDF, a page each."""
    pages = [Image.open(io.BytesIO(data)).convert("RGB") for data in images]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=200)
    return out.getvalue()


def refusal_message(refused):
    """Why a file was refused, in the user's language."""
    reason = str(refused)
    if reason == "size":
        return _("It is larger than %(limit)s. Take the photo again with a lower resolution or make the PDF smaller.",
                 limit=filesize(current_app.config["MAX_FILE_BYTES"]))
    if reason == "type":
        return _("This file is not a photo (JPEG, PNG, HEIC) or a PDF. Choose another file.")
    return _("This file cannot be opened. It may be damaged: take the photo again or choose another file.")
