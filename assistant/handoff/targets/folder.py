"""The drop folder: one folder per packet, written under a temporary name and renamed when complete.

Several runs may deliver at once: each writes only its own temporary folders
(named with its host and process) and removes only those of runs that ended.
A folder that is already there is checked file by file against the packet's
hashes before the packet counts as delivered, and rebuilt when it is not whole.
"""
import json
import os
import shutil
import time
from pathlib import Path

from ... import files
from ..names import portable
from ..outbox import alive, local_owner
from ..packets import canonical_json, data_of, packet_files
from .base import Target


class MissingFile(Exception):
    """A file the packet names is no longer stored."""


def folder_name(packet):
    """A submission's folder is its reference; correspondence gets the reference, the message number and kind."""
    if packet["kind"] == "submission":
        return packet["reference"]
    return f"{packet['reference']}--{packet['message']['id']:05d}-{packet['message']['kind']}"


def contents(db, row):
    """(file name, bytes) of everything the packet's folder holds, read from the store."""
    packet = json.loads(row["packet"])
    stored = {f["sha512"]: dict(f) for f in db.execute("SELECT * FROM files WHERE application_id = ?", [row["application_id"]])}
    items = [("data.json", canonical_json(data_of(packet)))]
    for entry in packet_files(packet):
        path = files.path_of(stored[entry["sha512"]]) if entry["sha512"] in stored else None
        if path is None or not path.is_file():
            raise MissingFile(f"{entry['filename']} (sha512 {entry['sha512'][:16]}…) is no longer stored")
        items.append((portable(entry["filename"]), path.read_bytes()))
    items.append(("packet.json", json.dumps(packet, ensure_ascii=False, indent=2).encode()))
    return packet, items


def whole(folder, items):
    """Whether a folder holds every file of the packet, byte for byte (so every hash the packet names matches)."""
    for name, data in items:
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            return False
    return True


class DropFolder(Target):
    """Deliver into a folder that the back office (or its document management system) watches."""

    def __init__(self, root, pause=0.0):
        self.root, self.pause = Path(root), pause
        self.owner = local_owner().replace(":", "+")  # no colon: the folder may be a Windows share
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.root.glob(".*.partial-*"):  # from runs that were stopped halfway, never from running ones
            if not alive(leftover.name.rpartition(".partial-")[2].replace("+", ":")):
                shutil.rmtree(leftover, ignore_errors=True)

    def deliver(self, db, row):
        packet, items = contents(db, row)
        final = self.root / folder_name(packet)
        if final.exists() and whole(final, items):
            return False
        temporary = self.root / f".{final.name}.partial-{self.owner}"
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        for name, data in items:
            with open(temporary / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            time.sleep(self.pause)
        if final.exists():  # incomplete (written by hand, or by a version that had this fault): replace it whole
            broken = self.root / f".{final.name}.broken-{self.owner}"
            os.rename(final, broken)
            os.rename(temporary, final)
            shutil.rmtree(broken, ignore_errors=True)
        else:
            os.rename(temporary, final)  # atomic: the folder appears complete or not at all
        return True
