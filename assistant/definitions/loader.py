"""Load forms/*.yaml and check each file against the schema and for consistency."""
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import yaml

from ..people.profile import PREFILL_TYPES
from .model import Question, Service, Step

SCHEMA = json.loads((Path(__file__).parent / "service.schema.json").read_text())
DATE_CHECKS = ("after", "before", "not_after", "not_before")


class ServiceError(Exception):
    """A service file that cannot be used: which file, where inside it, and what is wrong."""

    def __init__(self, file, path, message):
        self.file, self.path, self.message = str(file), path, message
        super().__init__(f"{self.file}: at {path or '(top)'}: {message}")


def _build(data, source):
    """Turn checked YAML data into dataclasses."""
    steps = [
        Step(id=s["id"], title=s["title"], intro=s.get("intro"), show_if=s.get("show_if"),
             questions=[Question(**q) for q in s["questions"]])
        for s in data["steps"]
    ]
    rest = {k: v for k, v in data.items() if k != "steps"}
    return Service(steps=steps, source=str(source), data=data, hash=content_hash(data), **rest)


def content_hash(data):
    """The SHA-256 of a definition's content: the same service text gives the same hash, whatever the file looks like."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def build(data, source):
    """A Service from definition data that was checked before (a kept version from the database)."""
    return _build(data, source)


def _check_consistency(data, file):
    """Checks a JSON Schema cannot express: unique ids, references to earlier questions, fitting types."""
    seen = {}  # question id -> (step index, question dict)
    step_ids = set()

    def check_condition(cond, path, before_step):
        for key, wanted in (cond or {}).items():
            if key not in seen or (before_step is not None and seen[key][0] >= before_step):
                where = "an earlier step" if before_step is not None else "this service"
                raise ServiceError(file, f"{path}/{key}", f"'{key}' is not a question of {where}")
            q = seen[key][1]
            allowed = {c["value"] for c in q.get("choices", [])} if q["type"] == "choice" else (
                {True, False} if q["type"] == "yesno" else None)
            for value in wanted if isinstance(wanted, list) else [wanted]:
                if allowed is not None and value not in allowed:
                    raise ServiceError(file, f"{path}/{key}", f"{value!r} is not an answer of '{key}'")

    for si, step in enumerate(data["steps"]):
        spath = f"steps/{si}"
        if step["id"] in step_ids:
            raise ServiceError(file, f"{spath}/id", f"step id '{step['id']}' is used twice")
        step_ids.add(step["id"])
        check_condition(step.get("show_if"), f"{spath}/show_if", si)
        for qi, q in enumerate(step["questions"]):
            qpath = f"{spath}/questions/{qi}"
            if q["id"] in seen:
                raise ServiceError(file, f"{qpath}/id", f"question id '{q['id']}' is used twice")
            check_condition(q.get("show_if"), f"{qpath}/show_if", si)
            seen[q["id"]] = (si, q)
            if (q["type"] == "choice") != ("choices" in q):
                where = f"{qpath}/choices" if "choices" in q else qpath
                raise ServiceError(file, where, "only and every question of type 'choice' has 'choices'")
            if q.get("prefill") and q["type"] not in PREFILL_TYPES[q["prefill"]]:
                raise ServiceError(file, f"{qpath}/prefill", f"profile key '{q['prefill']}' does not fit type '{q['type']}'")
            for k in ("partial", "latin"):
                if q.get(k) and q["type"] != {"partial": "date", "latin": "name"}[k]:
                    raise ServiceError(file, f"{qpath}/{k}", f"'{k}' is not allowed for type '{q['type']}'")
            for ci, check in enumerate(q.get("checks", [])):
                cpath = f"{qpath}/checks/{ci}"
                kind = next(k for k in check if k != "message")
                fits = {"date": DATE_CHECKS + ("max_years_ago",), "number": ("min", "max"), "money": ("min", "max"),
                        "yesno": ("equals",), "choice": ("equals",)}
                text_kinds = ("min_length", "max_length", "pattern")
                allowed = fits.get(q["type"], text_kinds if q["type"] in ("text", "name", "longtext", "passport") else ())
                if kind not in allowed:
                    raise ServiceError(file, f"{cpath}/{kind}", f"check '{kind}' does not fit type '{q['type']}'")
                if kind == "equals" and check["equals"] not in (
                        {c["value"] for c in q.get("choices", [])} if q["type"] == "choice" else {True, False}):
                    raise ServiceError(file, f"{cpath}/equals", f"{check['equals']!r} is not an answer of '{q['id']}'")
                ref = check.get(kind) if kind in DATE_CHECKS else None
                if ref and ref != "today" and (ref not in seen or seen[ref][1]["type"] != "date" or ref == q["id"]):
                    raise ServiceError(file, f"{cpath}/{kind}", f"'{ref}' is not an earlier date question")
                if kind == "pattern":
                    try:
                        re.compile(check["pattern"])
                    except re.error as exc:
                        raise ServiceError(file, f"{cpath}/pattern", f"not a regular expression: {exc}") from None
    for di, doc in enumerate(data.get("documents", [])):
        check_condition(doc.get("show_if"), f"documents/{di}/show_if", None)


def load_file(path):
    """Load and check one service file; raise ServiceError naming the problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ServiceError(path, "", f"not valid YAML: {exc}") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
    if error is not None:
        raise ServiceError(path, "/".join(str(p) for p in error.absolute_path), error.message)
    _check_consistency(data, path)
    return _build(data, path)


def load_services(folder):
    """Load every service of a folder, keyed by id, in file-name order."""
    services = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        service = load_file(path)
        if service.id in services:
            raise ServiceError(path, "id", f"service id '{service.id}' is also used by {services[service.id].source}")
        services[service.id] = service
    return services
