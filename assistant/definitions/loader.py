"""Load forms/*.yaml and check each file against the schema and for consistency."""
import hashlib
import json
import re
from pathlib import Path
from typing import NamedTuple

import jsonschema
import yaml

from ..people.profile import PREFILL_TYPES
from . import fees
from .model import Question, Service, Step

SCHEMA = json.loads((Path(__file__).parent / "service.schema.json").read_text())
# The profile keys a question may be prefilled from are defined once, by the profile.
SCHEMA["$defs"]["question"]["properties"]["prefill"]["enum"] = sorted(PREFILL_TYPES)
DATE_CHECKS = ("after", "before", "not_after", "not_before")


class Problem(NamedTuple):
    """One thing wrong in a service file, said so that people find it: file, line, step and question ids, what."""
    file: str
    line: int | None  # one-based; None when the file cannot be read at all
    path: str         # the JSON path inside the file ("" for the top), for programs
    where: str        # the same place by the ids of step, question, document, choice, check, for people
    message: str
    warning: bool = False

    def __str__(self):
        location = self.file if self.line is None else f"{self.file}:{self.line}"
        return ": ".join([location] + ["warning"] * self.warning + [self.where] * bool(self.where) + [self.message])


class ServiceError(Exception):
    """Service files that cannot be used: every problem found, one per line; file, path and message of the first."""

    def __init__(self, problems):
        self.problems = list(problems)
        first = self.problems[0]
        self.file, self.line, self.path, self.message = first.file, first.line, first.path, first.message
        super().__init__("\n".join(map(str, self.problems)))


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


def _check_consistency(data):
    """Checks a JSON Schema cannot express (unique ids, references to earlier questions, fitting types), as (path, message)."""
    found = []
    seen = {}  # question id -> (step index, question dict)
    step_ids = set()

    def check_condition(cond, path, before_step):
        for key, wanted in (cond or {}).items():
            if key not in seen or (before_step is not None and seen[key][0] >= before_step):
                where = "an earlier step" if before_step is not None else "this service"
                found.append(((*path, key), f"'{key}' is not a question of {where}"))
                continue
            q = seen[key][1]
            allowed = {c["value"] for c in q.get("choices", [])} if q["type"] == "choice" else (
                {True, False} if q["type"] == "yesno" else None)
            for value in wanted if isinstance(wanted, list) else [wanted]:
                if allowed is not None and value not in allowed:
                    found.append(((*path, key), f"{value!r} is not an answer of '{key}'"))

    for si, step in enumerate(data["steps"]):
        spath = ("steps", si)
        if step["id"] in step_ids:
            found.append(((*spath, "id"), f"step id '{step['id']}' is used twice"))
        step_ids.add(step["id"])
        check_condition(step.get("show_if"), (*spath, "show_if"), si)
        for qi, q in enumerate(step["questions"]):
            qpath = (*spath, "questions", qi)
            check_condition(q.get("show_if"), (*qpath, "show_if"), si)
            if q["id"] in seen:
                found.append(((*qpath, "id"), f"question id '{q['id']}' is used twice"))
            else:
                seen[q["id"]] = (si, q)
            if (q["type"] == "choice") != ("choices" in q):
                where = (*qpath, "choices") if "choices" in q else qpath
                found.append((where, "only and every question of type 'choice' has 'choices'"))
            if q.get("prefill") and q["type"] not in PREFILL_TYPES[q["prefill"]]:
                found.append(((*qpath, "prefill"), f"profile key '{q['prefill']}' does not fit type '{q['type']}'"))
            for k in ("partial", "latin"):
                if q.get(k) and q["type"] != {"partial": "date", "latin": "name"}[k]:
                    found.append(((*qpath, k), f"'{k}' is not allowed for type '{q['type']}'"))
            for ci, check in enumerate(q.get("checks", [])):
                cpath = (*qpath, "checks", ci)
                kind = next(k for k in check if k != "message")
                fits = {"date": DATE_CHECKS + ("max_years_ago",), "number": ("min", "max"), "money": ("min", "max"),
                        "yesno": ("equals",), "choice": ("equals",)}
                text_kinds = ("min_length", "max_length", "pattern")
                allowed = fits.get(q["type"], text_kinds if q["type"] in ("text", "name", "longtext", "passport") else ())
                if kind not in allowed:
                    found.append(((*cpath, kind), f"check '{kind}' does not fit type '{q['type']}'"))
                elif kind == "equals" and check["equals"] not in (
                        {c["value"] for c in q.get("choices", [])} if q["type"] == "choice" else {True, False}):
                    found.append(((*cpath, "equals"), f"{check['equals']!r} is not an answer of '{q['id']}'"))
                ref = check.get(kind) if kind in DATE_CHECKS else None
                if ref and ref != "today" and (ref not in seen or seen[ref][1]["type"] != "date" or ref == q["id"]):
                    found.append(((*cpath, kind), f"'{ref}' is not an earlier date question"))
                if kind == "pattern":
                    try:
                        re.compile(check["pattern"])
                    except re.error as exc:
                        found.append(((*cpath, "pattern"), f"not a regular expression: {exc}"))
    for di, doc in enumerate(data.get("documents", [])):
        check_condition(doc.get("show_if"), ("documents", di, "show_if"), None)
    questions = {qid: Question(id=qid, type=q["type"], label=q["label"], choices=q.get("choices", [])) for qid, (_si, q) in seen.items()}
    return found + fees.problems(data["fee"], questions)


KINDS = {"steps": "step", "questions": "question", "documents": "document", "choices": "choice", "checks": "check"}


def _ident(kind, node):
    """What names an item of a list in a service file: its id, a choice's value, a check's rule."""
    if not isinstance(node, dict):
        return None
    if kind == "check":
        return next((k for k in node if k != "message"), None)
    return node.get("value" if kind == "choice" else "id")


def _line(root, path):
    """The one-based line of the YAML node at a JSON path (of its key, in a mapping): where an editor should jump."""
    node, line = root, 1 if root is None else root.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if entry is None:
                break
            node, line = entry[1], entry[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _where(data, path):
    """The place of a JSON path by the ids of its step, question, document, choice and check: never by a zero-based index."""
    names, keys, node, rule = [], [], data, None
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(part, int) and len(keys) == 1 and keys[0] in KINDS:
            kind = KINDS[keys.pop()]
            ident = _ident(kind, node)
            names.append(f"{kind} " + (f"'{ident}'" if isinstance(ident, str) else str(part + 1)))
            rule = ident if kind == "check" else None
        elif not isinstance(part, int) and part != rule:
            keys.append(str(part))
    return ", ".join(names + ["/".join(keys)] * bool(keys))


def _problem(file, root, data, path, message, warning=False):
    """A problem at a JSON path, located by the line of its YAML node and named by ids."""
    path = tuple(path)
    return Problem(str(file), _line(root, path), "/".join(map(str, path)), _where(data, path), message, warning)


def problem_at(file, path, message, warning=False):
    """A problem at a JSON path of a readable file (read again to find the line), for checks made after loading."""
    text = Path(file).read_text(encoding="utf-8")
    return _problem(file, yaml.compose(text), yaml.safe_load(text), path, message, warning)


def _yaml_problem(file, exc, text):
    """A YAML syntax error in one line: where the parser stopped and why."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:  # a ReaderError (a forbidden character) has only a position
        position = getattr(exc, "position", None)
        line = None if position is None else text.count("\n", 0, position) + 1
        return Problem(str(file), line, "", "", "not valid YAML: " + " ".join(str(exc).split("\n")[0].split()))
    message = f"{exc.problem} at column {mark.column + 1}"
    if exc.context:
        since = f" from line {exc.context_mark.line + 1}" if exc.context_mark and exc.context_mark.line != mark.line else ""
        message += f" ({exc.context}{since})"
    return Problem(str(file), mark.line + 1, "", "", f"not valid YAML: {message}")


def check_file(path):
    """Every problem of one service file (schema and consistency), and its Service when there is none."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = None if root is None else loader.construct_document(root)
        finally:
            loader.dispose()
    except OSError as exc:
        return None, [Problem(str(path), None, "", "", f"cannot be read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), raw.count(b"\n", 0, exc.start) + 1, "", "", f"not UTF-8: {exc}")]
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(path, exc, text)]
    errors = jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)
    best = (jsonschema.exceptions.best_match([error]) for error in errors)  # the most telling of each failure
    found = [(e.absolute_path, e.message) for e in best]
    problems = [_problem(path, root, data, p, m) for p, m in found or _check_consistency(data)]
    problems.sort(key=lambda p: p.line)
    return (None if problems else _build(data, path)), problems


def check_folder(folder):
    """The services of a folder by id (file-name order) and every problem of every file, for start-up and the CLI."""
    services, problems = {}, []
    for path in sorted(Path(folder).glob("*.yaml")):
        service, found = check_file(path)
        problems += found
        if service is not None and service.id in services:
            problems.append(problem_at(path, ["id"], f"service id '{service.id}' is also used by {services[service.id].source}"))
        elif service is not None:
            services[service.id] = service
    return services, problems


def load_file(path):
    """Load and check one service file; raise ServiceError with all its problems."""
    service, problems = check_file(path)
    if problems:
        raise ServiceError(problems)
    return service


def load_services(folder):
    """Load every service of a folder, keyed by id, in file-name order; raise ServiceError with all problems of all files."""
    services, problems = check_folder(folder)
    if problems:
        raise ServiceError(problems)
    return services
