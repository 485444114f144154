"""Drawing a submission's receipt and packet, after the commit that made it a record.

The submit's transaction stores the record and a row in `receipts_to_draw`; `draw` renders the receipt from the record
and stores it with the packet (which carries it) in one transaction that deletes the row, so a submission gets exactly
one receipt and one packet, whoever draws them and however often. ASSISTANT_RECEIPT_DRAWING says when: `in-request`
(the default) draws before the answer to "Send", so the answer comes with its receipt; `after-commit` answers at once
and lets a thread of the process draw (the confirmation page shows the receipt as soon as it exists). A process that
dies in between leaves the row: `sweep` draws what is left, from the next process's thread or `flask outbox deliver`.
"""
import json
import os
import queue
import threading

from flask import current_app
from flask_babel import force_locale

from .. import files
from ..db import get_db
from ..handoff import packets
from . import receipt, snapshot

LEFT_FOR = 60   # seconds: a row older than this was left by a process that died
# The receipt's place in a packet that is checked against its schema before the commit (the real one is drawn after).
RECEIPT_TO_COME = {"content_type": "application/pdf", "size": 1, "sha256": "0" * 64, "sha512": "0" * 128}


class _Drawn(Exception):
    """Someone else stored the receipt and packet meanwhile."""


def waiting(application_id):
    """Whether the receipt of this submission is still to be drawn."""
    return get_db().execute("SELECT 1 FROM receipts_to_draw WHERE application_id = ?", [application_id]).fetchone() is not None


def draw(application_id):
    """Draw and store the receipt and the packet of a submission still waiting for them; False if none was waiting."""
    db = get_db()
    if not waiting(application_id):
        return False
    created_at = db.execute("SELECT created_at FROM applications WHERE id = ?", [application_id]).fetchone()[0]
    record = snapshot.of(application_id, db)
    with force_locale(record["language"]):
        stored = files.write(receipt.render(record))
    packet = packets.build(record, created_at=created_at, receipt_row={"content_type": "application/pdf", **stored})
    try:
        with db.atomic():
            if db.execute("DELETE FROM receipts_to_draw WHERE application_id = ?", [application_id]).rowcount != 1:
                raise _Drawn()
            files.record(application_id, "form", None, f"receipt-{record['reference']}.pdf", "application/pdf", stored)
            enqueue(db, application_id, record["reference"], packet)
    except _Drawn:
        files.remove(stored["storage_name"])
        return False
    except BaseException:
        files.remove(stored["storage_name"])
        raise
    return True


def enqueue(db, application_id, reference, packet):
    """Put a packet on the outbox; the key makes a second one for the same submission impossible."""
    db.execute("INSERT INTO outbox (key, application_id, reference, kind, packet) VALUES (?, ?, ?, ?, ?)",
               [f"{reference}/submission", application_id, reference, packet["kind"], json.dumps(packet, ensure_ascii=False)])


def sweep(older_than=LEFT_FOR):
    """Draw every receipt left waiting longer than `older_than` seconds; returns (how many were drawn, the ids that
    failed). One that fails stays waiting, logged, and never stops the others."""
    left = [r[0] for r in get_db().execute(
        "SELECT application_id FROM receipts_to_draw WHERE created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) "
        "ORDER BY created_at", [f"-{older_than} seconds"])]
    drawn, failed = 0, []
    for application_id in left:
        try:
            drawn += draw(application_id)
        except Exception:
            current_app.logger.exception("the receipt of %s could not be drawn now", application_id)
            failed.append(application_id)
    return drawn, failed


def after_submit(application_id):
    """Draw now (in-request), or hand the drawing to this process's thread (after-commit)."""
    if current_app.config["RECEIPT_DRAWING"] != "after-commit":
        try:
            draw(application_id)
        except Exception:   # the submission stands; the confirmation says the receipt is coming, a sweep draws it
            current_app.logger.exception("the receipt of %s could not be drawn now", application_id)
        return
    state = current_app.extensions.setdefault("drawing", {"queue": queue.Queue(), "pid": None, "lock": threading.Lock()})
    with state["lock"]:
        if state["pid"] != os.getpid():   # after a fork, the parent's thread is not here
            state["pid"] = os.getpid()
            threading.Thread(target=_work, args=(current_app._get_current_object(), state["queue"]), daemon=True,
                             name="receipts").start()
    state["queue"].put(application_id)


def _work(app, jobs):
    """The process's drawing thread: first what a dead process left, then every submission handed to it."""
    with app.app_context():
        sweep()
    while True:
        application_id = jobs.get()
        try:
            with app.app_context():
                draw(application_id)
        except Exception:   # the row stays; the next sweep draws it
            app.logger.exception("the receipt of %s could not be drawn now", application_id)
        finally:
            jobs.task_done()


def drain(app):
    """Wait until this process's thread has drawn everything handed to it (for tests and a clean shutdown)."""
    state = app.extensions.get("drawing")
    if state:
        state["queue"].join()
