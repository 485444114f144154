"""The README keeps up with the code (every ASSISTANT_* variable the package reads, every `flask` command of the app),
and the tests keep their own rules (fixtures from conftest only, browser tests wait on conditions)."""
import re
from pathlib import Path

import click

from tests.conftest import ROOT

README = ROOT / "README.md"


def readme_section(title):
    """The text of the README's `## title` section, up to the next section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README.read_text(encoding="utf-8"), re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def environment_variables():
    """Every ASSISTANT_* name written anywhere in assistant/ (code, schemas, templates), as grep would find it."""
    names = set()
    for path in (ROOT / "assistant").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_bytes().decode("utf-8", errors="replace")
            names |= {name.rstrip("_") for name in re.findall(r"\bASSISTANT_[A-Z0-9_]+", text)}
    return names


def command_paths(group, ctx, prefix=()):
    """'group command' for every command under a click group, walking nested groups."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = (*prefix, name)
        if isinstance(command, click.Group) and command.list_commands(ctx):
            yield from command_paths(command, click.Context(command, parent=ctx, info_name=name), path)
        else:
            yield " ".join(path)


def test_every_environment_variable_read_in_the_package_is_in_the_readme_configuration():
    names = environment_variables()
    assert {"ASSISTANT_ENV", "ASSISTANT_SECRET_KEY", "ASSISTANT_DATABASE"} <= names    # the search itself works
    configuration = readme_section("Configuration")
    assert sorted(n for n in names if not re.search(rf"`{n}`", configuration)) == []


def test_every_command_of_the_app_is_in_the_readme_commands(app):
    paths = list(command_paths(app.cli, click.Context(app.cli, info_name="flask")))
    assert {"db migrate", "forms check", "users create"} <= set(paths)                   # the walk itself works
    lines = readme_section("Commands").splitlines()
    documented = [p for p in paths if any(re.search(rf"\bflask(?: --app \S+)? {re.escape(p)}(?=\s|$)", line) for line in lines)]
    assert sorted(set(paths) - set(documented)) == []


def lines_matching(pattern, *folders):
    """'file:line' of every line of the Python files in `folders` (this file aside) that matches `pattern`."""
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.resolve() != Path(__file__).resolve():
                found += [f"{path.relative_to(ROOT)}:{number}" for number, line in
                          enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if re.search(pattern, line)]
    return found


def test_fixtures_and_helpers_come_from_conftest_never_from_another_test_file():
    assert lines_matching(r"^\s*(from|import)\s+tests\.test_", "tests", "bench") == []


def test_browser_tests_wait_on_conditions_not_on_fixed_sleeps():
    assert lines_matching(r"\bwait_for_timeout\(", "tests", "bench") == []
