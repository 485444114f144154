"""Services as data: loading forms/*.yaml, every broken file named precisely, the CLI check, the Babel extractor,
and a service added by a municipality as a YAML file alone, walked through the real app."""
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po
from click.testing import CliRunner

from assistant import create_app
from assistant.db import connect
from assistant.definitions import SCHEMA, ServiceError, load_services
from assistant.definitions.cli import forms_cli, untranslated
from assistant.i18n import extract_yaml
from assistant.questions import TYPES
from tests.conftest import answer_step, register, soup, start

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "forms"
REAL_IDS = ["blocked-account-release", "blue-card", "declaration-of-commitment", "employment-permit", "family-reunification",
            "fiktionsbescheinigung", "general-enquiry", "new-card", "residence-permit-extension", "settlement-permit",
            "toleration-renewal", "work-permission"]   # the ten core services, the declaration and the general enquiry
TYPE_ENUM = SCHEMA["$defs"]["question"]["properties"]["type"]["enum"]


@pytest.fixture(scope="module")
def real_services():
    return load_services(FORMS)


def test_both_real_services_load_with_their_ids(real_services):
    assert list(real_services) == REAL_IDS                # in file-name order
    for service_id, service in real_services.items():
        assert Path(service.source) == FORMS / f"{service_id}.yaml"
        assert service.steps and all(step.questions or step.stop for step in service.steps)
        assert set(service.questions) == {q.id for s in service.steps for q in s.questions}
        assert {q.type for q in service.questions.values()} <= {*TYPES, "notice"}


def test_every_question_type_has_a_template_and_a_schema_entry_and_vice_versa():
    folder = ROOT / "templates" / "fields"
    templates = {p.name[1:-len(".html")] for p in folder.glob("_*.html")}
    assert {t for t in TYPES if t not in templates} == set()
    assert sorted(TYPE_ENUM) == sorted([*TYPES, "notice"])    # a notice is advice, not a question with a field
    assert len(TYPE_ENUM) == len(set(TYPE_ENUM))
    # Every other field template is a building block that some template includes by name.
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "templates").rglob("*.html"))
    unused = {t for t in templates - set(TYPES) if f'"fields/_{t}.html"' not in sources}
    assert unused == set()


def test_docs_list_every_question_type():
    docs = (ROOT / "docs" / "services.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in docs.splitlines() if line.startswith("| `")}
    documented = {t.strip().strip("`") for row in rows for t in row.split(",")}
    assert set(TYPES) <= documented


# --- broken service files --------------------------------------------------------------------------------

def valid_service():
    """A small valid service; each broken case changes one thing in a fresh copy."""
    return {
        "id": "parking-permit", "version": 1, "title": "Resident parking permit", "summary": "Park near your home.",
        "audience": "People who live in the zone.", "fee": {"amount": "30.00", "legal_basis": "§ 45 StVO"},
        "steps": [
            {"id": "you", "title": "About you", "questions": [
                {"id": "note", "type": "text", "label": "Anything else?"},
                {"id": "kind", "type": "choice", "label": "What do you park?",
                 "choices": [{"value": "car", "label": "A car"}, {"value": "bike", "label": "A motorbike"}]},
                {"id": "birth_date", "type": "date", "label": "When were you born?", "partial": True},
                {"id": "insured", "type": "yesno", "label": "Is the vehicle insured?"},
            ]},
            {"id": "vehicle", "title": "Your vehicle", "questions": [
                {"id": "plate", "type": "text", "label": "Number plate?"},
                {"id": "licensed", "type": "date", "label": "Since when do you have a licence?",
                 "checks": [{"after": "birth_date"}]},
            ]},
        ],
    }


def step_q(data, step, index):
    return data["steps"][step]["questions"][index]


def write(folder, data, name="parking.yaml"):
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


BROKEN = [
    # id, change, path inside the file, what is wrong
    ("missing-steps", lambda d: d.pop("steps"), "(top)", "'steps' is a required property"),
    ("no-steps", lambda d: d.update(steps=[]), "steps", "[] should be non-empty"),
    ("bad-service-id", lambda d: d.update(id="Parking Permit"), "id",
     "'Parking Permit' does not match '^[a-z][a-z0-9_-]*$'"),
    ("fee-without-cents", lambda d: d["fee"].update(amount="30"), "fee/amount", "'30' does not match '^[0-9]+\\\\.[0-9]{2}$'"),
    ("unknown-type", lambda d: step_q(d, 0, 0).update(type="dropdown"), "steps/0/questions/0/type",
     f"'dropdown' is not one of {TYPE_ENUM!r}"),
    ("missing-label", lambda d: step_q(d, 0, 0).pop("label"), "steps/0/questions/0", "'label' is a required property"),
    ("unknown-key", lambda d: step_q(d, 0, 0).update(placeholder="x"), "steps/0/questions/0",
     "Additional properties are not allowed ('placeholder' was unexpected)"),
    ("choice-without-choices", lambda d: step_q(d, 0, 1).pop("choices"), "steps/0/questions/1",
     "only and every question of type 'choice' has 'choices'"),
    ("choices-on-text", lambda d: step_q(d, 0, 0).update(choices=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]),
     "steps/0/questions/0/choices", "only and every question of type 'choice' has 'choices'"),
    ("one-choice", lambda d: step_q(d, 0, 1)["choices"].pop(), "steps/0/questions/1/choices",
     "[{'value': 'car', 'label': 'A car'}] is too short"),
    ("duplicate-question-id", lambda d: step_q(d, 1, 0).update(id="kind"), "steps/1/questions/0/id",
     "question id 'kind' is used twice"),
    ("duplicate-step-id", lambda d: d["steps"][1].update(id="you"), "steps/1/id", "step id 'you' is used twice"),
    ("show-if-same-step", lambda d: step_q(d, 0, 2).update(show_if={"kind": "car"}), "steps/0/questions/2/show_if/kind",
     "'kind' is not a question of an earlier step"),
    ("show-if-later-question", lambda d: step_q(d, 0, 0).update(show_if={"plate": "x"}),
     "steps/0/questions/0/show_if/plate", "'plate' is not a question of an earlier step"),
    ("step-show-if-own-question", lambda d: d["steps"][1].update(show_if={"plate": "x"}), "steps/1/show_if/plate",
     "'plate' is not a question of an earlier step"),
    ("step-show-if-unknown", lambda d: d["steps"][1].update(show_if={"colour": "red"}), "steps/1/show_if/colour",
     "'colour' is not a question of an earlier step"),
    ("show-if-not-a-choice", lambda d: d["steps"][1].update(show_if={"kind": "boat"}), "steps/1/show_if/kind",
     "'boat' is not an answer of 'kind'"),
    ("show-if-list-with-a-wrong-value", lambda d: d["steps"][1].update(show_if={"kind": ["car", "boat"]}),
     "steps/1/show_if/kind", "'boat' is not an answer of 'kind'"),
    ("show-if-yes-instead-of-true", lambda d: d["steps"][1].update(show_if={"insured": "yes"}),
     "steps/1/show_if/insured", "'yes' is not an answer of 'insured'"),
    ("document-show-if-unknown", lambda d: d.update(documents=[{"id": "photo", "label": "A photo", "show_if": {"x": 1}}]),
     "documents/0/show_if/x", "'x' is not a question of this service"),
    ("date-check-on-text-question", lambda d: step_q(d, 1, 1).update(checks=[{"after": "note"}]),
     "steps/1/questions/1/checks/0/after", "'note' is not an earlier date question"),
    ("date-check-on-itself", lambda d: step_q(d, 1, 1).update(checks=[{"not_before": "licensed"}]),
     "steps/1/questions/1/checks/0/not_before", "'licensed' is not an earlier date question"),
    ("date-check-unknown", lambda d: step_q(d, 1, 1).update(checks=[{"before": "wedding"}]),
     "steps/1/questions/1/checks/0/before", "'wedding' is not an earlier date question"),
    ("check-unfit-for-type", lambda d: step_q(d, 1, 0).update(checks=[{"min": 3}]), "steps/1/questions/0/checks/0/min", "check 'min' does not fit type 'text'"),
    ("date-check-on-a-number", lambda d: step_q(d, 1, 0).update(type="number", checks=[{"before": "today"}]),
     "steps/1/questions/0/checks/0/before", "check 'before' does not fit type 'number'"),
    ("two-rules-in-one-check", lambda d: step_q(d, 1, 1).update(checks=[{"after": "birth_date", "before": "today"}]),
     "steps/1/questions/1/checks/0",
     ("{'after': 'birth_date', 'before': 'today'} is valid under each of {'required': ['before']}, "
      "{'required': ['after']}")),
    ("prefill-unfitting-type", lambda d: step_q(d, 0, 0).update(prefill="birth_date"), "steps/0/questions/0/prefill",
     "profile key 'birth_date' does not fit type 'text'"),
    ("partial-on-text", lambda d: step_q(d, 0, 0).update(partial=True), "steps/0/questions/0/partial",
     "'partial' is not allowed for type 'text'"),
    ("latin-on-date", lambda d: step_q(d, 0, 2).update(latin=True), "steps/0/questions/2/latin",
     "'latin' is not allowed for type 'date'"),
    ("bad-regex", lambda d: step_q(d, 1, 0).update(checks=[{"pattern": "[A-Z", "message": "Like B-AB 123."}]),
     "steps/1/questions/0/checks/0/pattern", "not a regular expression: unterminated character set at position 0"),
]


# Where each problem of BROKEN is shown to people: the line in the file `write` makes, and the ids around it.
LOCATED = {
    "missing-steps": (1, ""), "no-steps": (9, "steps"), "bad-service-id": (1, "id"), "fee-without-cents": (7, "fee/amount"),
    "unknown-type": (14, "step 'you', question 'note', type"), "missing-label": (13, "step 'you', question 'note'"),
    "unknown-key": (13, "step 'you', question 'note'"), "choice-without-choices": (16, "step 'you', question 'kind'"),
    "choices-on-text": (16, "step 'you', question 'note', choices"),
    "one-choice": (19, "step 'you', question 'kind', choices"),
    "duplicate-question-id": (34, "step 'vehicle', question 'kind', id"), "duplicate-step-id": (31, "step 'you', id"),
    "show-if-same-step": (29, "step 'you', question 'birth_date', show_if/kind"),
    "show-if-later-question": (17, "step 'you', question 'note', show_if/plate"),
    "step-show-if-own-question": (43, "step 'vehicle', show_if/plate"),
    "step-show-if-unknown": (43, "step 'vehicle', show_if/colour"),
    "show-if-not-a-choice": (43, "step 'vehicle', show_if/kind"),
    "show-if-list-with-a-wrong-value": (43, "step 'vehicle', show_if/kind"),
    "show-if-yes-instead-of-true": (43, "step 'vehicle', show_if/insured"),
    "document-show-if-unknown": (46, "document 'photo', show_if/x"),
    "date-check-on-text-question": (41, "step 'vehicle', question 'licensed', check 'after'"),
    "date-check-on-itself": (41, "step 'vehicle', question 'licensed', check 'not_before'"),
    "date-check-unknown": (41, "step 'vehicle', question 'licensed', check 'before'"),
    "check-unfit-for-type": (38, "step 'vehicle', question 'plate', check 'min'"),
    "date-check-on-a-number": (38, "step 'vehicle', question 'plate', check 'before'"),
    "two-rules-in-one-check": (41, "step 'vehicle', question 'licensed', check 'after'"),
    "prefill-unfitting-type": (16, "step 'you', question 'note', prefill"),
    "partial-on-text": (16, "step 'you', question 'note', partial"),
    "latin-on-date": (28, "step 'you', question 'birth_date', latin"),
    "bad-regex": (38, "step 'vehicle', question 'plate', check 'pattern'"),
}


@pytest.mark.parametrize("change,path,message,line,where",
                         [pytest.param(*row[1:], *LOCATED[row[0]], id=row[0]) for row in BROKEN])
def test_a_broken_file_names_file_line_ids_and_problem(tmp_path, change, path, message, line, where):
    data = valid_service()
    change(data)
    file = write(tmp_path, data)
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert [(p.path or "(top)", p.message) for p in exc.value.problems] == [(path, message)]  # this one, nothing else
    assert (exc.value.file, exc.value.line, exc.value.path or "(top)", exc.value.message) == (str(file), line, path, message)
    assert str(exc.value) == f"{file}:{line}: " + (f"{where}: " if where else "") + message


def test_the_valid_service_of_these_tables_loads(tmp_path):
    write(tmp_path, valid_service())
    services = load_services(tmp_path)
    assert list(services) == ["parking-permit"]
    assert [s.id for s in services["parking-permit"].steps] == ["you", "vehicle"]


def test_a_mistyped_choice_type_is_reported_at_the_type(tmp_path):
    data = valid_service()
    step_q(data, 0, 1).update(type="radio")
    write(tmp_path, data)
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert (exc.value.path, exc.value.message) == ("steps/0/questions/1/type", f"'radio' is not one of {TYPE_ENUM!r}")


@pytest.mark.parametrize("index,value", [(3, "yes"), (1, "boat"), (1, True)], ids=["yesno-string", "unknown-choice",
                                                                                   "choice-boolean"])
def test_an_equals_check_nobody_can_pass_is_refused(tmp_path, index, value):
    data = valid_service()
    step_q(data, 0, index)["checks"] = [{"equals": value, "message": "Confirm to go on."}]
    write(tmp_path, data)
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert exc.value.path == f"steps/0/questions/{index}/checks/0/equals"


@pytest.mark.parametrize("text,line", [
    ("id: [unclosed\ntitle: x\n", 2),
    ("id: parking\nsteps:\n  - id: one\n   title: bad indent\n", 4),
    ("id: parking\n\ttitle: tab\n", 2),
], ids=["flow", "indent", "tab"])
def test_invalid_yaml_syntax_names_the_file_and_line(tmp_path, text, line):
    file = write(tmp_path, text)
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert str(exc.value).startswith(f"{file}:{line}: not valid YAML: ")
    assert "\n" not in str(exc.value)  # one line per problem


@pytest.mark.parametrize("content,message", [
    ("", "None is not of type 'object'"),
    ("- a list\n", "['a list'] is not of type 'object'"),
], ids=["empty", "list"])
def test_a_file_that_is_not_a_mapping(tmp_path, content, message):
    file = write(tmp_path, content)
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert str(exc.value) == f"{file}:1: {message}"


def test_invalid_utf8_is_reported_as_invalid_yaml(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes("title: Gebühr\n".encode("latin-1"))
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert str(exc.value).startswith(f"{file}:1: not UTF-8: 'utf-8' codec can't decode byte 0xfc")


def test_two_files_with_the_same_service_id(tmp_path):
    first = write(tmp_path, valid_service(), "a-parking.yaml")
    second = write(tmp_path, valid_service(), "b-parking.yaml")
    with pytest.raises(ServiceError) as exc:
        load_services(tmp_path)
    assert str(exc.value) == f"{second}:1: id: service id 'parking-permit' is also used by {first}"


def test_only_yaml_files_are_services(tmp_path):
    write(tmp_path, valid_service())
    (tmp_path / "README.md").write_text("not a service")
    (tmp_path / "old.yaml.bak").write_text("id: [broken")
    assert list(load_services(tmp_path)) == ["parking-permit"]


@pytest.fixture
def broken_dir(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    data = valid_service()
    step_q(data, 0, 0)["type"] = "dropdown"
    write(folder, data)
    return folder


BROKEN_MESSAGE = f"14: step 'you', question 'note', type: 'dropdown' is not one of {TYPE_ENUM!r}"


def test_a_broken_file_stops_start_up(broken_dir, tmp_path):
    with pytest.raises(ServiceError) as exc:
        create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE": str(tmp_path / "db.sqlite"),
                    "FORMS_DIR": str(broken_dir)})
    assert str(exc.value) == f"{broken_dir / 'parking.yaml'}:{BROKEN_MESSAGE}"


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    """A real app for the CLI tests (they need no database)."""
    folder = tmp_path_factory.mktemp("cli")
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE": str(folder / "db.sqlite")})


def app_cli(app, *args):
    """Run a command as `flask --app wsgi` does: inside the app's context."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def no_app_env(monkeypatch, tmp_path):
    """An environment in which create_app fails (production without a secret key), with its own database path."""
    env = {"ASSISTANT_ENV": "production", "ASSISTANT_DATABASE": str(tmp_path / "none.sqlite"),
           "ASSISTANT_INSTANCE_PATH": str(tmp_path / "instance")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ASSISTANT_FORMS_DIR", raising=False)
    with pytest.raises(RuntimeError, match="ASSISTANT_SECRET_KEY must be set"):
        create_app()
    return env


def forms_check(*args):
    """Run `forms check` without any app, as Flask does with a plugin command."""
    return CliRunner().invoke(forms_cli, ["check", *map(str, args)])


def test_cli_forms_check_fails_on_a_broken_folder(cli_app, broken_dir):
    result = app_cli(cli_app, "forms", "check", str(broken_dir))
    assert result.exit_code == 1
    assert result.output == (f"{broken_dir / 'parking.yaml'}:{BROKEN_MESSAGE}\n"
                             f"Error: 1 problem(s) in the service files of {broken_dir}.\n")
    assert "services are valid" not in result.output


def test_the_app_serves_the_services_of_its_forms_folder(cli_app):
    assert list(cli_app.extensions["services"]) == REAL_IDS


def test_cli_forms_check_passes_the_real_folder(cli_app):
    result = app_cli(cli_app, "forms", "check", str(FORMS))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == f"{len(REAL_IDS)} services are valid."
    assert lines[-2].startswith("guide: ")
    assert [line.split(" ")[0] for line in lines[:-2]] == REAL_IDS  # and no warning: every text is translated
    assert lines[0].endswith("(blocked-account-release.yaml)")


def test_cli_forms_check_defaults_to_the_configured_folder(tmp_path):
    write(tmp_path, valid_service())
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE": str(tmp_path / "db.sqlite"),
                      "FORMS_DIR": str(tmp_path)})
    result = app_cli(app, "forms", "check")
    assert result.exit_code == 0
    assert result.stdout == "parking-permit v1: 2 steps, 6 questions (parking.yaml)\n1 services are valid.\n"


def test_cli_forms_check_needs_no_app_and_defaults_to_the_forms_folder_of_the_environment(no_app_env, monkeypatch,
                                                                                            tmp_path):
    assert forms_check().stdout.splitlines()[-1] == f"{len(REAL_IDS)} services are valid."  # the repository's forms/
    write(tmp_path, valid_service())
    monkeypatch.setenv("ASSISTANT_FORMS_DIR", str(tmp_path))
    result = forms_check()
    assert result.exit_code == 0
    assert result.stdout == "parking-permit v1: 2 steps, 6 questions (parking.yaml)\n1 services are valid.\n"


@pytest.fixture
def many_broken(tmp_path):
    """A folder where every file is broken in its own way, several at once; the expected report, line by line."""
    folder = tmp_path / "forms"
    folder.mkdir()
    write(folder, valid_service(), "a-valid.yaml")
    write(folder, "id: parking\ntitle: x\nsteps: [unclosed\nfee: 1\n", "b-syntax.yaml")
    (folder / "c-latin1.yaml").write_bytes("id: x\ntitle: Gebühr\n".encode("latin-1"))
    write(folder, "- a list\n", "d-list.yaml")
    schema = valid_service()   # three schema errors; consistency is checked once the schema holds
    schema["fee"]["amount"] = "30"
    step_q(schema, 0, 0)["type"] = "dropdown"
    schema["steps"][1] = "vehicle"
    write(folder, schema, "e-schema.yaml")
    consistency = valid_service()
    consistency["id"] = "other"
    step_q(consistency, 1, 0)["id"] = "kind"
    step_q(consistency, 1, 1)["checks"] = [{"after": "note"}]
    consistency["steps"][1]["show_if"] = {"colour": "red"}
    write(folder, consistency, "f-consistency.yaml")
    (folder / "g-folder.yaml").mkdir()
    write(folder, valid_service(), "h-same-id.yaml")
    f = {name: folder / name for name in ["b-syntax.yaml", "c-latin1.yaml", "d-list.yaml", "e-schema.yaml",
                                          "f-consistency.yaml", "g-folder.yaml", "h-same-id.yaml"]}
    report = [
        (f"{f['b-syntax.yaml']}:4: not valid YAML: expected ',' or ']', but got ':' at column 4 "
         "(while parsing a flow sequence from line 3)"),
        f"{f['c-latin1.yaml']}:2: not UTF-8: 'utf-8' codec can't decode byte 0xfc in position 16: invalid start byte",
        f"{f['d-list.yaml']}:1: ['a list'] is not of type 'object'",
        f"{f['e-schema.yaml']}:7: fee/amount: '30' does not match '^[0-9]+\\\\.[0-9]{{2}}$'",
        f"{f['e-schema.yaml']}:14: step 'you', question 'note', type: 'dropdown' is not one of {TYPE_ENUM!r}",
        f"{f['e-schema.yaml']}:31: step 2: 'vehicle' is not of type 'object'",
        f"{f['f-consistency.yaml']}:34: step 'vehicle', question 'kind', id: question id 'kind' is used twice",
        (f"{f['f-consistency.yaml']}:41: step 'vehicle', question 'licensed', check 'after': "
         "'note' is not an earlier date question"),
        f"{f['f-consistency.yaml']}:43: step 'vehicle', show_if/colour: 'colour' is not a question of an earlier step",
        f"{f['g-folder.yaml']}: cannot be read: Is a directory",
        f"{f['h-same-id.yaml']}:1: id: service id 'parking-permit' is also used by {folder / 'a-valid.yaml'}",
    ]
    return folder, report


def test_cli_forms_check_reports_every_problem_of_every_file_with_line_and_ids(no_app_env, many_broken):
    folder, report = many_broken
    result = forms_check(folder)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": warning: " not in line]
    assert errors == report + [f"Error: 11 problem(s) in the service files of {folder}."]
    assert "Traceback" not in result.output and "steps/" not in result.output


def test_start_up_names_every_problem_too(many_broken, tmp_path):
    folder, report = many_broken
    with pytest.raises(ServiceError) as exc:
        create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE": str(tmp_path / "db.sqlite"),
                    "FORMS_DIR": str(folder)})
    assert str(exc.value).splitlines() == report


def test_flask_forms_check_runs_where_the_app_cannot_start(no_app_env, many_broken):
    folder, report = many_broken
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "forms", "check", str(folder)],
                            cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line in report] == report


def test_an_untranslated_label_is_a_warning_with_file_and_line(no_app_env, tmp_path):
    text = (FORMS / "declaration-of-commitment.yaml").read_text(encoding="utf-8")
    label = next(line for line in text.splitlines() if line.strip().startswith("label:"))
    file = tmp_path / "declaration-of-commitment.yaml"
    file.write_text(text.replace(label, label.split(":")[0] + ": A label nobody translated yet", 1), encoding="utf-8")
    shutil.copytree(FORMS / "blocks", tmp_path / "blocks")   # the blocks the service uses
    line = text.splitlines().index(label) + 1
    result = forms_check(tmp_path)
    assert result.exit_code == 0   # a warning does not fail the check
    assert result.stderr == (f"{file}:{line}: warning: 'A label nobody translated yet' has no translation in "
                             "de, ar, fa, fa_AF, ps, tr, uk, ru, ro, fr, ku, ti, so, sq\n")
    assert result.stdout.splitlines()[-1] == "1 services are valid."


def test_a_missing_empty_or_fuzzy_translation_counts_as_untranslated(tmp_path):
    write(tmp_path, EXTRA, "parking.yaml")
    services = load_services(tmp_path)
    texts = [message for _, _, message, _ in extract(EXTRA)]
    locales = tmp_path / "locales"
    for code in ("de", "fr", "en"):
        (locales / code / "LC_MESSAGES").mkdir(parents=True)
    de = Catalog(locale="de")
    for text in texts:
        if text != "Your ID card":                                  # a missing translation
            de.add(text, "" if text == "What do you park?" else "übersetzt",  # an empty one
                   flags=["fuzzy"] if text == "Park near your home." else [])  # a fuzzy one is not used either
    with open(locales / "de" / "LC_MESSAGES" / "messages.po", "wb") as f:
        write_po(f, de)
    fr = Catalog(locale="fr")
    for text in texts:
        if text != "A car":
            fr.add(text, "traduit")
    with open(locales / "fr" / "LC_MESSAGES" / "messages.mo", "wb") as f:  # only the compiled catalog
        write_mo(f, fr)
    found = untranslated(services, locales)   # en has a folder but no catalog: English is the language of the ids
    assert [(p.line, p.message) for p in found] == [
        (4, "'Park near your home.' has no translation in de"), (17, "'Your ID card' has no translation in de"),
        (37, "'What do you park?' has no translation in de"), (40, "'A car' has no translation in fr")]
    assert all(p.warning and p.file == str(tmp_path / "parking.yaml") for p in found)


def test_a_file_changed_under_drafts_without_a_new_version_fails_the_check(make_app, db_path, tmp_path, monkeypatch):
    folder = tmp_path / "forms"
    folder.mkdir()
    file = write(folder, valid_service())
    client = make_app(FORMS_DIR=str(folder)).test_client()
    register(client)
    start(client, "parking-permit")   # a draft on version 1 as it is now
    monkeypatch.setenv("ASSISTANT_DATABASE", str(db_path))
    monkeypatch.setenv("ASSISTANT_FORMS_DIR", str(folder))
    assert forms_check().exit_code == 0

    changed = valid_service()
    step_q(changed, 0, 0)["label"] = "Anything else to tell us?"
    write(folder, changed)
    result = forms_check()
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if ": warning: " not in line] == [
        (f"{file}:2: version 1 of 'parking-permit' was changed although 1 draft(s) were started on its earlier text; "
         "raise 'version' when you change a service"),
        f"Error: 1 problem(s) in the service files of {folder}."]

    changed["version"] = 2
    write(folder, changed)
    assert forms_check().exit_code == 0


def test_a_database_that_is_not_migrated_is_skipped(tmp_path, monkeypatch):
    write(tmp_path, valid_service())
    connect(str(tmp_path / "empty.sqlite")).close()
    monkeypatch.setenv("ASSISTANT_DATABASE", str(tmp_path / "empty.sqlite"))
    result = forms_check(tmp_path)
    assert result.exit_code == 0
    assert "draft" not in result.output


# --- the Babel extractor for service files -----------------------------------------------------------------

SMALL = """\
id: parking-permit
version: 1
title: Resident parking permit
summary: Park near your home.
audience: People who live in the zone.
leika: "99000000000000"
prepare:
  - Your vehicle registration
  - Your ID card
fee:
  amount: "30.00"
  legal_basis: "§ 45 StVO"
  note: Half price for motorbikes.
documents:
  - id: registration
    label: Vehicle registration
    hint: Part I.
    show_if: {kind: car}
steps:
  - id: you
    title: About you
    intro: We need this to check the zone.
    questions:
      - id: kind
        type: choice
        label: What do you park?
        hint: Choose one.
        choices:
          - {value: car, label: A car}
          - {value: bike, label: A motorbike, hint: Up to 125 cc.}
        checks:
          - equals: car
            message: Only cars get a permit.
      - id: plate
        type: text
        label: |
          What is the
          number plate?
        autocomplete: off
        checks:
          - pattern: "[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}"
            message: Write it like B-AB 123.
"""

EXPECTED_MESSAGES = [
    (3, "Resident parking permit"),
    (4, "Park near your home."),
    (5, "People who live in the zone."),
    (8, "Your vehicle registration"),
    (9, "Your ID card"),
    (13, "Half price for motorbikes."),
    (16, "Vehicle registration"),
    (17, "Part I."),
    (21, "About you"),
    (22, "We need this to check the zone."),
    (26, "What do you park?"),
    (27, "Choose one."),
    (29, "A car"),
    (30, "A motorbike"),
    (30, "Up to 125 cc."),
    (33, "Only cars get a permit."),
    (36, "What is the\nnumber plate?\n"),
    (42, "Write it like B-AB 123."),
]


def extract(text):
    return list(extract_yaml(io.BytesIO(text.encode("utf-8")), ["_"], [], {}))


def test_extractor_yields_texts_with_their_lines_and_nothing_else():
    found = extract(SMALL)
    assert [(line, message) for line, _, message, _ in found] == EXPECTED_MESSAGES
    assert {(funcname, tuple(comments)) for _, funcname, _, comments in found} == {("gettext", ())}


def test_extractor_never_yields_ids_values_or_codes():
    messages = {message for _, _, message, _ in extract(SMALL)}
    for not_text in ["parking-permit", "kind", "car", "bike", "plate", "you", "registration", "30.00", "§ 45 StVO",
                     "99000000000000", "choice", "text", "off", "[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}"]:
        assert not_text not in messages


def test_extractor_of_an_empty_file():
    assert extract("") == []


def test_extractor_ignores_conditions_on_a_question_called_title():
    text = SMALL + """\
      - id: title
        type: choice
        label: Do you have an academic title?
        choices:
          - {value: doctor, label: Doctor}
          - {value: none, label: None}
  - id: doctor
    title: Your doctorate
    show_if: {title: doctor}
    questions:
      - id: university
        type: text
        label: Which university?
"""
    assert "doctor" not in {message for _, _, message, _ in extract(text)}


def test_extractor_finds_every_text_the_real_services_show(real_services):
    for service in real_services.values():
        found = {message for path in [Path(service.source), *(FORMS / "blocks").glob("*.yaml")]   # blocks are used in place
                 for _, _, message, _ in extract(path.read_text(encoding="utf-8"))}
        texts = {service.title, service.summary, service.audience, *service.prepare}
        for step in service.steps:
            texts |= {step.title, step.intro, (step.stop or {}).get("text"), (step.repeat or {}).get("item")} - {None}
            for q in step.questions:
                texts |= {q.label, q.hint} - {None}
                texts |= {c["label"] for c in q.choices} | {c["hint"] for c in q.choices if "hint" in c}
                texts |= {c["message"] for c in q.checks if "message" in c}
        texts |= {d["label"] for d in service.documents} | {d["hint"] for d in service.documents if "hint" in d}
        assert texts - found == set()
        assert set(service.questions) & found == set()


# --- a municipality adds a service without Python ------------------------------------------------------------

EXTRA = """\
id: parking-permit
version: 1
title: Resident parking permit
summary: Park near your home.
audience: People who live in the zone.
prepare:
  - Your vehicle registration
fee:
  amount: "30.00"
  legal_basis: "§ 45 StVO"
documents:
  - id: registration
    label: Vehicle registration
    required: true
    show_if: {kind: car}
  - id: id_card
    label: Your ID card
    required: true
steps:
  - id: you
    title: About you
    questions:
      - id: family_name
        type: name
        label: What is your family name?
        required: true
      - id: birth_date
        type: date
        label: When were you born?
        required: true
        partial: true
        checks:
          - before: today
          - max_years_ago: 120
      - id: kind
        type: choice
        label: What do you park?
        required: true
        choices:
          - {value: car, label: A car}
          - {value: bike, label: A motorbike}
  - id: car
    title: Your car
    show_if: {kind: car}
    questions:
      - id: plate
        type: text
        label: What is the number plate?
        required: true
      - id: licensed
        type: date
        label: Since when do you have a driving licence?
        required: true
        checks:
          - after: birth_date
            message: The licence must be after your birth.
  - id: fee
    title: Paying the fee
    questions:
      - id: iban
        type: iban
        label: From which account do we collect the fee?
        required: true
      - id: confirm
        type: yesno
        label: Are your answers correct?
        required: true
        checks:
          - equals: true
            message: Confirm your answers to go on.
"""


def walk(client, service, url, choose):
    """Answer every step until "check your answers"; the visited step ids and the summary page."""
    visited = []
    for _ in range(10):
        visited.append(url.rsplit("/", 1)[1])
        response = answer_step(client, url, service, choose)
        assert response.status_code == 302, soup(response).select_one(".error-summary")
        url = response.location
        if url.endswith("/documents"):   # documents come after the questions, then the summary
            url = url[: -len("/documents")] + "/check"
        if url.endswith("/check"):
            return visited, soup(client.get(url))
    raise AssertionError("the journey does not end")


def test_an_extra_service_in_a_folder_is_served_and_walked_to_the_check_page(make_app, tmp_path):
    folder = tmp_path / "municipality-forms"
    folder.mkdir()
    (folder / "parking-permit.yaml").write_text(EXTRA, encoding="utf-8")
    app = make_app(FORMS_DIR=str(folder))
    assert list(app.extensions["services"]) == ["parking-permit"]
    service = app.extensions["services"]["parking-permit"]
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    catalogue = soup(client.get("/"))
    assert [h.text for h in catalogue.select("main .card h2")] == ["Resident parking permit"]

    register(client)
    url = start(client, "parking-permit")
    assert url.endswith("/steps/you")

    # The date check of the YAML file is enforced on the way: a licence before the birth is refused.
    url = answer_step(client, url, service, {"birth_date": "1990", "kind": "car"}).location
    assert url.endswith("/steps/car")
    refused = answer_step(client, url, service, {"licensed": "31.12.1989"})
    assert refused.status_code == 422
    page = soup(refused)
    assert [a["href"] for a in page.select(".error-summary a")] == ["#f-licensed"]
    message = page.select_one("#f-licensed-error")
    message.select_one(".vh").extract()  # "Error:" for screen readers
    assert message.text == "The licence must be after your birth."

    # With a car: the branch step is asked, and its document is listed.
    visited, check = walk(client, service, url, {"licensed": "01.06.2010"})
    assert visited == ["car", "fee"]
    assert check.h1.text == "Check your answers"
    assert [h.text for h in check.select("main h2")] == ["About you", "Your car", "Paying the fee",
                                                        "Documents", "Fee"]
    rows = {row.dt.text: row.select_one("dd").text.strip() for row in check.select("dl.summary .row")}
    assert rows["When were you born?"] == "1990"
    assert rows["Since when do you have a driving licence?"] == "Jun 1, 2010"
    assert rows["What do you park?"] == "A car"
    assert rows["From which account do we collect the fee?"] == "DE89 3704 0044 0532 0130 00"
    assert rows["Are your answers correct?"] == "Yes"
    assert rows["Vehicle registration"] == rows["Your ID card"] == "Missing"

    # With a motorbike: the branch step is skipped, and so is its document.
    visited, check = walk(client, service, start(client, "parking-permit"), {"kind": "bike"})
    assert visited == ["you", "fee"]
    assert "Your car" not in [h.text for h in check.select("main h2")]
    assert [r.dt.text for r in check.select("dl.summary .row") if "/documents" in r.select_one(".change a")["href"]] == ["Your ID card"]
