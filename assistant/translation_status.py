"""How far each language is: its catalog's entries, those a reviewer marked, and how many follow the glossary.

An entry is reviewed when its translator comment says so (`# reviewed: NAME YYYY-MM-DD` above it in the .po file;
`make extract` keeps such comments). The glossary (locales/glossary.yaml) names the office's terms, their German
official term and each language's rendering; docs/translating.md explains both. `flask i18n status` prints it.
"""
import re
from pathlib import Path

import click
import yaml
from babel.messages.pofile import read_po
from flask import current_app
from flask.cli import AppGroup

from .i18n import LANGUAGES

REVIEWED = re.compile(r"^reviewed:\s*(?P<who>.+?)\s+(?P<when>\d{4}-\d{2}-\d{2})\s*$")


def _folder():
    return Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])


def _glossary_file():
    return yaml.safe_load((_folder() / "glossary.yaml").read_text(encoding="utf-8"))


def glossary():
    """The terms of locales/glossary.yaml."""
    return _glossary_file()["terms"]


def same_as_source(lang):
    """The texts a language's catalog may leave as the source has them (codes, German names, same words)."""
    kept = _glossary_file()["same_as_source"]
    return set(kept["all"]) | set(kept.get(lang, []))


def catalog(lang):
    """A language's catalog."""
    with open(_folder() / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def texts(message):
    """(source, translation) of an entry, one pair per plural form."""
    if isinstance(message.id, tuple):
        return [(message.id[min(i, 1)], text) for i, text in enumerate(message.string)]
    return [(message.id, message.string)]


def titles():
    """The texts that are titles: of services, of their steps and of the documents they ask for. The glossary's
    `keep_german: titles` keeps the German term in them, as people find it on the office's paper."""
    found = set()
    for service in current_app.extensions["services"].values():
        found |= {service.title, *(step.title for step in service.steps),
                  *(doc["label"] for doc in service.documents if doc.get("label"))}
    return found


def glossary_problems(lang, messages=None, terms=None, titled=None):
    """Entries of a language that name a term without its rendering (or the German term), titles without the German
    term where the language keeps it on titles, and banned renderings."""
    problems = []
    titled = titles() if titled is None else titled
    for term in terms or glossary():
        rule = term["languages"].get(lang, {})
        german = [term["german"], *term.get("german_forms", [])]
        accepted = [*german, *rule.get("use", []), *(term["english"] if lang == "en" else [])]   # English: the source
        for message in messages or catalog(lang):
            for source, text in texts(message) if message.id else []:
                if any(phrase in source.lower() for phrase in term["english"]):
                    if not any(form.lower() in text.lower() for form in accepted):
                        problems.append(f"{term['id']}: {source!r} -> {text!r}")
                    elif source in titled and rule.get("keep_german") in ("titles", "always") and \
                            not any(form.lower() in text.lower() for form in german):
                        problems.append(f"{term['id']}: a title without the German term: {source!r} -> {text!r}")
                problems += [f"{term['id']}: banned {banned!r} in {text!r}" for banned in rule.get("banned", [])
                             if banned.lower() in text.lower()]
    return problems


def status(lang):
    """One language's figures: entries, reviewed entries, reviewers, entries naming a term, problems, state."""
    messages = [m for m in catalog(lang) if m.id]
    marks = [REVIEWED.match(c.strip()) for m in messages for c in m.user_comments]
    marks = [m for m in marks if m]
    terms = glossary()
    naming = sum(any(any(p in source.lower() for p in t["english"]) for t in terms)
                 for m in messages for source, _text in texts(m)[:1])
    return {"language": lang, "entries": len(messages), "reviewed": len(marks),
            "reviewers": sorted({m["who"] for m in marks}), "last": max((m["when"] for m in marks), default=None),
            "terms": naming, "problems": len(glossary_problems(lang, messages, terms)), "state": LANGUAGES[lang]}


i18n_cli = AppGroup("i18n", help="The state of the translations.")


@i18n_cli.command("status")
def status_command():
    """Per language: entries, reviewed entries (by whom, last when), glossary compliance, draft or reviewed."""
    click.echo(f"{'language':<9}{'entries':>8}{'reviewed':>10}{'naming a term':>15}{'follow the glossary':>21}  state")
    for lang in LANGUAGES:
        row = status(lang)
        follow = f"{row['terms'] - min(row['problems'], row['terms'])}/{row['terms']}"
        who = f" ({', '.join(row['reviewers'])}, last {row['last']})" if row["reviewers"] else ""
        click.echo(f"{lang:<9}{row['entries']:>8}{row['reviewed']:>10}{row['terms']:>15}{follow:>21}  "
                   f"{row['state']}{who}")
