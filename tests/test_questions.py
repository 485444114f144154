"""Question types and YAML checks as tables: what a person types, and the canonical value or the message they get.

Every row names the exact canonical value or the exact (English) message, so a change in behaviour shows up
as one failing row. Messages are compared in English, the language of the message ids.
"""
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from assistant import create_app
from assistant.i18n import office_today
from assistant.questions import dates
from assistant.journey import build_form
from assistant.i18n import normalize_digits
from assistant.questions import TYPES
from assistant.definitions import Question
from assistant.questions.contact import valid_email
from tests.conftest import PASSWORD, confirmation, csrf_of, english_client, soup

TODAY = office_today()   # the office's date (Berlin), as the checks use it: at 23:30 UTC it is tomorrow there
THIS_YEAR = TODAY.year


class Refused:
    """A table cell: the answer is refused with exactly this message."""

    def __init__(self, message):
        self.message = message

    def __repr__(self):
        return f"Refused({self.message!r})"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One real app for the whole module (the tables need no database, and a fresh app per row is slow)."""
    folder = tmp_path_factory.mktemp("questions")
    return create_app({"TESTING": True, "DATABASE": str(folder / "assistant.sqlite"), "SECRET_KEY": "test-secret"})


def parse(app, qtype, raw, lang="en", **options):
    """Parse a typed answer like the step form does, inside a request in the given language."""
    q = Question(id="q", type=qtype, label="The question", **options)
    with app.test_request_context(headers={"Accept-Language": lang}):
        return TYPES[qtype].parse(raw, q)


def assert_parses(app, qtype, raw, expected, **options):
    """The row's expectation: the exact canonical value (and its type), or the exact message."""
    if isinstance(expected, Refused):
        with pytest.raises(ValidationError) as exc:
            parse(app, qtype, raw, **options)
        assert str(exc.value) == expected.message
    else:
        value = parse(app, qtype, raw, **options)
        assert (type(value), value) == (type(expected), expected)


# --- dates -------------------------------------------------------------------------------------------------

FULL = "Enter the full date with day, month and year."
IMPOSSIBLE = "This date does not exist. Check the day, month and year."
FORMAT = "Enter the date as day.month.year, for example 27.03.1985."
FORMAT_PARTIAL = ("Enter the date as day.month.year, for example 27.03.1985. "
                  "If you do not know the day, enter only month.year, for example 03.1985.")

DATES = [
    # typed,              partial=False,         partial=True
    ("31.12.1990",         "1990-12-31",          "1990-12-31"),
    ("1990-12-31",         "1990-12-31",          "1990-12-31"),
    ("31/12/1990",         "1990-12-31",          "1990-12-31"),
    ("1.2.1990",           "1990-02-01",          "1990-02-01"),
    (" 31. 12. 1990 ",     "1990-12-31",          "1990-12-31"),
    ("1990-1-5",           "1990-01-05",          "1990-01-05"),
    ("29.02.2024",         "2024-02-29",          "2024-02-29"),
    ("12.1990",            Refused(FULL),         "1990-12"),
    ("12/1990",            Refused(FULL),         "1990-12"),
    ("1990-12",            Refused(FULL),         "1990-12"),
    ("1990",               Refused(FULL),         "1990"),
    ("00.12.1990",         Refused(FULL),         "1990-12"),
    ("xx.12.1990",         Refused(FULL),         "1990-12"),
    ("XX.XX.1990",         Refused(FULL),         "1990"),
    ("00.00.1990",         Refused(FULL),         "1990"),
    ("٢٧.٠٣.١٩٨٥",         "1985-03-27",          "1985-03-27"),   # Arabic-Indic digits
    ("۲۷.۰۳.۱۹۸۵",         "1985-03-27",          "1985-03-27"),   # Persian digits
    ("۰۳.۱۹۸۵",            Refused(FULL),         "1985-03"),
    ("31.02.2020",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("29.02.2023",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("13.13.2000",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("31.04.2000",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("13.2000",            Refused(FULL),         Refused(IMPOSSIBLE)),
    ("01.01.1799",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("01.01.2201",         Refused(IMPOSSIBLE),   Refused(IMPOSSIBLE)),
    ("12.00.1990",         Refused(FORMAT),       Refused(FORMAT_PARTIAL)),  # a day without a month
    ("31.12.90",           Refused(FORMAT),       Refused(FORMAT_PARTIAL)),  # two-digit year
    ("garbage",            Refused(FORMAT),       Refused(FORMAT_PARTIAL)),
    ("31.12.1990 12:00",   Refused(FORMAT),       Refused(FORMAT_PARTIAL)),
    ("",                   Refused(FORMAT),       Refused(FORMAT_PARTIAL)),
]


@pytest.mark.parametrize("raw,expected", [pytest.param(r, e, id=r or "empty") for r, e, _ in DATES])
def test_date_without_partial(app, raw, expected):
    assert_parses(app, "date", raw, expected, partial=False)


@pytest.mark.parametrize("raw,expected", [pytest.param(r, e, id=r or "empty") for r, _, e in DATES])
def test_date_with_partial(app, raw, expected):
    assert_parses(app, "date", raw, expected, partial=True)


@pytest.mark.parametrize("canonical,first,last", [
    ("1990-12-31", date(1990, 12, 31), date(1990, 12, 31)),
    ("1990-12", date(1990, 12, 1), date(1990, 12, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
    ("1990-04", date(1990, 4, 1), date(1990, 4, 30)),
    ("1990", date(1990, 1, 1), date(1990, 12, 31)),
])
def test_date_bounds(canonical, first, last):
    assert dates.bounds(canonical) == (first, last)


@pytest.mark.parametrize("canonical,typed", [("1990-12-31", "31.12.1990"), ("1990-12", "12.1990"), ("1990", "1990")])
def test_date_to_input_is_the_german_way_and_parses_back(app, canonical, typed):
    assert dates.to_input(canonical) == typed == TYPES["date"].to_raw(canonical)
    assert parse(app, "date", typed, partial=True) == canonical


@pytest.mark.parametrize("text,reason", [
    ("12.1990", "partial"), ("31.02.2020", "impossible"), ("02.13.1990", "impossible"), ("1.1.1", "format"),
])
def test_dates_parse_names_the_reason(text, reason):
    with pytest.raises(dates.DateError) as exc:
        dates.parse(text)
    assert str(exc.value) == reason


@pytest.mark.parametrize("text,expected", [
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),   # Arabic-Indic
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),   # Persian (Extended Arabic-Indic)
    ("१२३", "123"),                 # Devanagari
    ("+٤٩ ١٥١", "+49 151"),
    ("Straße 5a", "Straße 5a"),
    ("²", "²"),                     # a superscript is not a decimal digit
])
def test_normalize_digits(text, expected):
    assert normalize_digits(text) == expected


# --- checks from the YAML file, run through the real step form ---------------------------------------------

def validate(app, questions, data, known=None, labels=None, live=False):
    """Validate a step form as a POST would: (errors by question id, canonical values by question id)."""
    labels = {q.id: q.label for q in questions} | (labels or {})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        form = build_form(questions, MultiDict(data), known or {}, labels, live=live)
        valid = form.validate()
        errors = {k: v for k, v in form.errors.items() if v}
        assert valid == (not errors)
        return errors, {q.id: form[q.id].canonical for q in questions}


def dmy(day):
    return day.strftime("%d.%m.%Y")


BIRTH = Question(id="birth_date", type="date", label="What is your date of birth?", required=True, partial=True,
                 checks=[{"before": "today"}, {"max_years_ago": 120}])
BIRTH_CUSTOM = Question(id="birth_date", type="date", label="What is your date of birth?", required=True, partial=True,
                        checks=[{"before": "today", "message": "The date of birth must be in the past."},
                                {"max_years_ago": 120, "message": "Check the date of birth. It is more than 120 years ago."}])
NOT_PARTIAL_PAST = Question(id="signed", type="date", label="When did you sign?", checks=[{"before": "today"}])
PAST = "The date must be in the past."
TOO_OLD = "Check the year: this date is more than 120 years ago."
JAN_1 = TODAY == date(THIS_YEAR, 1, 1)  # on 1 January no day of this year lies before today


@pytest.mark.parametrize("q,raw,expected", [
    pytest.param(BIRTH, "27.03.1985", "1985-03-27", id="long-ago"),
    pytest.param(BIRTH, dmy(TODAY - timedelta(days=1)), (TODAY - timedelta(days=1)).isoformat(), id="yesterday"),
    pytest.param(BIRTH, dmy(TODAY), Refused(PAST), id="today"),
    pytest.param(BIRTH, dmy(TODAY + timedelta(days=1)), Refused(PAST), id="tomorrow"),
    # A partial date in the current year could still be in the past: it passes.
    pytest.param(BIRTH, str(THIS_YEAR), Refused(PAST) if JAN_1 else str(THIS_YEAR), id="this-year-partial"),
    pytest.param(BIRTH, f"01.{THIS_YEAR}", Refused(PAST) if JAN_1 else f"{THIS_YEAR}-01", id="january-partial"),
    pytest.param(BIRTH, str(THIS_YEAR + 1), Refused(PAST), id="next-year-partial"),
    pytest.param(BIRTH_CUSTOM, str(THIS_YEAR + 1), Refused("The date of birth must be in the past."), id="custom"),
    # The same year without `partial` is refused before any check runs.
    pytest.param(NOT_PARTIAL_PAST, str(THIS_YEAR), Refused(FULL), id="year-not-partial"),
    pytest.param(NOT_PARTIAL_PAST, dmy(TODAY), Refused(PAST), id="today-not-partial"),
    # max_years_ago: 120
    pytest.param(BIRTH, str(THIS_YEAR - 120), str(THIS_YEAR - 120), id="120-years-ago-partial"),
    pytest.param(BIRTH, str(THIS_YEAR - 121), Refused(TOO_OLD), id="121-years-ago-partial"),
    pytest.param(BIRTH, dmy(date(THIS_YEAR - 119, TODAY.month, 1)), date(THIS_YEAR - 119, TODAY.month, 1).isoformat(),
                 id="119-years-ago"),
    pytest.param(BIRTH, dmy(date(THIS_YEAR - 121, TODAY.month, 1)), Refused(TOO_OLD), id="121-years-ago"),
    pytest.param(BIRTH, "01.01.1900", Refused(TOO_OLD), id="1900"),
    pytest.param(BIRTH_CUSTOM, "1900", Refused("Check the date of birth. It is more than 120 years ago."), id="1900-custom"),
])
def test_date_checks_against_today(app, q, raw, expected):
    errors, values = validate(app, [q], {q.id: raw})
    if isinstance(expected, Refused):
        assert (errors, values) == ({q.id: [expected.message]}, {q.id: None})
    else:
        assert (errors, values) == ({}, {q.id: expected})


NOT_FUTURE = Question(id="entered", type="date", label="When did you come to Germany?", partial=True,
                      checks=[{"not_after": "today"}])
FUTURE = Question(id="expiry", type="date", label="Until when is your passport valid?", checks=[{"after": "today"}])
NOT_PAST = Question(id="start", type="date", label="When do you start?", checks=[{"not_before": "today"}])


@pytest.mark.parametrize("q,raw,expected", [
    (NOT_FUTURE, dmy(TODAY), TODAY.isoformat()),
    (NOT_FUTURE, dmy(TODAY + timedelta(days=1)), Refused("The date cannot be in the future.")),
    (NOT_FUTURE, str(THIS_YEAR), str(THIS_YEAR)),                     # could be earlier this year
    (NOT_FUTURE, str(THIS_YEAR + 1), Refused("The date cannot be in the future.")),
    (FUTURE, dmy(TODAY + timedelta(days=1)), (TODAY + timedelta(days=1)).isoformat()),
    (FUTURE, dmy(TODAY), Refused("The date must be in the future.")),
    (NOT_PAST, dmy(TODAY), TODAY.isoformat()),
    (NOT_PAST, dmy(TODAY - timedelta(days=1)), Refused("The date cannot be in the past.")),
], ids=["nf-today", "nf-tomorrow", "nf-this-year", "nf-next-year", "after-tomorrow", "after-today", "nb-today",
        "nb-yesterday"])
def test_other_date_checks_against_today(app, q, raw, expected):
    errors, values = validate(app, [q], {q.id: raw})
    if isinstance(expected, Refused):
        assert (errors, values) == ({q.id: [expected.message]}, {q.id: None})
    else:
        assert (errors, values) == ({}, {q.id: expected})


ENTRY = Question(id="entry_date", type="date", label="When did you enter Germany?", required=True,
                 checks=[{"after": "birth_date"}])
ENTRY_CUSTOM = Question(id="entry_date", type="date", label="When did you enter Germany?", required=True,
                        checks=[{"after": "birth_date", "message": "This date must be after your date of birth."}])
OPTIONAL_BIRTH = Question(id="birth_date", type="date", label="What is your date of birth?", partial=True)
AFTER_BIRTH = "The date must be after your answer to “What is your date of birth?”."


@pytest.mark.parametrize("birth,entry,expected", [
    ("27.03.1985", "01.06.1990", "1990-06-01"),
    ("27.03.1985", "27.03.1985", Refused(AFTER_BIRTH)),                # strictly after
    ("27.03.1985", "26.03.1985", Refused(AFTER_BIRTH)),
    ("1985", "02.01.1985", "1985-01-02"),                              # birth could be 1 January
    ("1985", "01.01.1985", Refused(AFTER_BIRTH)),                      # no day of 1985 lies before it
    ("03.1985", "01.04.1985", "1985-04-01"),
    ("03.1985", "31.03.1985", "1985-03-31"),
    ("03.1985", "28.02.1985", Refused(AFTER_BIRTH)),
    ("", "01.01.1900", "1900-01-01"),                                  # unanswered reference: check skipped
    ("not a date", "01.01.1900", "1900-01-01"),                        # invalid reference: skipped too
], ids=lambda v: v if isinstance(v, str) else None)
def test_after_another_date_of_the_same_step(app, birth, entry, expected):
    errors, values = validate(app, [OPTIONAL_BIRTH, ENTRY], {"birth_date": birth, "entry_date": entry})
    errors.pop("birth_date", None)  # only the entry date is under test
    if isinstance(expected, Refused):
        assert (errors, values["entry_date"]) == ({"entry_date": [expected.message]}, None)
    else:
        assert (errors, values["entry_date"]) == ({}, expected)


@pytest.mark.parametrize("known,entry,expected", [
    ({"birth_date": "1985-03-27"}, "01.01.1980", Refused("This date must be after your date of birth.")),
    ({"birth_date": "1985-03-27"}, "01.01.1990", "1990-01-01"),
    ({"birth_date": "1985"}, "01.01.1985", Refused("This date must be after your date of birth.")),
    ({}, "01.01.1980", "1980-01-01"),
])
def test_after_a_date_of_an_earlier_step(app, known, entry, expected):
    errors, values = validate(app, [ENTRY_CUSTOM], {"entry_date": entry}, known=known,
                              labels={"birth_date": "What is your date of birth?"})
    if isinstance(expected, Refused):
        assert (errors, values) == ({"entry_date": [expected.message]}, {"entry_date": None})
    else:
        assert (errors, values) == ({}, {"entry_date": expected})


def test_after_a_date_of_an_earlier_step_names_its_question(app):
    errors, _ = validate(app, [ENTRY], {"entry_date": "01.01.1980"}, known={"birth_date": "1985-03-27"},
                         labels={"birth_date": "What is your date of birth?"})
    assert errors == {"entry_date": [AFTER_BIRTH]}


HOURS = Question(id="hours", type="number", label="How many hours?", checks=[
    {"min": 1, "message": "Enter a number between 1 and 60."}, {"max": 60, "message": "Enter a number between 1 and 60."}])
CHILDREN = Question(id="children", type="number", label="How many children?", checks=[{"min": 0}, {"max": 30}])
INCOME = Question(id="income", type="money", label="How much?", checks=[{"min": 10}, {"max": 1000}])


@pytest.mark.parametrize("q,raw,expected", [
    (HOURS, "0", Refused("Enter a number between 1 and 60.")),
    (HOURS, "1", 1),
    (HOURS, "60", 60),
    (HOURS, "61", Refused("Enter a number between 1 and 60.")),
    (CHILDREN, "-1", Refused("Enter at least 0.")),
    (CHILDREN, "0", 0),
    (CHILDREN, "٣٠", 30),
    (CHILDREN, "31", Refused("Enter at most 30.")),
    (INCOME, "9,99", Refused("Enter at least 10.")),
    (INCOME, "10", "10.00"),
    (INCOME, "1.000,00", "1000.00"),
    (INCOME, "1.000,01", Refused("Enter at most 1000.")),
], ids=lambda v: v if isinstance(v, str) else None)
def test_min_and_max(app, q, raw, expected):
    errors, values = validate(app, [q], {q.id: raw})
    if isinstance(expected, Refused):
        assert (errors, values) == ({q.id: [expected.message]}, {q.id: None})
    else:
        assert (errors, values) == ({}, {q.id: expected})


CONFIRM = Question(id="understood", type="yesno", label="Do you understand?", required=True,
                   checks=[{"equals": True, "message": "You can only go on if you accept this."}])
CONFIRM_DEFAULT = Question(id="understood", type="yesno", label="Do you understand?", checks=[{"equals": True}])
ONLY_CAR = Question(id="vehicle", type="choice", label="Which vehicle?", checks=[{"equals": "car"}],
                    choices=[{"value": "car", "label": "Car"}, {"value": "bike", "label": "Bike"}])


@pytest.mark.parametrize("q,raw,expected", [
    (CONFIRM, "yes", True),
    (CONFIRM, "no", Refused("You can only go on if you accept this.")),
    (CONFIRM_DEFAULT, "no", Refused("Choose the answer that lets you go on.")),
    (ONLY_CAR, "car", "car"),
    (ONLY_CAR, "bike", Refused("Choose the answer that lets you go on.")),
])
def test_equals(app, q, raw, expected):
    errors, values = validate(app, [q], {q.id: raw})
    if isinstance(expected, Refused):
        assert (errors, values) == ({q.id: [expected.message]}, {q.id: None})
    else:
        assert (errors, values) == ({}, {q.id: expected})
        assert values[q.id] is expected or q.type == "choice"


FILE_NUMBER = Question(id="file_number", type="text", label="File number?", checks=[
    {"pattern": "[A-Z]{2}-[0-9]{4}", "message": "Enter two capital letters, a dash and four digits."}])
PATTERN_DEFAULT = Question(id="code", type="text", label="Code?", checks=[{"pattern": "[0-9]+"}])
NICK = Question(id="nick", type="text", label="Short name?", checks=[{"min_length": 3}, {"max_length": 5}])
SURNAME = Question(id="surname", type="name", label="Family name?", checks=[{"max_length": 4}])


@pytest.mark.parametrize("q,raw,expected", [
    (FILE_NUMBER, "AB-1234", "AB-1234"),
    (FILE_NUMBER, "  AB-1234 ", "AB-1234"),                         # trimmed before the check
    (FILE_NUMBER, "ab-1234", Refused("Enter two capital letters, a dash and four digits.")),
    (FILE_NUMBER, "AB-12345", Refused("Enter two capital letters, a dash and four digits.")),  # the whole answer
    (FILE_NUMBER, "xAB-1234", Refused("Enter two capital letters, a dash and four digits.")),
    (PATTERN_DEFAULT, "12a", Refused("Check the format of your answer.")),
    (PATTERN_DEFAULT, "123", "123"),
    (NICK, "ab", Refused("Enter at least 3 characters.")),
    (NICK, "abc", "abc"),
    (NICK, "abcde", "abcde"),
    (NICK, "abcdef", Refused("Your answer is too long: at most 5 characters.")),
    (SURNAME, "Olga", "Olga"),
    (SURNAME, "Olena", Refused("Your answer is too long: at most 4 characters.")),
], ids=lambda v: v.strip() if isinstance(v, str) else None)
def test_text_checks(app, q, raw, expected):
    errors, values = validate(app, [q], {q.id: raw})
    if isinstance(expected, Refused):
        assert (errors, values) == ({q.id: [expected.message]}, {q.id: None})
    else:
        assert (errors, values) == ({}, {q.id: expected})


REQUIRED_QUESTIONS = [
    BIRTH,
    Question(id="street_address", type="address", label="Address?", required=True),
    Question(id="agree", type="yesno", label="Agree?", required=True),
    Question(id="note", type="text", label="Note?", required=True),
]


@pytest.mark.parametrize("q", REQUIRED_QUESTIONS, ids=lambda q: q.type)
@pytest.mark.parametrize("data", [{}, "blank"], ids=["not-sent", "blank"])
def test_empty_required_answer_is_demanded_only_outside_the_live_check(app, q, data):
    if data == "blank":
        data = {f"{q.id}-{p}": "" for p in TYPES["address"].parts} if q.type == "address" else {q.id: "  "}
    assert validate(app, [q], data, live=False) == ({q.id: ["Answer this question."]}, {q.id: None})
    assert validate(app, [q], data, live=True) == ({}, {q.id: None})


def test_empty_optional_answer_is_fine_and_has_no_value(app):
    q = Question(id="phone", type="phone", label="Phone?", required=False)
    assert validate(app, [q], {"phone": ""}) == ({}, {"phone": None})


def test_live_check_still_reports_a_wrong_answer(app):
    assert validate(app, [BIRTH], {"birth_date": "31.02.2020"}, live=True) == (
        {"birth_date": [IMPOSSIBLE]}, {"birth_date": None})


def test_address_through_the_form_posts_its_parts(app):
    q = Question(id="home", type="address", label="Address?", required=True)
    data = {"home-street": "Hauptstraße 5", "home-postcode": "١٠١١٥", "home-city": "Berlin", "home-country": "de"}
    assert validate(app, [q], data) == (
        {}, {"home": {"street": "Hauptstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"}})


# --- every other question type ----------------------------------------------------------------------------

NEGATIVE = "The amount cannot be negative."
AMOUNT = "Enter an amount in euros, for example 1250,00."


@pytest.mark.parametrize("raw,expected", [
    ("1.250,50", "1250.50"),
    ("1250.5", "1250.50"),
    ("1,250.50", "1250.50"),
    ("1250,50", "1250.50"),
    ("1 250,50", "1250.50"),
    ("1.000.000,00", "1000000.00"),
    ("€ 30", "30.00"),
    ("30 €", "30.00"),
    ("EUR 30", "30.00"),
    ("30", "30.00"),
    ("0", "0.00"),
    ("0,5", "0.50"),
    ("٣٠,٥٠", "30.50"),
    ("99999999,99", "99999999.99"),
    ("100000000", Refused("Check the amount: it is too large.")),
    ("-5", Refused(NEGATIVE)),
    ("-5,00", Refused(NEGATIVE)),
    ("abc", Refused(AMOUNT)),
    ("12 Euro", Refused(AMOUNT)),
    ("1,2,3", Refused(AMOUNT)),
    ("1.2345", Refused(AMOUNT)),
    ("1.250", "1250.00"),              # a dot followed by three digits groups thousands
    ("1,250,000", "1250000.00"),
    ("1'250.50", "1250.50"),
    ("1,5", "1.50"),
    ("1.250.5", Refused(AMOUNT)),      # the decimal mark is used for groups too
    ("1.250,000", Refused(AMOUNT)),    # mixed group separators
    ("01.250", Refused(AMOUNT)),
    ("1.25.000", Refused(AMOUNT)),
])
def test_money(app, raw, expected):
    assert_parses(app, "money", raw, expected)


@pytest.mark.parametrize("raw", ["0,505", "1.234,567", "1,234.567"])
def test_money_refuses_three_decimals_instead_of_multiplying(app, raw):
    assert_parses(app, "money", raw, Refused(AMOUNT))


WHOLE = "Enter a whole number, for example 3."


@pytest.mark.parametrize("raw,expected", [
    ("3", 3), (" 12 ", 12), ("0", 0), ("-2", -2), ("1 000", 1000), ("٣", 3), ("۱۲", 12),
    ("3.5", Refused(WHOLE)), ("3,5", Refused(WHOLE)), ("three", Refused(WHOLE)), ("1234567890", Refused(WHOLE)),
])
def test_number(app, raw, expected):
    assert_parses(app, "number", raw, expected)


PHONE = "Enter a phone number, for example 0151 23456789 or +49 151 23456789."


@pytest.mark.parametrize("raw,expected", [
    ("0151 23456789", "+4915123456789"),
    ("+49 151 23456789", "+4915123456789"),
    ("0049 151 23456789", "+4915123456789"),
    ("030 123456", "+4930123456"),
    ("(030) 12 34 56", "+4930123456"),
    ("+90 532 123 45 67", "+905321234567"),
    ("٠١٥١ ٢٣٤٥٦٧٨٩", "+4915123456789"),
    ("۰۱۵۱ ۲۳۴۵۶۷۸۹", "+4915123456789"),
    ("garbage", Refused(PHONE)),
    ("123", Refused(PHONE)),
    ("", Refused(PHONE)),
    ("030 12345678 ext. 12", "+493012345678;ext=12"),    # an extension is kept, as RFC 3966 writes it
    ("030 12345678 x12", "+493012345678;ext=12"),
    ("030 12345678 Durchwahl 12", "+493012345678;ext=12"),
    ("030 12345678 Dw. 12", "+493012345678;ext=12"),
    ("+49 30 12345678;ext=12", "+493012345678;ext=12"),
    ("030 12345678-12", "+49301234567812"),              # a German direct dial is part of the number
])
def test_phone(app, raw, expected):
    assert_parses(app, "phone", raw, expected)


EMAIL = "Enter an e-mail address like name@example.org."


@pytest.mark.parametrize("raw,expected", [
    ("person@example.org", "person@example.org"),
    ("  person@example.org ", "person@example.org"),
    ("Ana.Lima+visa@mail.example.de", "Ana.Lima+visa@mail.example.de"),
    ("Person@Example.ORG", "Person@example.org"),        # the domain is case-free, the local part is kept
    ("ä@bücher.de", "ä@bücher.de"),                     # internationalized: stored in Unicode
    ("info@xn--bcher-kva.de", "info@bücher.de"),
    ("a\u0308@bu\u0308cher.de", "ä@bücher.de"),          # decomposed: stored NFC
    ("x" * 64 + "@example.org", "x" * 64 + "@example.org"),
    ("x" * 65 + "@example.org", Refused(EMAIL)),         # more than 64 characters before the @
    ("person@example.o", "person@example.o"),            # DNS syntax allows a one-letter top-level domain
    ("person@example", Refused(EMAIL)),
    ("per son@example.org", Refused(EMAIL)),
    ("person@@example.org", Refused(EMAIL)),
    ("person.example.org", Refused(EMAIL)),
    ("a@" + "b" * 250 + ".org", Refused(EMAIL)),
    ("pers\x00on@example.org", Refused(EMAIL)),          # refused, not repaired into another address
    ("pers\x1bon@example.org", Refused(EMAIL)),
    ("person@example.org\u202e", Refused(EMAIL)),
    ("pers\u200bon@example.org", Refused(EMAIL)),
    ("person@example.org\n", "person@example.org"),     # surrounding white space is no part of it
], ids=lambda v: ascii(v)[:40] if isinstance(v, str) else None)
def test_email(app, raw, expected):
    assert_parses(app, "email", raw, expected)
    if isinstance(expected, Refused):
        with pytest.raises(ValidationError):
            valid_email(raw)
    else:
        assert valid_email(raw) == expected


@pytest.mark.parametrize("email,status", [
    ("ä@bücher.de", 303), ("pers\x00on@example.org", 422), ("pers\x1bon@example.org", 422),
    ("person@example.org\u202e", 422), ("x" * 65 + "@example.org", 422),
], ids=["idn", "nul", "esc", "rlo", "65"])
def test_registration_and_feedback_use_the_same_e_mail_check(make_app, email, status):
    app = make_app()
    client = english_client(app)
    response = client.post("/register", data={"email": email, "password": PASSWORD, "confirm": PASSWORD,
                                              "csrf_token": csrf_of(client, "/register")})
    assert response.status_code == status
    feedback = client.post("/accessibility", data={"email": email, "message": "Kontrast zu schwach.",
                                                   "csrf_token": csrf_of(client, "/accessibility")})
    assert feedback.status_code == (303 if status == 303 else 422)
    if status == 422:
        assert EMAIL in soup(response).text and EMAIL in soup(feedback).text
    else:
        db = sqlite3.connect(app.config["DATABASE"])
        assert db.execute("SELECT email FROM accounts").fetchall() == [("ä@bücher.de",)]
        assert db.execute("SELECT email FROM feedback").fetchall() == [("ä@bücher.de",)]
        assert client.get(confirmation(app, "ä@bücher.de")).status_code == 302
        other = english_client(app)                      # the ASCII form of the domain finds the account
        login = other.post("/login", data={"email": "ä@XN--BCHER-KVA.de", "password": PASSWORD,
                                           "csrf_token": csrf_of(other, "/login")})
        assert login.status_code == 302


DOCUMENT = "Enter the document number as printed: 6 to 9 letters and digits."


@pytest.mark.parametrize("raw,expected", [
    ("c01x00t47", "C01X00T47"),
    ("C01 X00 T47", "C01X00T47"),
    ("N0123456<", "N0123456"),          # filler from the machine-readable zone
    ("AB-123456", "AB123456"),
    ("٠١٢٣٤٥٦", "0123456"),
    ("AB123", Refused(DOCUMENT)),        # too short
    ("ABCDEFGHIJ", Refused(DOCUMENT)),   # too long
    ("AB12345ä", Refused(DOCUMENT)),
])
def test_passport(app, raw, expected):
    assert_parses(app, "passport", raw, expected)


IBAN = "This IBAN is not correct. Compare it with your bank card or bank statement."


@pytest.mark.parametrize("raw,expected", [
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("de89370400440532013000", "DE89370400440532013000"),
    ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
    ("DE89 3704 0044 0532 0130 01", Refused(IBAN)),   # one digit changed: checksum fails
    ("DE88 3704 0044 0532 0130 00", Refused(IBAN)),
    ("DE89 3704 0044 0532 0130", Refused(IBAN)),      # too short
    ("not an iban", Refused(IBAN)),
])
def test_iban(app, raw, expected):
    assert_parses(app, "iban", raw, expected)


def address(street="Hauptstraße 5", postcode="10115", city="Berlin", country="DE"):
    return {"street": street, "postcode": postcode, "city": city, "country": country}


@pytest.mark.parametrize("raw,expected", [
    (address(), address()),
    (address(street=" Hauptstraße   5 ", city=" Berlin "), address()),
    (address(country="de"), address()),
    (address(country=""), address()),                                   # no country: Germany
    (address(postcode="١٠١١٥"), address()),
    (address(postcode="1011"), Refused("A German postcode has five digits, for example 10115.")),
    (address(postcode="101155"), Refused("A German postcode has five digits, for example 10115.")),
    (address(postcode="SW1A 1AA"), Refused("A German postcode has five digits, for example 10115.")),
    (address("10 Downing Street", "SW1A 1AA", "London", "GB"), address("10 Downing Street", "SW1A 1AA", "London", "GB")),
    (address("Atatürk Cd. 5", "34000", "İstanbul", "tr"), address("Atatürk Cd. 5", "34000", "İstanbul", "TR")),
    (address("Rue X 1", "", "Paris", "FR"), address("Rue X 1", "", "Paris", "FR")),
    (address(street=""), Refused("Enter the street and house number.")),
    (address(city=""), Refused("Enter the town or city.")),
    (address(country="ZZ"), Refused("Choose a country from the list.")),
    (address(country="EU"), Refused("Choose a country from the list.")),
    (address(city="B" * 201), Refused("Your answer is too long: at most 200 characters.")),
], ids=lambda v: "-".join(filter(None, v.values())) if isinstance(v, dict) else None)
def test_address(app, raw, expected):
    assert_parses(app, "address", raw, expected)


LATIN = "Write the name in Latin letters (A to Z) as in the machine-readable zone of your passport."
LETTERS = "Enter a name with letters only."


@pytest.mark.parametrize("raw,any_script,latin", [
    ("لينا", "لينا", Refused(LATIN)),
    ("Олена", "Олена", Refused(LATIN)),
    ("李小龙", "李小龙", Refused(LATIN)),
    ("Müller-Lüdenscheidt", "Müller-Lüdenscheidt", Refused(LATIN)),
    ("Müller", "Müller", Refused(LATIN)),
    ("MUELLER", "MUELLER", "MUELLER"),
    ("O'Neil", "O'Neil", "O'NEIL"),                     # the passport's spelling is stored in its capitals
    ("  Anna   Maria ", "Anna Maria", "ANNA MARIA"),
    ("R2D2", Refused(LETTERS), Refused(LATIN)),
    ("Anna 2", Refused(LETTERS), Refused(LATIN)),
    ("---", Refused(LETTERS), Refused(LATIN)),
    ("A" * 201, Refused("Your answer is too long: at most 200 characters."),
     Refused("Your answer is too long: at most 200 characters.")),
], ids=lambda v: v[:20].strip() if isinstance(v, str) else None)
def test_name(app, raw, any_script, latin):
    assert_parses(app, "name", raw, any_script)
    assert_parses(app, "name", raw, latin, latin=True)


COUNTRY = "Choose a country from the list."


@pytest.mark.parametrize("raw,country,nationality", [
    ("TR", "TR", "TR"),
    ("tr", "TR", "TR"),
    ("DE", "DE", "DE"),
    ("SY", "SY", "SY"),
    ("XK", "XK", "XK"),                           # Kosovo: user-assigned, used by the EU and Germany
    ("ZZ", Refused(COUNTRY), Refused(COUNTRY)),   # unknown region
    ("EU", Refused(COUNTRY), Refused(COUNTRY)),   # not a country
    ("UN", Refused(COUNTRY), Refused(COUNTRY)),
    ("IC", Refused(COUNTRY), Refused(COUNTRY)),   # CLDR's Canary Islands: no ISO 3166-1 code
    ("EA", Refused(COUNTRY), Refused(COUNTRY)),
    ("TA", Refused(COUNTRY), Refused(COUNTRY)),
    ("stateless", Refused(COUNTRY), "stateless"),
    ("unclear", Refused(COUNTRY), "unclear"),
    ("unknown", Refused(COUNTRY), "unknown"),
    ("XXA", Refused(COUNTRY), "stateless"),       # ICAO 9303 codes of older answers read as the words
    ("XXX", Refused(COUNTRY), "unclear"),
    ("TUR", Refused(COUNTRY), Refused(COUNTRY)),  # alpha-3 is not the stored form
    ("", Refused(COUNTRY), Refused(COUNTRY)),
])
def test_country_and_nationality(app, raw, country, nationality):
    assert_parses(app, "country", raw, country)
    assert_parses(app, "nationality", raw, nationality)


def test_country_lists_have_no_pseudo_territories_and_nationality_starts_with_the_words(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        countries = TYPES["country"].choices()
        nationalities = TYPES["nationality"].choices()
    codes = [code for code, _ in countries]
    assert {"EU", "EZ", "UN", "QO", "ZZ", "XXA", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"} & set(codes) == set()
    assert {"DE", "TR", "SY", "UA", "XK"} <= set(codes)
    assert all(len(code) == 2 for code in codes)
    assert nationalities[:3] == [("stateless", "Stateless"), ("unclear", "Nationality unclear"),
                                 ("unknown", "Nationality unknown")]
    assert nationalities[3:] == countries
    names = [name.casefold() for _, name in countries]
    assert names == sorted(names)


ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")


@pytest.mark.skipif(not ISO_CODES.exists(), reason="Debian's iso-codes is not installed")
def test_country_codes_are_iso_3166_1_and_kosovo(app):
    iso = {c["alpha_2"] for c in json.loads(ISO_CODES.read_text(encoding="utf-8"))["3166-1"]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert {code for code, _ in TYPES["country"].choices()} == iso | {"XK"}


CHOICES = [{"value": "employment", "label": "Work"}, {"value": "studies", "label": "Studies"}]


@pytest.mark.parametrize("raw,expected", [
    ("employment", "employment"),
    ("studies", "studies"),
    ("Work", Refused("Choose one of the options.")),          # the label is not the value
    ("Employment", Refused("Choose one of the options.")),
    ("", Refused("Choose one of the options.")),
])
def test_choice(app, raw, expected):
    assert_parses(app, "choice", raw, expected, choices=CHOICES)


@pytest.mark.parametrize("raw,expected", [
    ("yes", True), ("no", False),
    ("Yes", Refused("Choose yes or no.")), ("true", Refused("Choose yes or no.")), ("ja", Refused("Choose yes or no.")),
])
def test_yesno(app, raw, expected):
    assert_parses(app, "yesno", raw, expected)


@pytest.mark.parametrize("qtype,raw,expected", [
    ("text", "  Beispiel   Text  ", "Beispiel Text"),
    ("text", "one\ntwo", "one two"),
    ("text", "x" * 200, "x" * 200),
    ("text", "x" * 201, Refused("Your answer is too long: at most 200 characters.")),
    ("longtext", "  Eine längere\r\nAntwort.  ", "Eine längere\nAntwort."),
    ("longtext", "x" * 4000, "x" * 4000),
    ("longtext", "x" * 4001, Refused("Your answer is too long: at most 4000 characters.")),
], ids=["trim", "one-line", "200", "201", "lines", "4000", "4001"])
def test_text_and_longtext(app, qtype, raw, expected):
    assert_parses(app, qtype, raw, expected)


# --- prefill: the canonical value written back into the input parses to itself ------------------------------

@pytest.mark.parametrize("qtype,value,raw", [
    ("date", "1990-03-27", "27.03.1990"),
    ("money", "1250.50", "1250,50"),
    ("number", 3, "3"),
    ("yesno", True, "yes"),
    ("yesno", False, "no"),
    ("phone", "+4915123456789", "+49 1512 3456789"),
    ("iban", "DE89370400440532013000", "DE89 3704 0044 0532 0130 00"),
    ("passport", "C01X00T47", "C01X00T47"),
    ("nationality", "stateless", "stateless"),
    ("nationality", "XK", "XK"),
    ("phone", "+493012345678;ext=12", "+49 30 12345678 ext. 12"),
    ("address", address(), address()),
])
def test_to_raw_round_trip(app, qtype, value, raw):
    assert TYPES[qtype].to_raw(value) == raw
    assert parse(app, qtype, raw, partial=qtype == "date") == value


def test_an_older_icao_nationality_is_prefilled_as_its_word(app):
    assert TYPES["nationality"].to_raw("XXA") == "stateless"
    assert parse(app, "nationality", TYPES["nationality"].to_raw("XXX")) == "unclear"


# --- shown in the user's language ------------------------------------------------------------------------

@pytest.mark.parametrize("qtype,value,lang,shown", [
    ("country", "TR", "de", "Türkei"),
    ("country", "TR", "en", "Türkiye"),
    ("country", "DE", "de", "Deutschland"),
    ("country", "DE", "en", "Germany"),
    ("nationality", "UA", "de", "Ukraine"),
    ("nationality", "stateless", "en", "Stateless"),
    ("nationality", "unknown", "en", "Nationality unknown"),
    ("nationality", "XXA", "en", "Stateless"),        # stored before the words
    ("nationality", "XK", "de", "Kosovo"),
    ("phone", "+493012345678;ext=12", "en", "+49 30 12345678, extension 12"),
    ("money", "1250.50", "de", "1.250,50\u00a0€"),
    ("money", "1250.50", "en", "€1,250.50"),
    ("money", "0.00", "de", "0,00\u00a0€"),
    ("date", "1990-12-31", "de", "31.12.1990"),
    ("date", "1990-12-31", "en", "Dec 31, 1990"),
    ("date", "1990-12", "de", "Dezember 1990"),
    ("date", "1990-12", "en", "December 1990"),
    ("date", "1990", "en", "1990"),
    ("phone", "+4915123456789", "en", "+49 1512 3456789"),
    ("phone", "+905321234567", "de", "+90 532 123 45 67"),
    ("iban", "DE89370400440532013000", "en", "DE89 3704 0044 0532 0130 00"),
    ("address", address(), "de", "Hauptstraße 5, 10115 Berlin, Deutschland"),
    ("address", address("10 Downing Street", "SW1A 1AA", "London", "GB"), "en",
     "10 Downing Street, SW1A 1AA London, United Kingdom"),
    ("address", address("Rue X 1", "", "Paris", "FR"), "de", "Rue X 1, Paris, Frankreich"),
    ("number", 1000, "de", "1000"),
    ("yesno", True, "en", "Yes"),
    ("yesno", False, "en", "No"),
    ("choice", "employment", "en", "Work"),
    ("choice", "gone", "en", "gone"),       # a value no longer offered is shown as it is
])
def test_display_in_the_users_language(app, qtype, value, lang, shown):
    q = Question(id="q", type=qtype, label="The question", choices=CHOICES if qtype == "choice" else [])
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert TYPES[qtype].display(value, q) == shown


def test_unknown_language_falls_back_to_german(app):
    with app.test_request_context(headers={"Accept-Language": "tlh"}):
        assert TYPES["country"].display("TR", None) == "Türkei"
        assert TYPES["money"].display("30.00", None) == "30,00\u00a0€"
