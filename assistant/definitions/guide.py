"""The guide "What do you need?": plain questions, one per page, whose routes end at one or two services or a stop page.

The routes are data (forms/guide/routes.yaml) and checked like a service file:
every answer leads to a question or a result, every question is reached from
the start, no route runs in a circle, and every result names services of the
folder (best first, with why) or says what to do instead (a stop).
"""
from pathlib import Path

import jsonschema

from .loader import _problem, _read

FILE = Path("guide") / "routes.yaml"
_TEXT = {"type": "string", "minLength": 1}
_SLUG = {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"}
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["start", "questions", "results"],
    "properties": {
        "start": _SLUG,
        "questions": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "text", "answers"],
            "properties": {"id": _SLUG, "text": _TEXT, "hint": _TEXT, "answers": {"type": "array", "minItems": 2, "items": {
                "type": "object", "additionalProperties": False, "required": ["label"],
                "oneOf": [{"required": ["next"]}, {"required": ["result"]}],
                "properties": {"label": _TEXT, "hint": _TEXT, "next": _SLUG, "result": _SLUG}}}}}},
        "results": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["id"],
            "oneOf": [{"required": ["services", "why"]}, {"required": ["stop"]}],
            "properties": {"id": _SLUG, "services": {"type": "array", "minItems": 1, "maxItems": 2, "items": _SLUG},
                           "why": _TEXT, "stop": {"type": "object", "additionalProperties": False, "required": ["text"],
                                                  "properties": {"text": _TEXT, "link": {"type": "string", "pattern": "^https://"},
                                                                 "link_label": _TEXT, "appointment": {"type": "boolean"}}}}}},
    },
}


class Guide:
    """The checked routes: questions and results by id."""

    def __init__(self, data, source):
        self.start = data["start"]
        self.questions = {q["id"]: q for q in data["questions"]}
        self.results = {r["id"]: r for r in data["results"]}
        self.source = str(source)


def _consistency(data, services):
    """What the schema cannot say, as (path, message)."""
    found = []
    questions = {q["id"]: i for i, q in enumerate(data["questions"])}
    results = {r["id"]: i for i, r in enumerate(data["results"])}
    if len(questions) != len(data["questions"]) or len(results) != len(data["results"]):
        found.append((("questions",), "an id is used twice"))
    if data["start"] not in questions:
        found.append((("start",), f"'{data['start']}' is not a question"))
    for qi, q in enumerate(data["questions"]):
        for ai, answer in enumerate(q["answers"]):
            target = answer.get("next") or answer.get("result")
            if target not in (questions if "next" in answer else results):
                kind = "question" if "next" in answer else "result"
                found.append((("questions", qi, "answers", ai, "next" if "next" in answer else "result"), f"'{target}' is not a {kind}"))
    for ri, result in enumerate(data["results"]):
        for si, service_id in enumerate(result.get("services", [])):
            if services is not None and service_id not in services:
                found.append((("results", ri, "services", si), f"'{service_id}' is not a service of this folder"))
    if found:
        return found
    # Every question reached from the start, and no route in a circle (a depth-first walk that finds a way back).
    reached, state = set(), {}

    def visit(qid):
        state[qid] = "open"
        reached.add(qid)
        for ai, answer in enumerate(data["questions"][questions[qid]]["answers"]):
            nxt = answer.get("next")
            if nxt is None:
                reached.add(("result", answer["result"]))
            elif state.get(nxt) == "open":
                found.append((("questions", questions[qid], "answers", ai, "next"), f"the route from '{nxt}' comes back to it"))
            elif nxt not in state:
                visit(nxt)
        state[qid] = "done"

    visit(data["start"])
    for qid, qi in questions.items():
        if qid not in reached:
            found.append((("questions", qi, "id"), f"no route leads to question '{qid}'"))
    for rid, ri in results.items():
        if ("result", rid) not in reached:
            found.append((("results", ri, "id"), f"no route leads to result '{rid}'"))
    return found


def check(folder, services=None):
    """(Guide or None, problems) of the folder's guide; a folder without one has no guide and no problem."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None, []
    root, data, problems = _read(path)
    if data is None:
        return None, problems
    errors = [jsonschema.exceptions.best_match([e]) for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]
    found = [(e.absolute_path, e.message) for e in errors] or _consistency(data, services)
    problems += [_problem(path, root, data, p, m) for p, m in found]
    return (None if problems else Guide(data, path)), problems

