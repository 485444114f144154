"""Documents on disk: type decided from the bytes, photos made upright, stripped and scaled, hashes recorded."""
import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from pathlib import Path

from flask import current_app, request, send_file
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener
from pypdf import PdfReader

from .db import get_db

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


def _folder():
    """The folder of stored files, outside static/."""
    folder = Path(current_app.config["FILES_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(data):
    """Write bytes under a random name; returns the storage name and the hashes."""
    storage_name = secrets.token_hex(16)
    path = _folder() / storage_name
    with open(path, "xb") as f:
        f.write(data)
    return {"storage_name": storage_name, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}


def path_of(row):
    """Where a stored file's bytes are."""
    return _folder() / row["storage_name"]


def send(row, attachment=False, download_name=None):
    """A stored file as an answer: its own type and name, never cached (who may read it is checked per request)."""
    return send_file(path_of(row), mimetype=row["content_type"], download_name=download_name or row["filename"],
                     as_attachment=attachment, max_age=0)


def remove(storage_name):
    """Delete stored bytes (after the row is gone, or when a transaction did not happen)."""
    (_folder() / storage_name).unlink(missing_ok=True)


def record(application_id, purpose, document_id, filename, content_type, stored):
    """Insert the row of written bytes; returns the new file id."""
    file_id = secrets.token_urlsafe(12)
    get_db().execute(
        "INSERT INTO files (id, application_id, purpose, document_id, filename, content_type, size, sha256, sha512, storage_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, application_id, purpose, document_id, filename, content_type,
         stored["size"], stored["sha256"], stored["sha512"], stored["storage_name"]])
    return file_id


def of_application(application_id, purpose="attachment"):
    """The files of an application, oldest first."""
    return [dict(r) for r in get_db().execute(
        "SELECT * FROM files WHERE application_id = ? AND purpose = ? ORDER BY created_at, rowid", [application_id, purpose])]


def get(application_id, file_id):
    """One file of an application, or None."""
    row = get_db().execute("SELECT * FROM files WHERE id = ? AND application_id = ?", [file_id, application_id]).fetchone()
    return dict(row) if row else None


def delete(file_row):
    """Delete a file's row and bytes."""
    get_db().execute("DELETE FROM files WHERE id = ?", [file_row["id"]])
    remove(file_row["storage_name"])
