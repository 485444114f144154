"""The outbox: leases, at-least-once delivery into a drop folder, exactly one folder per packet even after a kill."""
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.handoff import outbox, packets
from assistant.db import connect
from tests.conftest import english_client, register, submit_application

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def queued(app, make_app, db_path):
    """Three submitted applications of three accounts: three packets on the queue."""
    for i in range(3):
        client = english_client(make_app())
        register(client, email=f"person{i}@example.org")
        draft, response = submit_application(client, app, "declaration-of-commitment")
        assert response.status_code == 303
    return db_path


def run_cli(app, *args):
    """Run a `flask` command of the app in-process."""
    return app.test_cli_runner().invoke(args=list(args))


def states(db_path):
    """The state of every packet."""
    return [r[0] for r in sqlite3.connect(db_path).execute("SELECT state FROM outbox ORDER BY id")]


def test_lease_acknowledge_and_expiry(queued):
    db = connect(str(queued))
    first = outbox.lease(db, limit=2, seconds=60, owner="elsewhere:1")
    assert [r["state"] for r in first] == ["leased", "leased"] and first[0]["attempts"] == 1
    assert len(outbox.lease(db, limit=5, seconds=60, owner="elsewhere:2")) == 1   # only the third is free
    assert outbox.lease(db, limit=5, seconds=60, owner="elsewhere:3") == []
    outbox.acknowledge(db, first[0]["key"])
    outbox.acknowledge(db, first[0]["key"])                                        # idempotent
    assert states(queued).count("delivered") == 1
    db.execute("UPDATE outbox SET lease_until = '2000-01-01T00:00:00.000Z' WHERE key = ?", [first[1]["key"]])
    again = outbox.lease(db, limit=5, seconds=60, owner="elsewhere:4")              # an expired lease is taken over
    assert [r["key"] for r in again] == [first[1]["key"]] and again[0]["attempts"] == 2
    outbox.release(db, again[0]["key"], "disk full")
    row = db.execute("SELECT state, last_error FROM outbox WHERE key = ?", [again[0]["key"]]).fetchone()
    assert tuple(row) == ("queued", "disk full")


def test_a_lease_of_a_process_that_ended_is_taken_over_at_once(queued):
    db = connect(str(queued))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket
    dead_owner = f"{socket.gethostname()}:{finished.stdout.strip()}"
    leased = outbox.lease(db, limit=1, seconds=3600, owner=dead_owner)
    taken = outbox.lease(db, limit=3, seconds=60)
    assert leased[0]["key"] in [r["key"] for r in taken]


def test_deliver_writes_one_complete_folder_per_reference(app, queued, tmp_path):
    drop = tmp_path / "drop"
    result = run_cli(app, "outbox", "deliver", "--to", str(drop))
    assert result.exit_code == 0, result.output
    assert "3 delivered" in result.output
    assert states(queued) == ["delivered"] * 3
    folders = sorted(drop.iterdir())
    assert len(folders) == 3 and not [p for p in drop.iterdir() if p.name.startswith(".")]
    for folder in folders:
        packet = json.loads((folder / "packet.json").read_text())
        packets.VALIDATOR.validate(packet)
        assert folder.name == packet["reference"]
        data = (folder / "data.json").read_bytes()
        assert hashlib.sha512(data).hexdigest() == packet["metadata"]["contentStructure"]["data"]["hash"]["content"]
        for entry in packet["documents"] + [packet["receipt"]]:
            body = (folder / entry["filename"]).read_bytes()
            assert hashlib.sha256(body).hexdigest() == entry["sha256"] and len(body) == entry["size"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["packet.json", "data.json", "receipt.pdf"] + [e["filename"] for e in packet["documents"]])
    listing = run_cli(app, "outbox", "list")
    assert listing.exit_code == 0 and listing.output.count("delivered") == 3 and "3 packets." in listing.output
    assert "0 delivered" in run_cli(app, "outbox", "deliver", "--to", str(drop)).output


def test_a_folder_already_in_the_drop_is_not_written_again(app, queued, tmp_path):
    drop = tmp_path / "drop"
    db = connect(str(queued))
    row = outbox.lease(db, limit=1, seconds=60, owner="elsewhere:1")[0]
    reference = json.loads(row["packet"])["reference"]
    (drop / reference).mkdir(parents=True)
    (drop / reference / "packet.json").write_text("kept")
    db.execute("UPDATE outbox SET lease_until = '2000-01-01T00:00:00.000Z'")
    result = run_cli(app, "outbox", "deliver", "--to", str(drop))
    assert "2 delivered, 1 already in the folder" in result.output
    assert (drop / reference / "packet.json").read_text() == "kept"
    assert states(queued) == ["delivered"] * 3


def test_a_delivery_killed_halfway_and_run_again_leaves_every_packet_exactly_once(app, queued, tmp_path):
    drop = tmp_path / "drop"
    env = os.environ | {"ASSISTANT_DATABASE": str(queued), "ASSISTANT_FILES_DIR": app.config["FILES_DIR"],
                        "ASSISTANT_SECRET_KEY": "test", "ASSISTANT_INSTANCE_PATH": str(tmp_path / "instance"),
                        "FLASK_APP": "wsgi"}
    command = [sys.executable, "-m", "flask", "outbox", "deliver", "--to", str(drop), "--pause", "0.2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    # Wait until the second packet is being written: one folder is complete, one is half written.
    while time.monotonic() < deadline:
        names = [p.name for p in drop.iterdir()] if drop.exists() else []
        if any(n.startswith(".") for n in names) and any(not n.startswith(".") for n in names):
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    names = [p.name for p in drop.iterdir()]
    assert any(n.startswith(".") and ".partial-" in n for n in names), names   # really killed halfway
    assert "leased" in states(queued)

    second = subprocess.run(command[:-2], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert states(queued) == ["delivered"] * 3
    folders = sorted(p.name for p in drop.iterdir())
    references = sorted(json.loads(r[0])["reference"] for r in sqlite3.connect(queued).execute("SELECT packet FROM outbox"))
    assert folders == references                                     # each exactly once, no half folder left
    for name in folders:
        packet = json.loads((drop / name / "packet.json").read_text())
        assert (drop / name / "receipt.pdf").stat().st_size == packet["receipt"]["size"]
    third = subprocess.run(command[:-2], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "0 delivered" in third.stdout and sorted(p.name for p in drop.iterdir()) == folders
