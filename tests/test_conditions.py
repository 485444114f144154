"""The one condition language of show_if and fee rules, shared blocks, and what `forms check` says about both."""
from datetime import date

import pytest
import yaml

from assistant.definitions import conditions
from assistant.definitions.loader import ServiceError, check_file, load_services

TODAY = date(2026, 12, 1)
TABLES = {"threshold": [{"from": "2025-01-01", "value": "48300.00"}, {"from": "2026-01-01", "value": "50700.00"}]}
VALUES = {"purpose": "employment", "salary": "49000.00", "hours": 40, "born": "2010-12-02", "until": "2026-05-31",
          "partial": "2026-06", "none": None, "members": [{"rel": "child", "born": "2015-01-01"}, {"rel": "spouse"}]}


@pytest.mark.parametrize("condition, expected", [
    ({"purpose": "employment"}, True),
    ({"purpose": ["studies", "employment"]}, True),
    ({"purpose": "studies"}, False),
    ({"not": {"purpose": "studies"}}, True),
    ({"any": [{"purpose": "studies"}, {"hours": {"at_least": 40}}]}, True),
    ({"all": [{"purpose": "employment"}, {"hours": {"above": 40}}]}, False),
    ({"salary": {"below": "threshold"}}, True),                # 49,000 < 50,700 (the 2026 value)
    ({"salary": {"at_least": 48300}}, True),
    ({"hours": {"at_most": 39}}, False),
    ({"born": {"age_below": 16}}, True),                       # 15 on 1 Dec 2026
    ({"born": {"age_at_least": 16}}, False),
    ({"until": {"before": "today"}}, True),
    ({"until": {"before": "today-6m"}}, True),                 # 31 May is before 1 June
    ({"until": {"before": "today-7m"}}, False),
    ({"until": {"not_after": "today-6m"}}, True),
    ({"partial": {"before": "today"}}, True),                  # every day of June 2026 is before today
    ({"partial": {"after": "2026-06-15"}}, False),             # not a date reference: another question, unanswered
    ({"until": {"before": "partial"}}, True),                  # 31 May is before every day of June
    ({"none": {"answered": False}}, True),
    ({"purpose": {"answered": True}}, True),
    ({"none": {"at_least": 1}}, False),                        # an unanswered question never compares
    ({"members": {"any": {"rel": "child", "born": {"age_below": 18}}}}, True),
    ({"members": {"any": {"rel": "parent"}}}, False),
    (None, True),
])
def test_conditions_hold_as_documented(condition, expected):
    assert conditions.holds(condition, VALUES, TODAY, TABLES) is expected


def test_a_dated_table_gives_the_value_in_force_on_the_day():
    assert conditions.table_value(TABLES, "threshold", date(2025, 12, 31)) == 48300
    assert conditions.table_value(TABLES, "threshold", date(2026, 1, 1)) == 50700
    assert conditions.table_value(TABLES, "threshold", date(2024, 6, 1)) is None
    assert conditions.holds({"salary": {"below": "threshold"}}, VALUES, date(2025, 6, 1), TABLES) is False


@pytest.mark.parametrize("ref, expected", [
    ("today", date(2026, 3, 31)), ("today+1d", date(2026, 4, 1)), ("today-1m", date(2026, 2, 28)),
    ("today+11m", date(2027, 2, 28)), ("today-6m", date(2025, 9, 30)), ("today+1y", date(2027, 3, 31)), ("x", None),
])
def test_dates_relative_to_today_keep_the_last_day_of_a_shorter_month(ref, expected):
    assert conditions.shift(date(2026, 3, 31), ref) == expected


def service(steps, **more):
    return {"id": "test", "version": 1, "title": "Test", "summary": "Test.", "audience": "All.", "steps": steps, **more}


def q(qid, kind="text", **more):
    return {"id": qid, "type": kind, "label": qid, **more}


CHOICE = q("kind", "choice", choices=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}])


@pytest.mark.parametrize("condition, message", [
    ({"missing": "a"}, "'missing' is not a question of an earlier step"),
    ({"kind": "c"}, "'c' is not an answer of 'kind'"),
    ({"kind": {"at_least": 3}}, "'at_least' does not fit 'kind', a choice question"),
    ({"count": {"below": "nothing"}}, "'nothing' is not a table of this service"),
    ({"born": {"before": "kind"}}, "'kind' is not today or another earlier date question"),
    ({"not": {"any": [{"kind": "a"}, {"later": "x"}]}}, "'later' is not a question of an earlier step"),
    ({"people": "a"}, "'people' is a repeat step: test its items with {any: ...}"),
    ({"people": {"any": {"kind": "a", "name": {"answered": True}}}}, None),
    ({"people": {"any": {"nobody": True}}}, "'nobody' is not a question of an earlier step"),
])
def test_forms_check_names_what_is_wrong_in_a_condition(tmp_path, condition, message):
    data = service([
        {"id": "one", "title": "One", "questions": [CHOICE, q("count", "number"), q("born", "date")]},
        {"id": "people", "title": "People", "repeat": {"item": "Person"}, "questions": [q("name")]},
        {"id": "two", "title": "Two", "show_if": condition, "questions": [q("later")]},
    ])
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(data))
    _service, problems = check_file(path)
    assert [p.message for p in problems] == ([message] if message else [])


def test_a_block_is_used_in_place_and_its_problems_name_the_block_file_and_line(tmp_path):
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "who.yaml").write_text("questions:\n  - id: first\n    type: text\n    label: First?\n"
                                                  "  - id: second\n    type: name\n    label: Second?\n")
    data = service([{"id": "s", "title": "S", "questions": [{"use": "who", "skip": ["second"]}, q("third")]}])
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(data))
    services = load_services(tmp_path)
    assert [x.id for x in services["test"].steps[0].questions] == ["first", "third"]
    assert services["test"].data["steps"][0]["questions"][0]["label"] == "First?"   # kept as used: a version holds it

    (tmp_path / "blocks" / "who.yaml").write_text("questions:\n  - id: first\n    type: dropdown\n    label: First?\n")
    with pytest.raises(ServiceError) as wrong:
        load_services(tmp_path)
    assert [(p.file, p.line, p.message) for p in wrong.value.problems] == [
        (str(tmp_path / "test.yaml"), 7, "block 'who' has no question second")]
    data["steps"][0]["questions"][0] = {"use": "who"}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ServiceError) as wrong:
        load_services(tmp_path)
    problem = wrong.value.problems[0]
    assert (problem.file, problem.line, problem.where) == (str(tmp_path / "blocks" / "who.yaml"), 3, "step 's', question 'first', type")

    data["steps"][0]["questions"][0] = {"use": "nobody"}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ServiceError) as wrong:
        load_services(tmp_path)
    assert "'nobody' is not a block with questions" in wrong.value.problems[0].message


def test_a_stop_page_names_a_service_of_the_folder_and_a_repeat_step_its_own_questions(tmp_path):
    data = service([{"id": "s", "title": "S", "questions": [q("a")]},
                    {"id": "people", "title": "People", "repeat": {"item": "Person"}, "questions": [q("who")]},
                    {"id": "later", "title": "Later", "questions": [q("who")]},
                    {"id": "end", "title": "End", "stop": {"text": "Go elsewhere.", "service": "elsewhere"}},
                    {"id": "many", "title": "Many", "repeat": {"item": "One", "name": ["b", "c"], "min": 3, "max": 2},
                     "questions": [q("b")]}])
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ServiceError) as wrong:
        load_services(tmp_path)
    assert sorted(p.message for p in wrong.value.problems) == [
        "'c' is not a question of this step", "'elsewhere' is not a service of this folder", "'min' is more than 'max'",
        "question id 'who' is used twice"]
