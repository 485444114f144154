"""Load forms/*.yaml and check each file against the schema and for consistency."""
import hashlib
import json
import re
from pathlib import Path
from typing import NamedTuple

import jsonschema
import yaml

from ..people.profile import PREFILL_TYPES
from . import conditions, fees
from .model import ITEM, Question, Service, Step

SCHEMA = json.loads((Path(__file__).parent / "service.schema.json").read_text())
# The profile keys a question may be prefilled from are defined once, by the profile.
SCHEMA["$defs"]["question"]["properties"]["prefill"]["enum"] = sorted(PREFILL_TYPES)
DATE_CHECKS = ("after", "before", "not_after", "not_before")
BLOCKS = "blocks"  # forms/blocks/<name>.yaml: questions written once, used by `- use: <name>` in any step


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
        Step(id=s["id"], title=s["title"], intro=s.get("intro"), show_if=s.get("show_if"), stop=s.get("stop"),
             repeat=s.get("repeat"), questions=[Question(**q) for q in s.get("questions", [])])
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


def _check_consistency(data, services=None):
    """Checks a JSON Schema cannot express (unique ids, references to earlier questions, fitting types), as (path, message).

    `services` are the ids of the folder's services, which a stop page may send the applicant to."""
    found = []
    seen = {}  # question or repeat step id -> (step index, definition as in conditions.problems)
    step_ids, item_ids = set(), set()  # item_ids: questions of every repeat step, unique in the service too
    tables = data.get("tables", {})

    def check_condition(cond, path, before_step, items=None):
        known = {k: v for k, (si, v) in seen.items() if before_step is None or si < before_step}
        scope = "this service" if before_step is None else "an earlier step"
        found.extend(conditions.problems(cond, path, known, tables, items, scope))

    for si, step in enumerate(data["steps"]):
        spath = ("steps", si)
        if step["id"] in step_ids:
            found.append(((*spath, "id"), f"step id '{step['id']}' is used twice"))
        step_ids.add(step["id"])
        check_condition(step.get("show_if"), (*spath, "show_if"), si)
        stop = step.get("stop", {})
        if bool(stop) == bool(step.get("questions")):
            found.append((spath, "a step has either 'questions' or 'stop'"))
        if stop.get("service") and services is not None and stop["service"] not in services:
            found.append(((*spath, "stop", "service"), f"'{stop['service']}' is not a service of this folder"))
        item_questions = {}
        for qi, q in enumerate(step.get("questions", [])):
            qpath = (*spath, "questions", qi)
            check_condition(q.get("show_if"), (*qpath, "show_if"), si)
            if q["id"] in seen or q["id"] in item_ids or q["id"] in item_questions or ITEM in q["id"]:
                found.append(((*qpath, "id"), f"question id '{q['id']}' is used twice" if ITEM not in q["id"]
                              else f"a question id cannot hold '{ITEM}'"))
            elif step.get("repeat"):
                item_questions[q["id"]] = q
            else:
                seen[q["id"]] = (si, q)
            if (q["type"] == "choice") != ("choices" in q):
                where = (*qpath, "choices") if "choices" in q else qpath
                found.append((where, "only and every question of type 'choice' has 'choices'"))
            if q["type"] == "notice" and (q.get("required") or q.get("checks") or q.get("prefill")):
                found.append((qpath, "a notice asks nothing: no 'required', 'checks' or 'prefill'"))
            if q.get("prefill") and (q["type"] not in PREFILL_TYPES[q["prefill"]] or step.get("repeat")):
                found.append(((*qpath, "prefill"), f"profile key '{q['prefill']}' does not fit type '{q['type']}'"
                              if not step.get("repeat") else "a repeat step's questions are not prefilled"))
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
                earlier = {k: v for k, (_si, v) in seen.items()} | item_questions
                if ref and ref != "today" and (ref not in earlier or earlier[ref]["type"] != "date" or ref == q["id"]):
                    found.append(((*cpath, kind), f"'{ref}' is not an earlier date question"))
                if kind == "pattern":
                    try:
                        re.compile(check["pattern"])
                    except re.error as exc:
                        found.append(((*cpath, "pattern"), f"not a regular expression: {exc}"))
        if step.get("repeat"):
            repeat = step["repeat"]
            if repeat.get("min", 0) > repeat.get("max", 30):
                found.append(((*spath, "repeat"), "'min' is more than 'max'"))
            for ni, name in enumerate(repeat.get("name", [])):
                if name not in item_questions:
                    found.append(((*spath, "repeat", "name", ni), f"'{name}' is not a question of this step"))
            if step["id"] in seen:
                found.append(((*spath, "id"), f"a repeat step's id names its answers: '{step['id']}' is already a question"))
            seen[step["id"]] = (si, {"type": "repeat", "questions": item_questions})
            item_ids |= set(item_questions)
    for di, doc in enumerate(data.get("documents", [])):
        each = seen.get(doc.get("for_each"), (None, {}))[1]
        if doc.get("for_each") and each.get("type") != "repeat":
            found.append((("documents", di, "for_each"), f"'{doc['for_each']}' is not a repeat step of this service"))
        check_condition(doc.get("show_if"), ("documents", di, "show_if"), None, each.get("questions"))
    questions = {qid: Question(id=qid, type=q["type"], label=q.get("label"), choices=q.get("choices", []))
                 for qid, (_si, q) in seen.items() if q["type"] != "repeat"}
    repeats = {qid: _Repeat(q["questions"]) for qid, (_si, q) in seen.items() if q["type"] == "repeat"}
    return found + fees.problems(data.get("fee", {}), questions | repeats, tables=tables)


class _Repeat(NamedTuple):
    """A repeat step as the fee check sees it: a kind of answer whose items have questions of their own."""
    questions: dict
    type: str = "repeat"
    choices: list = []


KINDS = {"steps": "step", "questions": "question", "documents": "document", "choices": "choice", "checks": "check"}


def _ident(kind, node):
    """What names an item of a list in a service file: its id, a choice's value, a check's rule."""
    if not isinstance(node, dict):
        return None
    if kind == "check":
        return next((k for k in node if k != "message"), None)
    return node.get("value" if kind == "choice" else "id")


def _line(root, path):
    """The file and one-based line of the YAML node at a JSON path (of its key, in a mapping): where an editor should
    jump. A question that came from a block is found in the block's file."""
    if root is None:
        return None, 1
    node, mark = root, root.start_mark
    for part in path:
        if isinstance(node, yaml.MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if entry is None:
                break
            node, mark = entry[1], entry[0].start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.name, mark.line + 1


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
    name, line = _line(root, path)
    return Problem(name if name and not name.startswith("<") else str(file), line, "/".join(map(str, path)),
                   _where(data, path), message, warning)


def problem_at(file, path, message, warning=False):
    """A problem at a JSON path of a readable file (read again, blocks included, to find the line), for checks made after loading."""
    root, data, _problems = _read(Path(file))
    return _problem(file, root, data, path, message, warning)


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


def _compose(path):
    """The YAML node tree of a file, its marks named by the file (so a problem in a block names the block's file)."""
    text = path.read_bytes().decode("utf-8")
    loader = yaml.SafeLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _expand(path, root):
    """Put the questions of each `- use: <block>` in its place, in the node tree; the problems of blocks that cannot be used."""
    problems = []
    steps = _child(root, "steps")
    for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
        questions = _child(step, "questions")
        if not isinstance(questions, yaml.SequenceNode):
            continue
        spliced = []
        for node in questions.value:
            use = _child(node, "use")
            if not isinstance(use, yaml.ScalarNode):
                spliced.append(node)
                continue
            block = path.parent / BLOCKS / f"{use.value}.yaml"
            skip = _child(node, "skip")
            skipped = {n.value for n in skip.value} if isinstance(skip, yaml.SequenceNode) else set()
            try:
                items = _child(_compose(block), "questions") if block.is_file() and re.fullmatch(r"[a-z][a-z0-9_-]*", use.value) else None
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                problems.append(Problem(str(block), None, "", "", f"block cannot be read: {exc}"))
                continue
            if not isinstance(items, yaml.SequenceNode):
                problems.append(Problem(str(path), use.start_mark.line + 1, "", "",
                                        f"'{use.value}' is not a block with questions in {path.parent / BLOCKS}"))
                continue
            kept = [q for q in items.value if getattr(_child(q, "id"), "value", None) not in skipped]
            missing = skipped - {getattr(_child(q, "id"), "value", None) for q in items.value}
            if missing:
                problems.append(Problem(str(path), skip.start_mark.line + 1, "", "",
                                        f"block '{use.value}' has no question {', '.join(sorted(missing))}"))
            spliced += kept
        questions.value[:] = spliced
    return problems


def _child(node, key):
    """The value node of a key in a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def _read(path):
    """(node tree, data, problems) of a service file with its blocks in place; data is None when it cannot be read."""
    try:
        root = _compose(path)
    except OSError as exc:
        return None, None, [Problem(str(path), None, "", "", f"cannot be read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        return None, None, [Problem(str(path), raw.count(b"\n", 0, exc.start) + 1, "", "", f"not UTF-8: {exc}")]
    except yaml.YAMLError as exc:
        return None, None, [_yaml_problem(path, exc, path.read_text(encoding="utf-8", errors="replace"))]
    problems = _expand(path, root)
    loader = yaml.SafeLoader("")
    try:
        data = None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()
    return root, data, problems


def check_file(path, services=None):
    """Every problem of one service file (blocks, schema and consistency), and its Service when there is none.

    `services` are the ids of the other services of its folder, which a stop page may name."""
    path = Path(path)
    root, data, problems = _read(path)
    if data is None and problems:
        return None, problems
    if not problems:
        errors = jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)
        best = (jsonschema.exceptions.best_match([error]) for error in errors)  # the most telling of each failure
        found = [(e.absolute_path, e.message) for e in best]
        problems = [_problem(path, root, data, p, m) for p, m in found or _check_consistency(data, services)]
    problems.sort(key=lambda p: (p.file != str(path), p.line or 0))
    return (None if problems else _build(data, path)), problems


_FOLDERS = {}  # digest of a folder's files -> (services, problems): every app of a process checks one content once


def _digest(folder):
    """A digest of every YAML file of a folder (services, blocks, guide), by name and content."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.yaml")):
        try:
            digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
        except OSError:
            digest.update(f"{path}: unreadable\0".encode())
    return digest.hexdigest()


def check_folder(folder):
    """The services of a folder by id (file-name order) and every problem of every file, for start-up and the CLI.

    Checking takes a second for a dozen services (the fee tables are walked); the same content is checked once."""
    key = (str(Path(folder).resolve()), _digest(folder))
    if key not in _FOLDERS:
        _FOLDERS[key] = _check_folder(folder)
    services, problems = _FOLDERS[key]
    return dict(services), list(problems)


def _check_folder(folder):
    services, problems = {}, []
    paths = sorted(Path(folder).glob("*.yaml"))
    ids = {_declared_id(p) for p in paths} - {None}
    for path in paths:
        service, found = check_file(path, ids)
        problems += found
        if service is not None and service.id in services:
            problems.append(problem_at(path, ["id"], f"service id '{service.id}' is also used by {services[service.id].source}"))
        elif service is not None:
            services[service.id] = service
    return services, problems


def _declared_id(path):
    """The id a file declares, read once (the ids a stop page may name; the file's problems are reported by check_file)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data.get("id") if isinstance(data, dict) else None


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
