"""A step as a WTForms form: one field per question, one validator that runs the type and the YAML checks."""
import hashlib
import json
import re
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field
from wtforms.validators import StopValidation, ValidationError

from ..i18n import lazy_translate, office_today
from ..questions import TYPES, dates
from ..questions.base import PartError, too_long, too_short


class Answer(NamedTuple):
    """A stored answer: what was typed, its canonical value (None while invalid) and whether it came from the profile."""
    raw: Any
    value: Any = None
    prefilled: bool = False


def fingerprint(raw):
    """A short digest of a raw answer, so a step POST only writes what the user changed."""
    return hashlib.blake2s(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode(), digest_size=4).hexdigest()


class AddressField(Field):
    """A postal address posted as ``<id>-street``, ``<id>-postcode``, ``<id>-city``, ``<id>-country``."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.raw_data = []
        parts = TYPES["address"].parts
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in parts):
            self.data = {p: formdata.get(f"{self.name}-{p}", "") for p in parts}
        else:
            self.data = None


def _reference(form, ref):
    """The canonical date a check refers to: today, a field of this form, or an earlier answer."""
    if ref == "today":
        return office_today().isoformat()
    if ref in form:
        field = form[ref]
        try:
            return TYPES["date"].parse(field.data or "", form.questions[ref])
        except ValidationError:
            return None
    return form.known.get(ref)


def apply_check(form, q, check, value):
    """Raise ValidationError when the canonical value fails one check from the YAML file."""
    kind = next(k for k in check if k != "message")
    arg = check[kind]
    custom = lazy_translate(check.get("message"))
    if kind in ("after", "before", "not_after", "not_before"):
        other = _reference(form, arg)
        if other is None:
            return
        first, last = dates.bounds(value)
        o_first, o_last = dates.bounds(other)
        # With partial dates, complain only when no day the answer could mean passes.
        failed = {"after": last <= o_first, "before": first >= o_last,
                  "not_after": first > o_last, "not_before": last < o_first}[kind]
        if failed:
            if custom:
                raise ValidationError(custom)
            if arg == "today":
                raise ValidationError({
                    "after": _("The date must be in the future."), "before": _("The date must be in the past."),
                    "not_after": _("The date cannot be in the future."), "not_before": _("The date cannot be in the past."),
                }[kind])
            label = lazy_translate(form.labels.get(arg, arg))
            raise ValidationError({
                "after": _("The date must be after your answer to “%(question)s”.", question=label),
                "before": _("The date must be before your answer to “%(question)s”.", question=label),
                "not_after": _("The date cannot be after your answer to “%(question)s”.", question=label),
                "not_before": _("The date cannot be before your answer to “%(question)s”.", question=label),
            }[kind])
    elif kind == "max_years_ago":
        first, last = dates.bounds(value)
        today = office_today()
        try:
            limit = today.replace(year=today.year - arg)
        except ValueError:  # 29 February
            limit = today.replace(year=today.year - arg, day=28)
        if last < limit:
            raise ValidationError(custom or _("Check the year: this date is more than %(years)s years ago.", years=arg))
    elif kind in ("min", "max"):
        number = float(value)
        if (kind == "min" and number < arg) or (kind == "max" and number > arg):
            raise ValidationError(custom or (_("Enter at least %(number)s.", number=arg) if kind == "min"
                                             else _("Enter at most %(number)s.", number=arg)))
    elif kind in ("min_length", "max_length"):
        if (kind == "min_length" and len(value) < arg) or (kind == "max_length" and len(value) > arg):
            raise ValidationError(custom or (too_short(arg) if kind == "min_length" else too_long(arg)))
    elif kind == "equals":
        if value != arg:
            raise ValidationError(custom or _("Choose the answer that lets you go on."))
    elif kind == "pattern":
        if not re.fullmatch(arg, value):
            raise ValidationError(custom or _("Check the format of your answer."))


class QuestionCheck:
    """The one validator of every field: type, required and the YAML checks, in the step POST and in the live check."""

    def __init__(self, q):
        self.q = q
        self.type = TYPES[q.type]

    def __call__(self, form, field):
        field.canonical = field.error_part = None
        if self.type.blank(field.data):
            if self.q.required and not form.live:
                raise StopValidation(_("Answer this question."))
            raise StopValidation()
        try:
            value = self.type.parse(field.data, self.q)
        except PartError as wrong:
            field.error_part = wrong.part  # the part to mark and to link to
            raise
        for check in self.q.checks:
            apply_check(form, self.q, check, value)
        field.canonical = value


class StepForm(FlaskForm):
    """Base of every step's form; `live` makes it advise instead of demanding answers."""
    live = False
    known: dict = {}
    questions: dict = {}
    labels: dict = {}


_FORM_CLASSES = {}


def _form_class(questions):
    """A FlaskForm class with one field per question, in order, made once per list of questions."""
    key = tuple(map(id, questions))
    if key in _FORM_CLASSES:
        return _FORM_CLASSES[key][1]
    attrs = {q.id: (AddressField(q.label, validators=[QuestionCheck(q)]) if q.type == "address"
                    else TYPES[q.type].field(q, [QuestionCheck(q)])) for q in questions}
    attrs["questions"] = {q.id: q for q in questions}
    cls = type("StepForm", (StepForm,), attrs)
    _FORM_CLASSES[key] = (questions, cls)  # holding the questions keeps their ids unique
    return cls


def formdata_for(questions, raws):
    """A MultiDict as a browser would post the given raw answers."""
    pairs = []
    for q in questions:
        pairs += TYPES[q.type].formdata(q, raws.get(q.id))
    return MultiDict(pairs)


def build_form(questions, formdata, known, labels, csrf=False, live=False):
    """The WTForms form for some questions of a step, filled from formdata."""
    form = _form_class(tuple(questions))(formdata=formdata, meta={"csrf": csrf})
    form.known, form.labels, form.live = known, labels, live
    return form
