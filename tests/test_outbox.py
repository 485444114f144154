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
    assert not outbox.acknowledge(db, first[0]["key"], "a guessed token")           # only the lease's holder
    assert outbox.acknowledge(db, first[0]["key"], first[0]["lease_token"])
    assert outbox.acknowledge(db, first[0]["key"], first[0]["lease_token"])         # idempotent
    assert states(queued).count("delivered") == 1
    db.execute("UPDATE outbox SET lease_until = '2000-01-01T00:00:00.000Z' WHERE key = ?", [first[1]["key"]])
    again = outbox.lease(db, limit=5, seconds=60, owner="elsewhere:4")              # an expired lease is taken over
    assert [r["key"] for r in again] == [first[1]["key"]] and again[0]["attempts"] == 2
    assert outbox.fail(db, again[0]["key"], first[1]["lease_token"], "stale holder") is None
    assert outbox.fail(db, again[0]["key"], again[0]["lease_token"], "disk full", max_attempts=3) == "queued"
    row = db.execute("SELECT state, last_error, next_attempt_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM outbox "
                     "WHERE key = ?", [again[0]["key"]]).fetchone()
    assert tuple(row) == ("queued", "disk full", 1)
    assert outbox.lease(db, limit=5, seconds=60) == []                              # not due yet: it waits
    assert [outbox.backoff(n) for n in (1, 2, 3, 20)] == [60, 120, 240, 6 * 3600]


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


def test_a_whole_folder_in_the_drop_is_kept_and_a_broken_one_rebuilt(app, queued, tmp_path):
    drop = tmp_path / "drop"
    assert "3 delivered" in run_cli(app, "outbox", "deliver", "--to", str(drop)).output
    first, second, _third = sorted(drop.iterdir())
    (second / "receipt.pdf").write_bytes(b"%PDF- half")                            # a broken copy
    (second / "data.json").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
    sqlite3.connect(queued).execute("UPDATE outbox SET state = 'queued'").connection.commit()   # delivered again
    result = run_cli(app, "outbox", "deliver", "--to", str(drop))
    assert "1 delivered, 2 already in the folder" in result.output, result.output
    assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == kept
    assert_whole(drop)


def assert_whole(drop, expected=None):
    """Every folder in the drop holds every file of its packet with the hashes the packet names, and nothing half."""
    folders = sorted(p for p in drop.iterdir())
    assert not [p.name for p in folders if p.name.startswith(".")]
    for folder in folders:
        packet = json.loads((folder / "packet.json").read_text())
        data = (folder / "data.json").read_bytes()
        assert hashlib.sha512(data).hexdigest() == packet["metadata"]["contentStructure"]["data"]["hash"]["content"]
        for entry in packets.packet_files(packet):
            assert hashlib.sha512((folder / entry["filename"]).read_bytes()).hexdigest() == entry["sha512"]
            assert len(entry["filename"].encode()) <= 255
    if expected is not None:
        assert [p.name for p in folders] == sorted(expected)


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


def test_one_poisoned_packet_never_stops_the_others(app, make_app, queued, tmp_path, monkeypatch):
    """A name of 90 emoji is delivered under a name that fits; a packet whose file is gone fails alone, then is set aside."""
    client = english_client(make_app())
    register(client, email="emoji@example.org")
    from tests.conftest import jpeg_bytes, upload
    service = app.extensions["services"]["declaration-of-commitment"]
    from tests.conftest import answer_all, csrf_of, draft_id_of, soup, start
    url = start(client, service.id)
    draft = draft_id_of(url)
    answer_all(client, service, url)
    for section in soup(client.get(f"/applications/{draft}/documents")).select("section.document"):
        assert upload(client, draft, section["id"][2:], ("😀" * 90 + ".jpg", jpeg_bytes())).status_code == 303
    client.post(f"/applications/{draft}/submit", data={"csrf_token": csrf_of(client, f"/applications/{draft}/check"),
                                                       "declaration": "yes"})
    db = connect(str(queued))
    lost = db.execute("SELECT f.storage_name, o.key FROM files f JOIN outbox o ON o.application_id = f.application_id "
                      "WHERE f.purpose = 'form' ORDER BY o.id LIMIT 1").fetchone()
    (Path(app.config["FILES_DIR"]) / lost["storage_name"]).unlink()        # the receipt of the first packet is gone
    drop = tmp_path / "drop"
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    result = run_cli(app, "outbox", "deliver", "--to", str(drop))
    assert result.exit_code == 1 and "3 delivered, 0 already in the folder, 1 failed" in result.output, result.output
    assert "no longer stored" in result.output and "will be tried again" in result.output
    assert states(queued).count("delivered") == 3
    assert_whole(drop)
    emoji = [e["filename"] for p in drop.iterdir() for e in json.loads((p / "packet.json").read_text())["documents"]
             if "original_filename" in e]
    assert emoji and all(len(name.encode()) <= 255 and name.endswith(".jpg") for name in emoji)

    db.execute("UPDATE outbox SET next_attempt_at = NULL WHERE key = ?", [lost["key"]])   # its time has come
    second = run_cli(app, "outbox", "deliver", "--to", str(drop))
    assert second.exit_code == 1 and "set aside as failed" in second.output
    listing = run_cli(app, "outbox", "list").output
    assert "failed" in listing and "1 failed." in listing and "no longer stored" in listing
    assert run_cli(app, "outbox", "deliver", "--to", str(drop)).exit_code == 0     # a failed packet is left alone
    assert run_cli(app, "outbox", "retry", lost["key"]).exit_code == 0
    assert db.execute("SELECT state, attempts FROM outbox WHERE key = ?", [lost["key"]]).fetchone()[:] == ("queued", 0)
    assert run_cli(app, "outbox", "retry", lost["key"]).exit_code == 1              # only a failed packet


def test_a_run_removes_only_the_half_folders_of_runs_that_ended(app, tmp_path):
    import socket
    from assistant.handoff.targets.folder import DropFolder
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    drop = tmp_path / "drop"
    host = socket.gethostname()
    running = drop / f".K7M4-Q9TX-C.partial-{host}+{os.getpid()}"
    ended = drop / f".K7M4-Q9TX-D.partial-{host}+{finished.stdout.strip()}"
    elsewhere = drop / ".K7M4-Q9TX-E.partial-another-host+1"
    for folder in (running, ended, elsewhere):
        folder.mkdir(parents=True)
    DropFolder(drop)
    assert running.exists() and not ended.exists() and elsewhere.exists()


def test_two_runs_at_once_killed_at_random_leave_every_folder_whole_and_once(app, make_app, queued, tmp_path):
    import random
    for i in range(3, 6):
        client = english_client(make_app())
        register(client, email=f"person{i}@example.org")
        assert submit_application(client, app, "declaration-of-commitment")[1].status_code == 303
    drop = tmp_path / "drop"
    env = os.environ | {"ASSISTANT_DATABASE": str(queued), "ASSISTANT_FILES_DIR": app.config["FILES_DIR"],
                        "ASSISTANT_SECRET_KEY": "test", "ASSISTANT_INSTANCE_PATH": str(tmp_path / "instance"),
                        "FLASK_APP": "wsgi"}
    command = [sys.executable, "-m", "flask", "outbox", "deliver", "--to", str(drop), "--pause", "0.05"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    victim = random.choice(runs)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (drop.exists() and any(".partial-" in p.name for p in drop.iterdir())):
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    for run in runs:
        run.communicate(timeout=60)
    survivor = next(run for run in runs if run is not victim)
    assert survivor.returncode == 0
    last = subprocess.run(command[:-2], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert last.returncode == 0, last.stderr
    assert states(queued) == ["delivered"] * 6
    references = [json.loads(r[0])["reference"] for r in sqlite3.connect(queued).execute("SELECT packet FROM outbox")]
    assert_whole(drop, references)


def test_every_packet_kind_carries_fitconnect_metadata_of_its_own_files(app, queued, tmp_path):
    import jsonschema
    db = connect(str(queued))
    row = db.execute("SELECT application_id FROM outbox LIMIT 1").fetchone()
    with app.test_request_context():
        from assistant import access
        from assistant.casework import commands
        case = access.load(row["application_id"])
        commands.post(case, sender="office", kind="message", body="Bitte Unterlagen nachreichen.", actor_id=None,
                      purpose="report")
    kinds = set()
    validator = jsonschema.Draft202012Validator(packets.FITCONNECT)
    for (raw,) in db.execute("SELECT packet FROM outbox"):
        packet = json.loads(raw)
        packets.VALIDATOR.validate(packet)
        validator.validate(packet["metadata"])
        kinds.add(packet["kind"])
        named = {a["filename"]: a["hash"]["content"] for a in packet["metadata"]["contentStructure"]["attachments"]}
        assert named == {e["filename"]: e["sha512"] for e in packets.packet_files(packet)}
        data = packets.canonical_json(packets.data_of(packet))
        assert hashlib.sha512(data).hexdigest() == packet["metadata"]["contentStructure"]["data"]["hash"]["content"]
    assert kinds == {"submission", "correspondence"}


def test_stray_files_older_than_an_hour_are_swept(app, queued):
    folder = Path(app.config["FILES_DIR"])
    named = {p.name for p in folder.iterdir()}
    stray, young = folder / "left-by-a-crash", folder / "being-written"
    stray.write_bytes(b"receipt of a transaction that never committed")
    young.write_bytes(b"its row comes in a moment")
    two_hours_ago = time.time() - 7200
    os.utime(stray, (two_hours_ago, two_hours_ago))
    for name in named:
        os.utime(folder / name, (two_hours_ago, two_hours_ago))
    result = run_cli(app, "files", "sweep")
    assert result.exit_code == 0 and "1 stray files removed" in result.output
    assert {p.name for p in folder.iterdir()} == named | {"being-written"}


@pytest.mark.parametrize("submitted_at,day", [("2026-12-01T23:30:00.000Z", "2026-12-02"),   # 00:30 in Berlin
                                              ("2026-07-01T21:59:00.000Z", "2026-07-01"),   # 23:59 in summer
                                              ("2026-07-01T22:00:00.000Z", "2026-07-02")])
def test_the_application_date_is_the_offices_day(submitted_at, day):
    assert packets.office_date(submitted_at) == day
