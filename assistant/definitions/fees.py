"""A service's fee computed from the answers: a base line, then adjustments, each with its legal basis.

The first line whose `when` matches the answers is the base (e.g. § 45 Nr. 2 b
AufenthV: 93 €); then every adjustment that matches applies in order (half for
minors, § 50 AufenthV; exempt, § 52 or § 53 AufenthV), until one marked
`final`. A date question in `when` speaks of the age on the day of
application. `problems` walks the whole answer space the table can tell apart,
so a service whose fee could come out negative, or undefined because no line
applies, never loads.
"""
import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from . import conditions
from .conditions import holds

CENT = Decimal("0.01")
MAX_CASES = 50_000   # answer combinations `problems` walks at most; a table that needs more is refused as too complex
PAYMENT_MODES = ("before", "after", "optional")


class Undefined(Exception):
    """No base line applies to these answers."""


@dataclass
class Line:
    """One line of a computed fee: what applies, its legal basis, and the amount after it."""
    label: str
    basis: str
    amount: Decimal
    kind: str = "base"    # base, exempt, set, factor, at_most, minus


def lines_of(fee):
    """The rule lines of a fee; a fee of one amount is one unconditional line."""
    if "lines" in fee:
        return fee["lines"]
    return [{"label": "Fee", "basis": fee["legal_basis"], "amount": fee["amount"]}]


def payment_mode(fee):
    """When the fee is paid: before submit, after (invoiced by the office), or optional online."""
    return fee.get("payment", "after")


def compute(fee, values, today, tables=None):
    """The lines that apply and the amount to pay, as Decimal; raises Undefined if no base line applies.

    After the base line, each item of a repeat step adds the first `each` line whose `when` holds for it
    (a child who applies with a parent); the adjustments then apply to the sum. No fee at all costs nothing."""
    if not fee:
        return [], Decimal(0)
    base = next((line for line in lines_of(fee) if holds(line.get("when"), values, today, tables)), None)
    if base is None:
        raise Undefined
    amount = Decimal(base["amount"])
    applied = [Line(base["label"], base["basis"], amount)]
    for step_id in dict.fromkeys(e["for_each"] for e in fee.get("each", [])):
        entries = [e for e in fee["each"] if e["for_each"] == step_id]
        for item in values.get(step_id) or []:
            line = next((e for e in entries if holds(e.get("when"), values | item, today, tables)), None)
            if line is not None:
                amount += Decimal(line["amount"])
                applied.append(Line(line["label"], line["basis"], amount, "each"))
    for rule in fee.get("adjustments", []):
        if not holds(rule["when"], values, today, tables):
            continue
        if rule.get("exempt"):
            amount, kind = Decimal(0), "exempt"
        elif "set" in rule:
            amount, kind = Decimal(rule["set"]), "set"
        elif "factor" in rule:
            amount, kind = amount * Decimal(rule["factor"]), "factor"
        elif "at_most" in rule:
            amount, kind = min(amount, Decimal(rule["at_most"])), "at_most"
        else:
            amount, kind = amount - Decimal(rule["minus"]), "minus"
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        applied.append(Line(rule["label"], rule["basis"], amount, kind))
        if rule.get("exempt") or rule.get("final"):
            break
    return applied, amount


def answer_space(fee, questions, today, tables=None):
    """Every combination of answers the table can tell apart: for each key it names, each value it names, one it does not,
    no answer, and for ages each side of each threshold. Yields dicts of canonical answers.

    Only `minus` can take an amount below zero (every other adjustment keeps it at or above zero), so without one
    the keys of the base lines alone decide whether the fee is defined, and only they are walked."""
    axes = {}
    rules = [line.get("when") or {} for line in lines_of(fee)]
    if any("minus" in rule for rule in fee.get("adjustments", [])):
        rules += [rule["when"] for rule in fee.get("adjustments", [])]
    for condition in rules:
        for key, wanted in conditions.leaves(condition):
            axis = axes.setdefault(key, {None})
            if isinstance(wanted, dict):
                axis.update(_edges(wanted, today, tables))
            else:
                axis.update(wanted if isinstance(wanted, list) else [wanted])
    for key, axis in axes.items():
        q = questions.get(key)
        if q is not None and q.type == "choice":
            axis.update([c["value"] for c in q.choices if c["value"] not in axis][:1])  # one unnamed answer stands for all
        elif q is not None and q.type == "yesno":
            axis.update((True, False))
        elif not any(isinstance(v, str) and v[:4].isdigit() and "-" in v for v in axis):
            axis.add("\x00another answer")
    keys = sorted(axes)
    for combination in itertools.product(*(sorted(axes[k], key=repr) for k in keys)):
        yield dict(zip(keys, combination))


def _edges(rule, today, tables):
    """Answers on each side of every bound a comparison names: ages, dates, numbers."""
    found = set()
    for op, arg in rule.items():
        if op in conditions.AGE_RULES:
            found.update(date(today.year - y, today.month, min(today.day, 28)).isoformat() for y in (arg - 1, arg))
        elif op in conditions.DATE_RULES and conditions.shift(today, arg):
            ref = conditions.shift(today, arg)
            found.update(d.isoformat() for d in (ref - timedelta(days=1), ref, ref + timedelta(days=1)))
        elif op in conditions.NUMBER_RULES:
            bound = conditions.table_value(tables, arg, today) if isinstance(arg, str) else Decimal(str(arg))
            found.update(str(bound + d) for d in (Decimal("-0.01"), 0, Decimal("0.01")) if bound is not None)
        elif op == "answered":
            found.add("\x00another answer")
    return found


def problems(fee, questions, today=date(2026, 6, 15), tables=None):
    """What is wrong with a fee table, as (path, message): names that are no question, values no answer can take,
    and every kind of answers for which the fee is negative or undefined (the first of each is named)."""
    if not fee:
        return []
    known = {k: {"type": q.type, "choices": q.choices, "questions": getattr(q, "questions", {})} for k, q in questions.items()}
    rules = [(("fee", "lines", i), line.get("when")) for i, line in enumerate(lines_of(fee)) if "lines" in fee]
    rules += [(("fee", "adjustments", i), rule["when"]) for i, rule in enumerate(fee.get("adjustments", []))]
    found = [problem for path, condition in rules for problem in conditions.problems(condition, (*path, "when"), known, tables,
                                                                                              scope="this service")]
    for i, entry in enumerate(fee.get("each", [])):
        step = known.get(entry["for_each"])
        if step is None or step["type"] != "repeat":
            found.append((("fee", "each", i, "for_each"), f"'{entry['for_each']}' is not a repeat step of this service"))
        else:
            found += conditions.problems(entry.get("when"), ("fee", "each", i, "when"), known, tables, step["questions"],
                                         "this service")
    if found:
        return found
    cases = answer_space(fee, questions, today, tables)
    first = {}
    for n, values in enumerate(cases):
        if n >= MAX_CASES:
            return [(("fee",), f"the fee table tells more than {MAX_CASES} kinds of answers apart; make it simpler")]
        try:
            _lines, amount = compute(fee, values, today, tables)
        except Undefined:
            first.setdefault("undefined", values)
            continue
        if amount < 0:
            first.setdefault("negative", (values, amount))
    if "undefined" in first:
        found.append((("fee", "lines"), f"no line applies when the answers are {_shown(first['undefined'])}: add a line without 'when'"))
    if "negative" in first:
        values, amount = first["negative"]
        found.append((("fee", "adjustments"), f"the fee comes out negative ({amount}) when the answers are {_shown(values)}"))
    return found


def _shown(values):
    """Answers for a message: unanswered and other answers in words."""
    words = {None: "not answered", "\x00another answer": "another answer"}
    return ", ".join(f"{k}={words.get(v, v) if not isinstance(v, bool) else v}" for k, v in values.items()) or "any"
