"""Conditions of a service file: when a step, question or document applies (`show_if`) and when a fee rule does (`when`).

One language for both, so that what is asked and what is charged can never
disagree. A condition is a mapping whose every entry must hold:

- ``{question: value}`` or ``{question: [value, ...]}``: the answer is that value, or one of them;
- ``{question: {at_least|at_most|above|below: N}}``: a number or an amount; N may name a dated table;
- ``{question: {age_below|age_at_least: N}}``: the age on the day of application, from a date of birth;
- ``{question: {before|after|not_before|not_after: REF}}``: a date against ``today``, ``today+90d``,
  ``today-6m``, ``today+1y`` or another date question;
- ``{question: {answered: true|false}}``;
- ``{repeat_step: {any: condition}}``: at least one item of a repeat step satisfies the condition;
- ``{not: condition}``, ``{any: [condition, ...]}``, ``{all: [condition, ...]}``.

A comparison on an unanswered question never holds. A partial date holds a
date comparison only when every day it can mean does.
"""
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ..questions import dates

LOGIC = ("not", "any", "all")
NUMBER_RULES = ("at_least", "at_most", "above", "below")
AGE_RULES = ("age_below", "age_at_least")
DATE_RULES = ("before", "after", "not_before", "not_after")
RELATIVE = re.compile(r"^today(?:([+-])([0-9]+)([dmy]))?$")


def shift(today, ref):
    """The date `today`, `today+90d`, `today-6m` or `today+1y` means; None if `ref` is no such expression."""
    found = RELATIVE.match(ref)
    if not found:
        return None
    sign, count, unit = found.groups()
    if sign is None:
        return today
    n = int(count) * (1 if sign == "+" else -1)
    if unit == "d":
        return today + timedelta(days=n)
    months = today.year * 12 + today.month - 1 + (n if unit == "m" else 12 * n)
    year, month = divmod(months, 12)
    for day in range(today.day, 27, -1):  # the 31st of a shorter month is its last day
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    return date(year, month + 1, min(today.day, 28))


def table_value(tables, name, today):
    """The value of a dated table in force on this day (the last entry that has begun), or None."""
    entries = [e for e in (tables or {}).get(name, []) if e["from"] <= today.isoformat()]
    return Decimal(max(entries, key=lambda e: e["from"])["value"]) if entries else None


def age(birth, today):
    """Full years between a (possibly partial, ISO) birth date and today; a partial date counts from its first day."""
    parts = [int(p) for p in str(birth).split("-")] + [1, 1]
    born = date(parts[0], parts[1], parts[2])
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _number(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _rule_holds(rule, answer, values, today, tables):
    """Whether one answer satisfies a rule given as a mapping (comparison, age, date, answered or a repeat's `any`)."""
    for op, arg in rule.items():
        if op == "answered":
            if (answer not in (None, "", [])) != arg:
                return False
            continue
        if answer in (None, ""):
            return False
        if op == "any":
            if not any(holds(arg, values | item, today, tables) for item in answer):
                return False
        elif op in NUMBER_RULES:
            mine, bound = _number(answer), table_value(tables, arg, today) if isinstance(arg, str) else Decimal(str(arg))
            if mine is None or bound is None or not {"at_least": mine >= bound, "at_most": mine <= bound,
                                                      "above": mine > bound, "below": mine < bound}[op]:
                return False
        elif op in AGE_RULES:
            years = age(answer, today)
            if (op == "age_below" and years >= arg) or (op == "age_at_least" and years < arg):
                return False
        elif op in DATE_RULES:
            ref = shift(today, arg)
            if ref is None:
                other = values.get(arg)
                if other in (None, ""):
                    return False
                ref_first, ref_last = dates.bounds(other)
            else:
                ref_first = ref_last = ref
            first, last = dates.bounds(answer)
            if not {"before": last < ref_first, "after": first > ref_last,
                    "not_before": first >= ref_last, "not_after": last <= ref_first}[op]:
                return False
    return True


def holds(condition, values, today, tables=None):
    """Whether canonical answers satisfy a condition (no condition always holds).

    `values` maps question ids to canonical answers and each repeat step's id to the list of its items' answers."""
    for key, wanted in (condition or {}).items():
        if key == "not":
            ok = not holds(wanted, values, today, tables)
        elif key == "any":
            ok = any(holds(c, values, today, tables) for c in wanted)
        elif key == "all":
            ok = all(holds(c, values, today, tables) for c in wanted)
        elif isinstance(wanted, dict):
            ok = _rule_holds(wanted, values.get(key), values, today, tables)
        else:
            ok = values.get(key) in (wanted if isinstance(wanted, list) else [wanted])
        if not ok:
            return False
    return True


def leaves(condition):
    """Every (question id, rule) a condition tests, through not/any/all (a repeat's inner condition is not entered)."""
    for key, wanted in (condition or {}).items():
        if key == "not":
            yield from leaves(wanted)
        elif key in ("any", "all"):
            for c in wanted:
                yield from leaves(c)
        else:
            yield key, wanted


def problems(condition, path, known, tables, items=None, scope="an earlier step"):
    """What is wrong in a condition, as (path, message).

    `known` maps the ids it may name (questions of earlier steps, earlier repeat steps) to their definitions
    (a repeat step as {"type": "repeat", "questions": {...}}); `items` adds the item questions a per-item condition may name;
    `scope` says in messages where a named question must be."""
    found = []
    names = dict(known) | (items or {})
    for key, wanted in (condition or {}).items():
        where = (*path, key)
        if key == "not":
            found += problems(wanted, where, known, tables, items, scope)
            continue
        if key in ("any", "all"):
            for i, c in enumerate(wanted):
                found += problems(c, (*where, i), known, tables, items, scope)
            continue
        q = names.get(key)
        if q is None:
            found.append((where, f"'{key}' is not a question of {scope}"))
            continue
        kind = q["type"]
        if not isinstance(wanted, dict):
            if kind == "repeat":
                found.append((where, f"'{key}' is a repeat step: test its items with {{any: ...}}"))
            allowed = ({c["value"] for c in q.get("choices", [])} if kind == "choice" else
                       {True, False} if kind == "yesno" else None)
            for value in wanted if isinstance(wanted, list) else [wanted]:
                if allowed is not None and value not in allowed:
                    found.append((where, f"{value!r} is not an answer of '{key}'"))
            continue
        for op, arg in wanted.items():
            fits = {"answered": kind != "repeat", "any": kind == "repeat", "at_least": kind in ("number", "money"),
                    "age_below": kind == "date", "before": kind == "date"}
            family = op if op in ("answered", "any") else "at_least" if op in NUMBER_RULES else (
                "age_below" if op in AGE_RULES else "before")
            if not fits[family]:
                found.append(((*where, op), f"'{op}' does not fit '{key}', a {kind} question"))
            elif op == "any":
                found += problems(arg, (*where, op), known, tables, q["questions"], scope)
            elif op in NUMBER_RULES and isinstance(arg, str) and arg not in (tables or {}):
                found.append(((*where, op), f"'{arg}' is not a table of this service"))
            elif op in DATE_RULES and not RELATIVE.match(arg) and (names.get(arg, {}).get("type") != "date" or arg == key):
                found.append(((*where, op), f"'{arg}' is not today or another earlier date question"))
    return found
