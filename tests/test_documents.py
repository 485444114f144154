"""Documents: the type from the bytes, photos upright, stripped and scaled, PDFs rewritten without active content or
metadata, limits, combine, delete, only for the owner. Memory and files per request: test_upload_limits.py."""
import hashlib
import io
import sqlite3

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from assistant.demo import DEMO_PROFILE
from tests.conftest import (answer_all, csrf_of, draft_id_of, english_client, jpeg_bytes, register, soup, start,
                            submit_application, upload)

SERVICE = "declaration-of-commitment"
DOC = "guarantor_id"        # asked for whatever the answers are
OTHER_DOC = "housing_proof"  # likewise
GUEST_DOC = "guest_passport"  # likewise
NOT_A_DOCUMENT = "This file is not a photo (JPEG, PNG, HEIC) or a PDF. Choose another file."
DAMAGED = "This file cannot be opened. It may be damaged: take the photo again or choose another file."
TOO_MANY_PIXELS = "This picture has too many pixels. Take the photo again with a lower resolution or choose another file."
PASSWORD = "This PDF is protected by a password. Save it again without a password, then choose the new file."
EMPTY = "This file is empty. Choose it again or take a new photo."


def new_draft(client, app):
    """A draft of the declaration of commitment whose questions are all answered; returns its id."""
    service = app.extensions["services"][SERVICE]
    url = start(client, service.id)
    draft = draft_id_of(url)
    assert answer_all(client, service, url).endswith(f"/applications/{draft}/documents")
    return draft


def rows(db_path, draft, document_id=None):
    """The stored attachment rows of a draft (of one document), oldest first."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    sql = "SELECT * FROM files WHERE application_id = ? AND purpose = 'attachment'"
    args = [draft]
    if document_id:
        sql += " AND document_id = ?"
        args.append(document_id)
    try:
        return [dict(r) for r in conn.execute(sql + " ORDER BY created_at, rowid", args)]
    finally:
        conn.close()


def on_disk(tmp_path):
    """Names of the stored files in FILES_DIR."""
    folder = tmp_path / "files"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def stored_bytes(tmp_path, row):
    """The bytes of a stored file; the row's hashes and size must describe them."""
    data = (tmp_path / "files" / row["storage_name"]).read_bytes()
    assert row["size"] == len(data)
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["sha512"] == hashlib.sha512(data).hexdigest()
    return data


def messages(response, document_id=DOC):
    """(texts in the error summary, texts of the error messages in the document's section)."""
    page = soup(response)
    summary = [a.text for a in page.select(".error-summary li a")]
    in_section = []
    for p in page.select(f"section#d-{document_id} .error-message"):
        p.select_one(".vh").decompose()
        in_section.append(p.text)
    return summary, in_section


def png_bytes(size=(640, 480), color="green", mode="RGB"):
    """A real PNG image."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def pdf_bytes(pages=1):
    """A real PDF made by Pillow."""
    out = io.BytesIO()
    images = [Image.new("RGB", (300, 420), c) for c in ["white", "gray", "black"][:pages]]
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def half_red_half_blue(size):
    """A JPEG whose left half is red and right half blue, to see which way it was turned."""
    image = Image.new("RGB", size, "blue")
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def is_red(pixel):
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


def is_blue(pixel):
    return pixel[2] > 200 and pixel[0] < 60 and pixel[1] < 60


# The type comes from the bytes --------------------------------------------------------------------------------------

def test_the_type_is_decided_from_the_bytes_not_the_name(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    zip_file = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(zip_file, "w") as z:
        z.writestr("a.txt", "hello")
    disguised = [
        ("photo.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200),
        ("scan.png", b"Hello, this is text and not a scan.\n" * 10),
        ("x.pdf", zip_file.getvalue()),
        ("a.jpeg", b"<!doctype html><html><body><script>alert(1)</script></body></html>"),
    ]
    for name, data in disguised:
        response = upload(applicant, draft, DOC, (name, data))
        assert response.status_code == 422, name
        assert messages(response) == ([f"{name}: {NOT_A_DOCUMENT}"], [f"{name}: {NOT_A_DOCUMENT}"])
        assert soup(response).select_one(f"section#d-{DOC}")["class"] == ["document", "has-error"]
    assert rows(db_path, draft) == []
    assert on_disk(tmp_path) == set()

    # A real PNG with a misleading name is a photo: stored as a JPEG named after what it is now.
    response = upload(applicant, draft, DOC, ("document.txt", png_bytes()))
    assert response.status_code == 303
    assert response.location == f"/applications/{draft}/documents#d-{DOC}"
    [row] = rows(db_path, draft)
    assert (row["document_id"], row["content_type"], row["filename"]) == (DOC, "image/jpeg", "document.jpg")
    with Image.open(io.BytesIO(stored_bytes(tmp_path, row))) as image:
        assert (image.format, image.size) == ("JPEG", (640, 480))
    assert on_disk(tmp_path) == {row["storage_name"]}


def png_claiming(width, height):
    """A tiny PNG whose header claims a huge picture (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def jpeg_claiming(width, height, progressive=False, scan_components=None):
    """A small JPEG whose header claims another size (its data ends early); progressive, or its first scan with fewer
    colour components, makes libjpeg keep every coefficient of the whole picture."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG", progressive=progressive)
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    if scan_components:
        data[data.index(b"\xff\xda") + 4] = scan_components
    return bytes(data)


def test_damaged_files_are_refused_as_damaged(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    damaged = [
        ("cut.jpg", jpeg_bytes()[:200]),                            # a photo that did not arrive whole
        ("fake.pdf", b"%PDF-1.7\n" + b"garbage " * 50),             # starts like a PDF, is none
    ]
    for name, data in damaged:
        response = upload(applicant, draft, DOC, (name, data))
        assert response.status_code == 422, name
        assert messages(response) == ([f"{name}: {DAMAGED}"], [f"{name}: {DAMAGED}"])
    assert rows(db_path, draft) == [] and on_disk(tmp_path) == set()


def test_too_many_pixels_are_refused_before_decoding(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    huge = [
        ("bomb.png", png_claiming(30000, 30000)),                        # 900 million pixels from a few hundred bytes
        ("poster.jpg", jpeg_claiming(20000, 15000)),                     # 300 megapixels: more than any phone takes
        ("scan.png", png_claiming(8000, 10000)),                         # a PNG is decoded whole: 80 megapixels are too many
        ("progressive.jpg", jpeg_claiming(6000, 5000, progressive=True)),  # so is a progressive JPEG of 30 megapixels
        ("scans.jpg", jpeg_claiming(6000, 5000, scan_components=1)),     # and one whose colours come in separate scans
    ]
    for name, data in huge:  # none of them holds the pixels it claims: "damaged" would mean it was decoded
        response = upload(applicant, draft, DOC, (name, data))
        assert response.status_code == 422, name
        assert messages(response) == ([f"{name}: {TOO_MANY_PIXELS}"], [f"{name}: {TOO_MANY_PIXELS}"])
    assert rows(db_path, draft) == [] and on_disk(tmp_path) == set()

    # A plain JPEG of as many pixels is decoded at a quarter of its size: it is taken (its missing rows are grey).
    assert upload(applicant, draft, DOC, ("quarter.jpg", jpeg_claiming(6000, 5000))).status_code == 303
    [row] = rows(db_path, draft)
    with Image.open(io.BytesIO(stored_bytes(tmp_path, row))) as image:
        assert image.size == (2400, 2000)


def test_an_empty_file_is_refused_as_empty(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    response = upload(applicant, draft, DOC, ("IMG_0001.jpg", b""), ("small.jpg", jpeg_bytes((200, 150))))
    assert response.status_code == 422
    assert messages(response) == ([f"IMG_0001.jpg: {EMPTY}"], [f"IMG_0001.jpg: {EMPTY}"])
    assert [r["filename"] for r in rows(db_path, draft)] == ["small.jpg"]


# PDFs are rewritten -------------------------------------------------------------------------------------------------

def handmade_pdf(*objects, trailer=b"/Root 1 0 R"):
    """A PDF written by hand, as an attacker would: object n is objects[n - 1], with a correct cross-reference table."""
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)


def stream(data, kind=b""):
    """A PDF stream object's text."""
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (kind, len(data), data)


PAGE_CONTENT = b"0 0 1 rg 20 20 160 160 re f"  # a blue square


def test_a_pdf_loses_scripts_actions_and_attached_files_and_keeps_its_page(app, applicant, db_path, tmp_path):
    pdf = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /AA << /WC 4 0 R >> "
        b"/Names << /JavaScript << /Names [(run) 4 0 R] >> /EmbeddedFiles << /Names [(invoice.exe) 5 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 7 0 R /AA << /O 4 0 R >> /Annots [8 0 R 9 0 R] >>",
        b"<< /S /JavaScript /JS (app.launchURL\\('http://evil.example/'\\)) >>",
        b"<< /Type /Filespec /F (invoice.exe) /EF << /F 6 0 R >> >>",
        stream(b"MZ an attached program", b"/Type /EmbeddedFile"),
        stream(PAGE_CONTENT),
        b"<< /Type /Annot /Subtype /Link /Rect [20 20 180 180] /A << /S /Launch /F (cmd.exe) >> /AA << /E 4 0 R >> >>",
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS 5 0 R >>",
    )
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"  # the test PDF is valid
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("scan.pdf", pdf)).status_code == 303
    [row] = rows(db_path, draft)
    stored = stored_bytes(tmp_path, row)
    for active in [b"JavaScript", b"evil.example", b"Launch", b"cmd.exe", b"invoice.exe", b"MZ an attached", b"OpenAction"]:
        assert active not in stored, active
    reader = PdfReader(io.BytesIO(stored))
    assert set(reader.trailer["/Root"]) == {"/Type", "/Pages"}
    [page] = reader.pages
    assert "/AA" not in page and page.get_contents().get_data().strip() == PAGE_CONTENT
    [link] = [a.get_object() for a in page["/Annots"]]  # the link stays, without what it did; the attachment is gone
    assert link["/Subtype"] == "/Link" and "/A" not in link and "/AA" not in link


def test_a_pdf_loses_its_metadata(app, applicant, db_path, tmp_path):
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Ana Example</dc:creator></x:xmpmeta>'
    pdf = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Metadata 5 0 R >>",
        stream(PAGE_CONTENT),
        stream(xmp, b"/Type /Metadata /Subtype /XML"),
        b"<< /Author (Ana Example) /Producer (ScanApp 4.2 on Ana's phone) /Creator (ScanApp) /Title (Kontoauszug) >>",
        trailer=b"/Root 1 0 R /Info 6 0 R",
    )
    assert PdfReader(io.BytesIO(pdf)).metadata.author == "Ana Example"
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("statement.pdf", pdf)).status_code == 303
    [row] = rows(db_path, draft)
    stored = stored_bytes(tmp_path, row)
    for personal in [b"Ana", b"ScanApp", b"Kontoauszug", b"xmpmeta"]:
        assert personal not in stored, personal
    reader = PdfReader(io.BytesIO(stored))
    assert reader.metadata is None and reader.xmp_metadata is None and "/Metadata" not in reader.pages[0]
    assert reader.pages[0].get_contents().get_data().strip() == PAGE_CONTENT


def encrypted_pdf(user_password):
    """A Pillow PDF encrypted with AES-256, opening without a password when `user_password` is empty."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages=2))))
    writer.encrypt(user_password=user_password, owner_password="the bank's owner password", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_encrypted_pdf_that_opens_without_a_password_is_stored_decrypted(app, applicant, db_path, tmp_path):
    pdf = encrypted_pdf("")
    assert PdfReader(io.BytesIO(pdf)).is_encrypted
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("Kontoauszug.pdf", pdf)).status_code == 303
    [row] = rows(db_path, draft)
    reader = PdfReader(io.BytesIO(stored_bytes(tmp_path, row)))
    assert not reader.is_encrypted and len(reader.pages) == 2
    [image] = reader.pages[0].images
    assert image.image.size == (300, 420)  # the page's content came through decrypted


def test_a_pdf_protected_by_a_password_is_refused_with_a_message_saying_so(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    response = upload(applicant, draft, DOC, ("Bescheid.pdf", encrypted_pdf("geheim")))
    assert response.status_code == 422
    assert messages(response) == ([f"Bescheid.pdf: {PASSWORD}"], [f"Bescheid.pdf: {PASSWORD}"])
    assert rows(db_path, draft) == [] and on_disk(tmp_path) == set()


def test_a_pdf_is_rewritten_with_its_pages_and_served_as_stored(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    pdf = pdf_bytes(pages=2)
    response = upload(applicant, draft, DOC, ("../../Kontoauszug März.PDF", pdf))
    assert response.status_code == 303
    [row] = rows(db_path, draft)
    assert (row["content_type"], row["filename"]) == ("application/pdf", "Kontoauszug März.pdf")
    stored = stored_bytes(tmp_path, row)
    assert [p.mediabox for p in PdfReader(io.BytesIO(stored)).pages] == [p.mediabox for p in PdfReader(io.BytesIO(pdf)).pages]
    assert [p.images[0].data for p in PdfReader(io.BytesIO(stored)).pages] == \
        [p.images[0].data for p in PdfReader(io.BytesIO(pdf)).pages]  # the scans themselves, byte for byte

    # The owner reads it back as it was stored.
    response = applicant.get(f"/applications/{draft}/files/{row['id']}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == "application/pdf" and body == stored


# Photos are processed -----------------------------------------------------------------------------------------------

def test_a_photo_is_turned_upright_and_loses_all_exif_including_the_location(app, applicant, db_path, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 31.0, 0.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    out = io.BytesIO()
    half_red_half_blue((400, 300)).save(out, "JPEG", exif=exif, quality=95)
    sent = out.getvalue()
    with Image.open(io.BytesIO(sent)) as original:  # the test photo really carries what must go
        assert original.getexif()[0x0112] == 6 and original.getexif().get_ifd(0x8825)[1] == "N"

    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("IMG_0001.JPG", sent)).status_code == 303
    [row] = rows(db_path, draft)
    assert (row["content_type"], row["filename"]) == ("image/jpeg", "IMG_0001.jpg")
    data = stored_bytes(tmp_path, row)
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (300, 400)
        assert dict(image.getexif()) == {}
        assert dict(image.getexif().get_ifd(0x8825)) == {}
        assert "exif" not in image.info
        # Turned clockwise: what was on the left is now at the top.
        assert is_red(image.getpixel((150, 50))) and is_blue(image.getpixel((150, 350)))


def test_a_large_photo_is_scaled_to_2400_pixels_on_its_longest_side(app, applicant, db_path, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (5000, 3000), "white").save(out, "JPEG")
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("big.jpg", out.getvalue()),
                  ("portrait.png", png_bytes((1000, 3000)))).status_code == 303
    big, portrait = rows(db_path, draft)
    with Image.open(io.BytesIO(stored_bytes(tmp_path, big))) as image:
        assert image.size == (2400, 1440)
    with Image.open(io.BytesIO(stored_bytes(tmp_path, portrait))) as image:
        assert image.size == (800, 2400)
    assert on_disk(tmp_path) == {big["storage_name"], portrait["storage_name"]}


def test_a_heic_photo_from_a_phone_is_stored_as_jpeg_without_metadata(app, applicant, db_path, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 0.0)})
    out = io.BytesIO()
    try:
        half_red_half_blue((320, 240)).save(out, format="HEIF", quality=90, exif=exif.tobytes())
    except Exception as exc:  # a libheif without an HEVC encoder
        pytest.skip(f"this pillow_heif cannot encode HEIF: {exc!r}")
    heic = out.getvalue()
    assert heic[4:12] == b"ftypheic"

    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("IMG_4711.HEIC", heic)).status_code == 303
    [row] = rows(db_path, draft)
    assert (row["content_type"], row["filename"]) == ("image/jpeg", "IMG_4711.jpg")
    data = stored_bytes(tmp_path, row)
    assert data[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (320, 240))
        assert dict(image.getexif()) == {}
        assert is_red(image.getpixel((40, 120))) and is_blue(image.getpixel((280, 120)))


def test_a_jpeg_comment_is_not_kept(app, applicant, db_path, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, "JPEG", comment=b"Ana at home, 52.5200 N 13.4050 E")
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("commented.jpg", out.getvalue())).status_code == 303
    [row] = rows(db_path, draft)
    data = stored_bytes(tmp_path, row)
    with Image.open(io.BytesIO(data)) as image:
        assert "comment" not in image.info
    assert b"52.5200" not in data


def test_a_transparent_png_gets_a_white_background(app, applicant, db_path, tmp_path):
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))      # transparent, as scanner apps and screenshots save it
    image.paste((0, 0, 0, 255), (100, 100, 300, 200))          # black writing in the middle
    out = io.BytesIO()
    image.save(out, "PNG")
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("signature.png", out.getvalue())).status_code == 303
    [row] = rows(db_path, draft)
    with Image.open(io.BytesIO(stored_bytes(tmp_path, row))) as stored:
        assert min(stored.getpixel((10, 10))) > 240       # the background is white, as on screen
        assert max(stored.getpixel((200, 150))) < 20      # the writing is still black


# Limits -------------------------------------------------------------------------------------------------------------

def test_an_oversized_file_is_refused_and_the_rest_is_kept(make_app, db_path, tmp_path):
    app = make_app(MAX_FILE_BYTES=50_000)
    client = register(english_client(app), profile=DEMO_PROFILE)
    draft = new_draft(client, app)

    def answers():
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute("SELECT * FROM answers WHERE application_id = ? ORDER BY question_id", [draft]).fetchall()
        finally:
            conn.close()
    before = answers()
    assert len(before) > 5

    page = soup(client.get(f"/applications/{draft}/documents"))
    assert page.select_one(f"#file-{DOC}-hint").text == "JPEG, PNG, HEIC or PDF, at most 49 kB per file."
    small = jpeg_bytes((200, 150))
    out = io.BytesIO()
    Image.effect_noise((400, 400), 80).convert("RGB").save(out, "JPEG", quality=95)
    large = out.getvalue()
    assert len(small) < 50_000 < len(large) < 50_000 * 20

    response = upload(client, draft, DOC, ("large.jpg", large), ("small.jpg", small))  # the refused one first
    assert response.status_code == 422
    message = ("large.jpg: It is larger than 49 kB. Take the photo again with a lower resolution "
               "or make the PDF smaller.")
    assert messages(response) == ([message], [message])
    [row] = rows(db_path, draft)
    assert row["filename"] == "small.jpg"
    assert on_disk(tmp_path) == {row["storage_name"]}
    # The stored photo is listed on the page that shows the error.
    assert [a.text for a in soup(response).select(f"section#d-{DOC} ul.files li > a")] == ["small.jpg"]
    assert answers() == before

    # The limit is exact: a photo of MAX_FILE_BYTES bytes is taken, one byte more is not.
    exact = small + b"\x00" * (50_000 - len(small))  # JPEG readers ignore what follows the end marker
    assert upload(client, draft, OTHER_DOC, ("exact.jpg", exact)).status_code == 303
    response = upload(client, draft, OTHER_DOC, ("over.jpg", exact + b"\x00"))
    assert response.status_code == 422
    assert messages(response, OTHER_DOC)[1] == [message.replace("large.jpg", "over.jpg")]
    assert [r["filename"] for r in rows(db_path, draft, OTHER_DOC)] == ["exact.jpg"]


def test_at_most_five_files_per_document_and_the_form_disappears(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    photo = jpeg_bytes((120, 90))
    assert upload(applicant, draft, DOC, *[(f"page{i}.jpg", photo) for i in range(1, 5)]).status_code == 303
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    assert page.select_one(f"section#d-{DOC} form.upload") is not None

    # The fifth fits, the sixth in the same request does not.
    response = upload(applicant, draft, DOC, ("page5.jpg", photo), ("page6.jpg", photo))
    assert response.status_code == 422
    message = "page6.jpg: you cannot add more files to this document."
    assert messages(response) == ([message], [message])
    assert [r["filename"] for r in rows(db_path, draft, DOC)] == [f"page{i}.jpg" for i in range(1, 6)]
    assert len(on_disk(tmp_path)) == 5

    page = soup(applicant.get(f"/applications/{draft}/documents"))
    assert page.select_one(f"section#d-{DOC} form.upload") is None
    assert page.select_one(f"section#d-{DOC} input[type=file]") is None
    assert page.select_one(f"section#d-{OTHER_DOC} form.upload") is not None  # other documents still take files

    response = upload(applicant, draft, DOC, ("page7.jpg", photo))
    assert response.status_code == 422
    assert messages(response)[1] == ["page7.jpg: you cannot add more files to this document."]
    assert len(rows(db_path, draft, DOC)) == 5 and len(on_disk(tmp_path)) == 5

    # Removing one makes room again.
    first = rows(db_path, draft, DOC)[0]
    token = csrf_of(applicant, f"/applications/{draft}/documents")
    assert applicant.post(f"/applications/{draft}/files/{first['id']}/delete",
                          data={"csrf_token": token}).status_code == 303
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    assert page.select_one(f"section#d-{DOC} form.upload") is not None


def test_uploading_without_a_file_asks_for_one(app, applicant, db_path):
    draft = new_draft(applicant, app)
    url = f"/applications/{draft}/documents"
    token = csrf_of(applicant, url)
    message = "Choose a file or take a photo first."
    nothing = applicant.post(f"{url}/{DOC}", content_type="multipart/form-data", data={"csrf_token": token})
    empty = applicant.post(f"{url}/{DOC}", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b""), "")})  # what a browser sends
    for response in (nothing, empty):
        assert response.status_code == 422
        assert messages(response) == ([message], [message])
        assert soup(response).select_one(".error-summary a")["href"] == f"#file-{DOC}"
    assert rows(db_path, draft) == []
    # A document this application does not ask for takes nothing.
    assert upload(applicant, draft, "no_such_document", ("a.jpg", jpeg_bytes())).status_code == 404
    assert upload(applicant, draft, "tax_assessment", ("a.jpg", jpeg_bytes())).status_code == 404  # not self-employed
    assert rows(db_path, draft) == []


# Combine, delete --------------------------------------------------------------------------------------------------

def test_photos_of_one_document_are_combined_into_one_pdf(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    url = f"/applications/{draft}/documents"
    combine = f"/applications/{draft}/documents/{DOC}/combine"
    colors = ["red", "green", "blue"]
    assert upload(applicant, draft, DOC, ("front.jpg", jpeg_bytes((600, 400), colors[0]))).status_code == 303
    assert upload(applicant, draft, OTHER_DOC, ("contract.jpg", jpeg_bytes((600, 400)))).status_code == 303
    page = soup(applicant.get(url))
    assert page.select(f'form[action="{combine}"]') == []  # one photo: nothing to combine

    assert upload(applicant, draft, DOC, ("back.jpg", jpeg_bytes((400, 600), colors[1])),
                  ("third.jpg", jpeg_bytes((600, 400), colors[2]))).status_code == 303
    page = soup(applicant.get(url))
    [form] = page.select(f'form[action="{combine}"]')
    assert form.select_one("button").text == "Combine the photos into one PDF"
    assert form.find_parent("section")["id"] == f"d-{DOC}"
    photos = rows(db_path, draft, DOC)
    assert len(photos) == 3
    other = rows(db_path, draft, OTHER_DOC)

    response = applicant.post(combine, data={"csrf_token": form.select_one("input[name=csrf_token]")["value"]})
    assert response.status_code == 303 and response.location == f"{url}#d-{DOC}"
    [pdf] = rows(db_path, draft, DOC)
    assert (pdf["content_type"], pdf["filename"]) == ("application/pdf", "Your passport or ID card.pdf")
    data = stored_bytes(tmp_path, pdf)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes[0][0] > sizes[0][1] and sizes[1][0] < sizes[1][1]  # one page per photo, in upload order
    # The photos are gone from the disk; the other document's file is untouched.
    assert on_disk(tmp_path) == {pdf["storage_name"], other[0]["storage_name"]}
    assert rows(db_path, draft, OTHER_DOC) == other
    page = soup(applicant.get(url))
    assert page.select(f'form[action="{combine}"]') == []
    assert [a.text for a in page.select(f"section#d-{DOC} ul.files li > a")] == ["Your passport or ID card.pdf"]

    # Combining again changes nothing (no photos left).
    token = csrf_of(applicant, url)
    assert applicant.post(combine, data={"csrf_token": token}).status_code == 303
    assert rows(db_path, draft, DOC) == [pdf]

    # Only photos are combined: a PDF among them stays as it is.
    assert upload(applicant, draft, GUEST_DOC, ("scan.pdf", pdf_bytes()), ("a.jpg", jpeg_bytes()),
                  ("b.jpg", jpeg_bytes())).status_code == 303
    scan = rows(db_path, draft, GUEST_DOC)[0]
    token = csrf_of(applicant, url)
    assert applicant.post(f"/applications/{draft}/documents/{GUEST_DOC}/combine",
                          data={"csrf_token": token}).status_code == 303
    after = rows(db_path, draft, GUEST_DOC)
    assert [(r["filename"], r["content_type"]) for r in after] == [
        ("scan.pdf", "application/pdf"), ("A copy of your guest's passport.pdf", "application/pdf")]
    assert after[0] == scan
    assert len(PdfReader(io.BytesIO(stored_bytes(tmp_path, after[1]))).pages) == 2
    assert rows(db_path, draft, DOC) == [pdf]


def test_delete_removes_the_row_and_the_bytes(app, applicant, db_path, tmp_path):
    draft = new_draft(applicant, app)
    assert upload(applicant, draft, DOC, ("a.jpg", jpeg_bytes()), ("b.jpg", jpeg_bytes(color="blue"))).status_code == 303
    a, b = rows(db_path, draft)
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    action = f"/applications/{draft}/files/{a['id']}/delete"
    form = page.select_one(f'form[action="{action}"]')
    assert form.select_one("button").text == "Remove a.jpg"
    response = applicant.post(action, data={"csrf_token": form.select_one("input[name=csrf_token]")["value"]})
    assert response.status_code == 303 and response.location == f"/applications/{draft}/documents"
    assert rows(db_path, draft) == [b]
    assert on_disk(tmp_path) == {b["storage_name"]}
    missing = applicant.get(f"/applications/{draft}/files/{a['id']}")
    missing.close()
    assert missing.status_code == 404
    # Deleting again is 404, and leaves the other file alone.
    token = csrf_of(applicant, f"/applications/{draft}/documents")
    assert applicant.post(action, data={"csrf_token": token}).status_code == 404
    assert rows(db_path, draft) == [b]


# Only for the owner -------------------------------------------------------------------------------------------------

def test_files_are_only_for_the_owner_and_a_submitted_application_takes_no_more(app, applicant, make_app, db_path,
                                                                                tmp_path):
    draft = new_draft(applicant, app)
    photo = jpeg_bytes()
    assert upload(applicant, draft, DOC, ("mine.jpg", photo)).status_code == 303
    [row] = rows(db_path, draft)
    file_url = f"/applications/{draft}/files/{row['id']}"

    mine = applicant.get(file_url)
    body = mine.get_data()
    mine.close()
    assert mine.status_code == 200 and mine.mimetype == "image/jpeg"
    assert hashlib.sha256(body).hexdigest() == row["sha256"]

    other = register(english_client(make_app()), email="bo@example.org", profile=DEMO_PROFILE)
    token = csrf_of(other, "/dashboard")
    theirs = other.get(file_url)
    theirs.get_data()
    theirs.close()
    assert theirs.status_code == 404
    assert other.get(f"/applications/{draft}/documents").status_code == 404
    assert other.post(f"{file_url}/delete", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/applications/{draft}/documents/{DOC}/combine", data={"csrf_token": token}).status_code == 404
    response = other.post(f"/applications/{draft}/documents/{DOC}", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": [(io.BytesIO(photo), "theirs.jpg")]})
    assert response.status_code == 404
    # Nor through an application of their own.
    own = draft_id_of(start(other, SERVICE))
    theirs = other.get(f"/applications/{own}/files/{row['id']}")
    theirs.get_data()
    theirs.close()
    assert theirs.status_code == 404
    assert other.post(f"/applications/{own}/files/{row['id']}/delete", data={"csrf_token": token}).status_code == 404
    assert rows(db_path, draft) == [row]
    assert on_disk(tmp_path) == {row["storage_name"]}

    # After submitting, the application takes no more files and none can be removed.
    submitted, response = submit_application(applicant, app, SERVICE)
    assert response.status_code == 303
    before = rows(db_path, submitted)
    token = csrf_of(applicant, "/dashboard")
    response = applicant.post(f"/applications/{submitted}/documents/{DOC}", content_type="multipart/form-data",
                              data={"csrf_token": token, "file": [(io.BytesIO(photo), "late.jpg")]})
    status_page = f"/applications/{submitted}"                          # every old link leads there
    assert (response.status_code, response.location) == (303, status_page)
    assert applicant.post(f"/applications/{submitted}/files/{before[0]['id']}/delete",
                          data={"csrf_token": token}).location == status_page
    assert applicant.post(f"/applications/{submitted}/documents/{DOC}/combine",
                          data={"csrf_token": token}).location == status_page
    assert applicant.get(f"/applications/{submitted}/documents").location == status_page
    assert rows(db_path, submitted) == before
    assert all((tmp_path / "files" / r["storage_name"]).exists() for r in before)


# The page -----------------------------------------------------------------------------------------------------------

def test_the_upload_form_works_for_phones_and_shows_sizes(app, applicant, db_path):
    draft = new_draft(applicant, app)
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    sections = page.select("section.document")
    assert f"d-{DOC}" in [s["id"] for s in sections] and f"d-{OTHER_DOC}" in [s["id"] for s in sections]
    for section in sections:
        doc_id = section["id"][2:]
        form = section.select_one("form.upload")
        assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
        assert form["action"] == f"/applications/{draft}/documents/{doc_id}"
        field = form.select_one("input[type=file]")
        assert field["name"] == "file" and field.has_attr("multiple")
        accepted = field["accept"].split(",")
        for kind in ["image/*", "image/jpeg", "image/png", "image/heic", "application/pdf"]:  # image/* offers the camera
            assert kind in accepted
        assert form.select_one(f'label[for="{field["id"]}"]').text == "Photo or PDF file"
        assert field["aria-describedby"] == f"{field['id']}-hint"
        assert form.select_one(f"#{field['id']}-hint").text == "JPEG, PNG, HEIC or PDF, at most 10 MB per file."
        assert section.select_one(".files") is None

    pdf = pdf_bytes()
    assert upload(applicant, draft, DOC, ("small.pdf", pdf)).status_code == 303
    noise = io.BytesIO()
    Image.effect_noise((300, 300), 80).convert("RGB").save(noise, "PNG")
    assert upload(applicant, draft, OTHER_DOC, ("noise.png", noise.getvalue())).status_code == 303
    [pdf_row] = rows(db_path, draft, DOC)
    [photo_row] = rows(db_path, draft, OTHER_DOC)
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    [item] = page.select(f"section#d-{DOC} ul.files li")
    assert item.select_one("a").text == "small.pdf"
    assert item.select_one("a")["href"] == f"/applications/{draft}/files/{pdf_row['id']}"
    assert item.select_one("span.small").text == f"{max(1, round(len(pdf) / 1024))} kB"
    [item] = page.select(f"section#d-{OTHER_DOC} ul.files li")
    assert photo_row["size"] > 10 * 1024
    assert item.select_one("span.small").text == f"{round(photo_row['size'] / 1024)} kB"
    assert item.select_one("a").text == "noise.jpg"


def test_a_file_name_loses_the_override_that_would_hide_its_real_extension(app, applicant, db_path):
    # "invoice\u202egpj.exe" shows as "invoiceexe.jpg"; the one canonical text drops the override from the name.
    url = start(applicant, "declaration-of-commitment")
    draft = draft_id_of(url)
    answer_all(applicant, app.extensions["services"]["declaration-of-commitment"], url)
    assert upload(applicant, draft, DOC, ("invoice\u202egpj.exe", png_bytes())).status_code == 303
    assert [r["filename"] for r in rows(db_path, draft)] == ["invoicegpj.jpg"]
