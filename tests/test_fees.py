"""Fees computed from the answers: the real tables of both services, the check that refuses a table that could come
out negative or undefined (held against random tables and answers by hypothesis), and the fee as the pages show it."""
import shutil
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import yaml
from babel.numbers import format_currency
from flask_babel import force_locale
from hypothesis import given, settings, strategies as st

from assistant.definitions import fees
from assistant.definitions.loader import check_file
from assistant.i18n import translate
from tests.conftest import ROOT, english_client, prepare_application, register, soup

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def extension():
    service, problems = check_file(ROOT / "forms" / "residence-permit-extension.yaml")
    assert problems == []
    return service


ADULT = {"birth_date": "1990-03-27", "nationality": "SY", "purpose": "employment", "change_of_purpose": False,
         "receives_benefits": False, "requested_period": "more_than_three_months"}


@pytest.mark.parametrize("changes, amount, bases", [
    ({}, "93.00", ["§ 45 Nr. 2 b AufenthV"]),
    ({"requested_period": "up_to_three_months"}, "96.00", ["§ 45 Nr. 2 a AufenthV"]),
    ({"change_of_purpose": True}, "98.00", ["§ 45 Nr. 3 AufenthV"]),
    ({"birth_date": "2010-12-02"}, "46.50", ["§ 45 Nr. 2 b AufenthV", "§ 50 Abs. 1 AufenthV"]),       # 15 years old
    ({"birth_date": "2008-12-01"}, "93.00", ["§ 45 Nr. 2 b AufenthV"]),                              # 18 today
    ({"birth_date": "2008-12-02", "change_of_purpose": True}, "49.00", ["§ 45 Nr. 3 AufenthV", "§ 50 Abs. 1 AufenthV"]),
    ({"nationality": "TR"}, "46.00", ["§ 45 Nr. 2 b AufenthV", "§ 52a Abs. 2 AufenthV"]),
    ({"nationality": "TR", "birth_date": "2004-01-01"}, "27.60", ["§ 45 Nr. 2 b AufenthV", "§ 52a Abs. 2 AufenthV"]),
    ({"nationality": "TR", "birth_date": "2012-01-01"}, "27.60", ["§ 45 Nr. 2 b AufenthV", "§ 52a Abs. 2 AufenthV"]),  # not halved
    ({"purpose": "humanitarian", "protection_basis": "refugee"}, "0.00", ["§ 45 Nr. 2 b AufenthV", "§ 52 Abs. 3 AufenthV"]),
    ({"purpose": "humanitarian", "protection_basis": "deportation_ban"}, "93.00", ["§ 45 Nr. 2 b AufenthV"]),
    ({"receives_benefits": True, "benefits_office": "jobcenter"}, "0.00", ["§ 45 Nr. 2 b AufenthV", "§ 53 Abs. 1 Nr. 1 AufenthV"]),
    ({"receives_benefits": True, "benefits_office": "other"}, "93.00", ["§ 45 Nr. 2 b AufenthV"]),
    ({"receives_benefits": True, "benefits_office": "jobcenter", "change_of_purpose": True}, "98.00", ["§ 45 Nr. 3 AufenthV"]),
])
def test_the_extension_fee_follows_the_aufenthv(extension, changes, amount, bases):
    lines, total = fees.compute(extension.fee, ADULT | changes, TODAY)
    assert str(total) == amount
    assert [line.basis for line in lines] == bases


def test_the_declaration_of_commitment_costs_29_euros_and_is_paid_when_the_person_wants():
    service, problems = check_file(ROOT / "forms" / "declaration-of-commitment.yaml")
    assert problems == [] and fees.payment_mode(service.fee) == "optional"
    assert fees.compute(service.fee, {}, TODAY)[1] == Decimal("29.00")


# --- the table check, against random tables and random answers ----------------------------------------------------

QUESTIONS = {"kind": SimpleNamespace(type="choice", choices=[{"value": v} for v in ("a", "b", "c")]),
             "flag": SimpleNamespace(type="yesno", choices=[]),
             "born": SimpleNamespace(type="date", choices=[]),
             "land": SimpleNamespace(type="nationality", choices=[])}
money = st.integers(0, 20000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")
condition = st.dictionaries(st.sampled_from(sorted(QUESTIONS)), st.none(), max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: {"kind": st.sampled_from(["a", "b", ["a", "c"]]), "flag": st.booleans(),
                                            "born": st.sampled_from([{"age_below": 18}, {"age_at_least": 24}, {"age_below": 24}]),
                                            "land": st.sampled_from(["TR", ["TR", "SY"]])}[k] for k in keys}))
line = st.fixed_dictionaries({"label": st.just("Base"), "basis": st.just("§ 1"), "amount": money, "when": condition})
operation = st.one_of(st.just({"exempt": True}), money.map(lambda m: {"set": m}), money.map(lambda m: {"at_most": m}),
                      money.map(lambda m: {"minus": m}), st.sampled_from(["0.5", "1", "0"]).map(lambda f: {"factor": f}))
adjustment = st.tuples(condition.filter(bool), operation, st.booleans()).map(
    lambda t: {"label": "Adj", "basis": "§ 2", "when": t[0], **t[1], "final": t[2]})
table = st.fixed_dictionaries({"lines": st.lists(line, min_size=1, max_size=3),
                               "adjustments": st.lists(adjustment, max_size=4)})
answers = st.fixed_dictionaries({"kind": st.sampled_from([None, "a", "b", "c"]), "flag": st.sampled_from([None, True, False]),
                                 "born": st.one_of(st.none(), st.dates(date(1920, 1, 1), TODAY).map(date.isoformat)),
                                 "land": st.sampled_from([None, "TR", "SY", "UA", "stateless"])})


@settings(max_examples=300, deadline=None)
@given(table=table, values=st.lists(answers, min_size=1, max_size=20))
def test_a_table_the_check_lets_through_gives_a_fee_of_zero_or_more_for_every_answer(table, values):
    if fees.problems(table, QUESTIONS, TODAY):
        return
    for answer in values:
        _lines, amount = fees.compute(table, answer, TODAY)   # never Undefined
        assert amount >= 0 and amount == amount.quantize(Decimal("0.01"))


@settings(max_examples=300, deadline=None)
@given(table=table, values=answers)
def test_answers_that_give_no_fee_or_a_negative_one_are_found_by_the_check(table, values):
    try:
        _lines, amount = fees.compute(table, values, TODAY)
    except fees.Undefined:
        amount = None
    if amount is None or amount < 0:
        assert fees.problems(table, QUESTIONS, TODAY)


def write_service(tmp_path, fee):
    """The real extension with another fee table, as a file beside the blocks it uses."""
    data = yaml.safe_load((ROOT / "forms" / "residence-permit-extension.yaml").read_text())
    data["fee"] = fee
    path = tmp_path / "extension.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    if not (tmp_path / "blocks").exists():
        shutil.copytree(ROOT / "forms" / "blocks", tmp_path / "blocks")
    return path


def test_forms_check_refuses_a_fee_that_can_be_negative_or_undefined(tmp_path):
    undefined = {"lines": [{"label": "Short", "basis": "§ 45 Nr. 2 a AufenthV", "amount": "96.00",
                            "when": {"requested_period": "up_to_three_months"}}]}
    _service, problems = check_file(write_service(tmp_path, undefined))
    assert [p.path for p in problems] == ["fee/lines"]
    assert "no line applies when the answers are requested_period=more_than_three_months" in problems[0].message
    negative = {"lines": [{"label": "Base", "basis": "§ 45 Nr. 2 b AufenthV", "amount": "93.00"}],
                "adjustments": [{"label": "Less", "basis": "§ 0", "when": {"change_of_purpose": True}, "minus": "100.00"}]}
    _service, problems = check_file(write_service(tmp_path, negative))
    assert [p.path for p in problems] == ["fee/adjustments"] and "negative (-7.00)" in problems[0].message
    unknown = {"lines": [{"label": "Base", "basis": "§ 1", "amount": "1.00", "when": {"shoe_size": 42}}]}
    _service, problems = check_file(write_service(tmp_path, unknown))
    assert problems[0].message == "'shoe_size' is not a question of this service" and problems[0].line > 1


# --- on the pages ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "de", "ar"])
def test_check_answers_shows_the_lines_that_apply_with_their_legal_basis(app, lang):
    client = english_client(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    register(client, email=f"tr-{lang}@example.org")
    draft = prepare_application(client, app, "residence-permit-extension",
                                {"nationality": "TR", "change_of_purpose": "no", "receives_benefits": "no",
                                 "requested_period": "more_than_three_months"})
    page = soup(client.get(f"/applications/{draft}/check"))
    rows = page.select("dl.fee .row")
    assert [r.select_one(".small bdi").text for r in rows[:-1]] == ["§ 45 Nr. 2 b AufenthV", "§ 52a Abs. 2 AufenthV"]
    amounts = [r.dd.text for r in rows]
    table = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩") if lang == "ar" else None   # Arabic-Indic digits (i18n.DIGITS)
    assert amounts == [format_currency(Decimal(a), "EUR", locale=lang, numbering_system="arab" if table else "latn")
                       .translate(table or {}) for a in ("93.00", "46.00", "46.00")]
    label = "Turkish citizens pay what Germans pay for an identity card"
    with app.test_request_context(), force_locale(lang):
        shown = translate(label)
    assert rows[1].dt.text == f"{shown} (§ 52a Abs. 2 AufenthV)" and (shown != label) == (lang != "en")
    # Paid first: the check page leads to the pay step instead of sending.
    assert page.select_one(f'a.button[href$="/applications/{draft}/pay"]')
    assert not page.select_one("form[action$='/submit']")
