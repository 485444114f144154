"""The drop folder: one folder per packet, written under a temporary name and renamed when complete."""
import json
import os
import shutil
import time
from pathlib import Path

from ... import files
from ..packets import canonical_json, packet_files
from .base import Target


def folder_name(packet):
    """A submission's folder is its reference; correspondence gets the reference, the message number and kind."""
    if packet["kind"] == "submission":
        return packet["reference"]
    return f"{packet['reference']}--{packet['message']['id']:05d}-{packet['message']['kind']}"


def write_packet_folder(db, target_root, row, pause=0.0):
    """Write one packet's folder under a temporary name and rename it when complete; skip if it is there."""
    packet = json.loads(row["packet"])
    final = Path(target_root) / folder_name(packet)
    if final.exists():
        return False
    temporary = Path(target_root) / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    stored = {f["sha512"]: dict(f) for f in db.execute("SELECT * FROM files WHERE application_id = ?", [row["application_id"]])}
    items = [("data.json", canonical_json(packet["data"]))] if packet["kind"] == "submission" else []
    for entry in packet_files(packet):
        items.append((entry["filename"], files.path_of(stored[entry["sha512"]]).read_bytes()))
    items.append(("packet.json", json.dumps(packet, ensure_ascii=False, indent=2).encode()))
    for name, data in items:
        with open(temporary / name, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        time.sleep(pause)
    os.rename(temporary, final)  # atomic: the folder appears complete or not at all
    return True


class DropFolder(Target):
    """Deliver into a folder that the back office (or its document management system) watches."""

    def __init__(self, root, pause=0.0):
        self.root, self.pause = Path(root), pause
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.root.glob(".*.partial-*"):  # from a run that was stopped halfway
            shutil.rmtree(leftover, ignore_errors=True)

    def deliver(self, db, row):
        return write_packet_folder(db, self.root, row, self.pause)
