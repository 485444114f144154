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
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .model import matches

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


def age(birth, today):
    """Full years between a (possibly partial, ISO) birth date and today; a partial date counts from its first day."""
    parts = [int(p) for p in str(birth).split("-")] + [1, 1]
    born = date(parts[0], parts[1], parts[2])
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def holds(condition, values, today):
    """Whether the answers satisfy a fee condition; an age rule on an unanswered date never holds."""
    plain = {k: v for k, v in (condition or {}).items() if not isinstance(v, dict)}
    if not matches(plain, values):
        return False
    for key, rule in (condition or {}).items():
        if isinstance(rule, dict):
            if values.get(key) is None:
                return False
            years = age(values[key], today)
            if years < rule.get("age_at_least", 0) or ("age_below" in rule and years >= rule["age_below"]):
                return False
    return True


def compute(fee, values, today):
    """The lines that apply and the amount to pay, as Decimal; raises Undefined if no base line applies."""
    base = next((line for line in lines_of(fee) if holds(line.get("when"), values, today)), None)
    if base is None:
        raise Undefined
    amount = Decimal(base["amount"])
    applied = [Line(base["label"], base["basis"], amount)]
    for rule in fee.get("adjustments", []):
        if not holds(rule["when"], values, today):
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


def answer_space(fee, questions, today):
    """Every combination of answers the table can tell apart: for each key it names, each value it names, one it does not,
    no answer, and for ages each side of each threshold. Yields dicts of canonical answers.

    Only `minus` can take an amount below zero (every other adjustment keeps it at or above zero), so without one
    the keys of the base lines alone decide whether the fee is defined, and only they are walked."""
    axes = {}
    rules = [line.get("when") or {} for line in lines_of(fee)]
    if any("minus" in rule for rule in fee.get("adjustments", [])):
        rules += [rule["when"] for rule in fee.get("adjustments", [])]
    for condition in rules:
        for key, wanted in condition.items():
            axis = axes.setdefault(key, {None})
            if isinstance(wanted, dict):
                for years in wanted.values():
                    for y in (years - 1, years):
                        axis.add(date(today.year - y, today.month, min(today.day, 28)).isoformat())
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


def problems(fee, questions, today=date(2026, 6, 15)):
    """What is wrong with a fee table, as (path, message): names that are no question, values no answer can take,
    and every kind of answers for which the fee is negative or undefined (the first of each is named)."""
    found = []
    rules = [(("fee", "lines", i), line.get("when")) for i, line in enumerate(lines_of(fee)) if "lines" in fee]
    rules += [(("fee", "adjustments", i), rule["when"]) for i, rule in enumerate(fee.get("adjustments", []))]
    for path, condition in rules:
        for key, wanted in (condition or {}).items():
            q = questions.get(key)
            if q is None:
                found.append(((*path, "when", key), f"'{key}' is not a question of this service"))
            elif isinstance(wanted, dict) and q.type != "date":
                found.append(((*path, "when", key), f"an age needs a date question; '{key}' is a {q.type} question"))
            elif not isinstance(wanted, dict) and q.type in ("choice", "yesno"):
                allowed = {c["value"] for c in q.choices} if q.type == "choice" else {True, False}
                for value in wanted if isinstance(wanted, list) else [wanted]:
                    if value not in allowed:
                        found.append(((*path, "when", key), f"{value!r} is not an answer of '{key}'"))
    if found:
        return found
    cases = answer_space(fee, questions, today)
    first = {}
    for n, values in enumerate(cases):
        if n >= MAX_CASES:
            return [(("fee",), f"the fee table tells more than {MAX_CASES} kinds of answers apart; make it simpler")]
        try:
            _lines, amount = compute(fee, values, today)
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
