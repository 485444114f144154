"""Uploads: type from the bytes, photos decoded within a memory budget and stripped, PDFs rewritten clean; why refused."""
import io
import re
import warnings
from pathlib import Path

from flask import current_app, request
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from ..i18n import filesize
from ..text import canonical

register_heif_opener()
LONGEST_SIDE = 2400             # about 200 dpi on A4: readable for an office, small for a phone
MAX_PIXELS = 200_000_000        # a 200-megapixel phone photo; a JPEG is decoded at 1/2, 1/4 or 1/8 of its size
WHOLE_PIXELS = 25_000_000       # PNG, HEIC and progressive JPEG are decoded whole, 7 bytes a pixel: a 24-MP iPhone photo fits
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # beyond it Pillow itself refuses (a decompression bomb)
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
# What a PDF may run, open or hide: actions, scripts, attached files, metadata (XMP) and private application data.
PDF_ACTIVE_KEYS = {"/A", "/AA", "/OpenAction", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/Metadata", "/PieceInfo"}
PDF_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}


class Refused(ValueError):
    """A file (or a request's files) not taken; the reason: empty, size, type, broken, pixels, password or count."""


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
    """A safe display name: no path, the one canonical text (no controls, no overrides that hide the real extension),
    the extension of what is stored."""
    name = canonical(Path(filename or "").name, plain=True)
    stem = re.sub(r"[/\\]+", "", name.rsplit(".", 1)[0]).strip()[:80] or "document"
    return f"{stem}.{extension}"


def _jpeg_decoded_whole(image, data):
    """Whether libjpeg keeps every coefficient (progressive, first scan without all colours, or unclear): no cheap draft."""
    if image.info.get("progressive"):
        return True
    pos = 2
    while pos + 5 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == 0xDA:  # start of scan: the number of components it holds
            return data[pos + 4] < image.layers
        else:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return True


def _open_image(data, kind):
    """Open a photo without decoding it; refuse it if decoding it would cost more memory than a request may take."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[FORMATS[kind]])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Refused("pixels") from None
    except Exception:
        raise Refused("broken") from None
    reduced = kind == "image/jpeg" and not _jpeg_decoded_whole(image, data)
    doubled = "A" in image.getbands() or "transparency" in image.info or image.mode == "CMYK"  # twice the bytes
    if image.width * image.height > (MAX_PIXELS if reduced else WHOLE_PIXELS // 2 if doubled else WHOLE_PIXELS):
        raise Refused("pixels")
    return image


def _image_to_jpeg(data, kind):
    """Scale a photo down (a JPEG already while decoding), turn it upright, drop its metadata (location!), save as JPEG."""
    image = _open_image(data, kind)
    scale = min(1, LONGEST_SIDE / max(image.size))
    try:
        image.draft(None, (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        alpha = "A" in image.getbands() or "transparency" in image.info
        if image.mode not in ("L", "RGB", "RGBA") or "transparency" in image.info:  # palettes, 16 bits, CMYK
            image = image.convert("RGBA" if alpha else "RGB")
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
        image = ImageOps.exif_transpose(image)
        if alpha:  # transparent scans: writing on white, not on black
            white = Image.new("RGB", image.size, "white")
            white.paste(image, mask=image.getchannel("A"))
            image = white
        image = image.convert("RGB")
    except Exception:
        raise Refused("broken") from None
    image.info = {}  # no comment, EXIF, XMP or ICC of the original is carried over (location data lives there)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _strip_pdf(pages):
    """Remove actions, scripts, attached files and metadata from every object the pages reach."""
    seen, todo = set(), list(pages)
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key in PDF_ACTIVE_KEYS & set(obj):
                del obj[key]
            if "/Annots" in obj:  # attached files, sounds, films, 3D: the whole annotation goes
                annots = [a for a in obj["/Annots"].get_object() if isinstance(a.get_object(), DictionaryObject)]
                obj[NameObject("/Annots")] = ArrayObject(
                    a for a in annots if a.get_object().get("/Subtype") not in PDF_ACTIVE_ANNOTATIONS)
            todo.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)


def _clean_pdf(data):
    """Only the stripped pages, in a new unencrypted PDF: no catalog (open action, scripts, files, XMP), no document info."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused("password")
        if len(reader.pages) < 1:
            raise Refused("broken")
        pages = list(reader.pages)
        _strip_pdf(pages)
        writer = PdfWriter()
        for page in pages:  # copies what the page still reaches: nothing stripped, nothing of the catalog
            writer.add_page(page)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except Refused:
        raise
    except Exception:
        raise Refused("broken") from None
    return out.getvalue()


def accepts_uploads(count):
    """Mark a view that takes up to `count` files: its request may be that large (see `upload_limit`)."""
    def mark(view):
        view.upload_files = count
        return view
    return mark


def files_allowed():
    """How many files the current view takes (0 for a view not marked with `accepts_uploads`)."""
    return getattr(current_app.view_functions.get(request.endpoint), "upload_files", 0)


def upload_limit():
    """Before any view reads the body: a marked view's request may hold its files, every other stays small."""
    count = files_allowed()
    if count:
        request.max_content_length = current_app.config["MAX_FILE_BYTES"] * count + 256 * 1024


def uploaded_files(field="file"):
    """The files sent in `field`; more than the view takes are refused (Refused('count')) before any is read."""
    uploads = [f for f in request.files.getlist(field) if f and f.filename]
    if len(uploads) > files_allowed():
        raise Refused("count")
    return uploads


def read_upload(upload):
    """The bytes of an uploaded file (one byte more than allowed is enough to refuse it), its spool file closed."""
    try:
        return upload.read(current_app.config["MAX_FILE_BYTES"] + 1)
    finally:
        upload.close()


def prepare(data, filename):
    """Check and convert an upload; returns (bytes, content type, display name) or raises Refused."""
    if not data:
        raise Refused("empty")
    if len(data) > current_app.config["MAX_FILE_BYTES"]:
        raise Refused("size")
    kind = sniff(data[:16])
    if kind is None:
        raise Refused("type")
    if kind == "application/pdf":
        return _clean_pdf(data), kind, clean_name(filename, "pdf")
    return _image_to_jpeg(data, kind), "image/jpeg", clean_name(filename, "jpg")


def office_pdf(data, filename):
    """A PDF from the office (a decision): checked like an upload, but kept byte for byte, so a signature stays valid."""
    if not data:
        raise Refused("empty")
    if len(data) > current_app.config["MAX_FILE_BYTES"]:
        raise Refused("size")
    if sniff(data[:16]) != "application/pdf":
        raise Refused("type")
    _clean_pdf(data)  # refuses a damaged or password-protected file; the office's own bytes are what is stored
    return data, "application/pdf", clean_name(filename, "pdf")


def images_to_pdf(images):
    """Several photos of one document as one PDF, a page each."""
    pages = [Image.open(io.BytesIO(data)).convert("RGB") for data in images]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=200)
    return out.getvalue()


def refusal_message(refused):
    """Why a file (or a request's files) was refused, in the user's language."""
    reason = str(refused)
    if reason == "empty":
        return _("This file is empty. Choose it again or take a new photo.")
    if reason == "size":
        return _("It is larger than %(limit)s. Take the photo again with a lower resolution or make the PDF smaller.",
                 limit=filesize(current_app.config["MAX_FILE_BYTES"]))
    if reason == "type":
        return _("This file is not a photo (JPEG, PNG, HEIC) or a PDF. Choose another file.")
    if reason == "pixels":
        return _("This picture has too many pixels. Take the photo again with a lower resolution or choose another file.")
    if reason == "password":
        return _("This PDF is protected by a password. Save it again without a password, then choose the new file.")
    if reason == "count":
        return _("Too many files at once: you can send at most %(count)s. Send the others afterwards.",
                 count=files_allowed())
    return _("This file cannot be opened. It may be damaged: take the photo again or choose another file.")
