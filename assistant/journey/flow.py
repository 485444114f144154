"""The journey through a service: which steps and questions apply, what is done, where to go next."""
from ..definitions import ITEM, conditions
from ..i18n import office_today
from .forms import build_form, formdata_for

NOTICE = "notice"


def items_key(step):
    """The answer id under which a repeat step keeps the numbers of its items, in order."""
    return f"{step.id}[]"


class Journey:
    """Where an application stands: visible steps and questions, what is complete, where to go next."""

    def __init__(self, service, answers, confirmed=(), today=None):
        self.service = service
        self.answers = answers
        self.confirmed = set(confirmed)
        self.today = today or office_today()
        self.labels = {qid: q.label for qid, q in service.questions.items()}
        self.values = {}
        self.steps = []
        for step in service.steps:  # conditions refer to earlier steps only, so one pass decides
            if not self.holds(step.show_if):
                continue
            self.steps.append(step)
            if step.repeat:
                self.values[step.id] = [self.item_values(step, n) for n in self.items(step)]
            else:
                for q in self.questions(step):
                    if q.id in answers:
                        self.values[q.id] = answers[q.id].value
        self._errors = {}

    def holds(self, condition, item=None):
        """Whether a condition holds for these answers (and, for a per-item condition, that item's answers)."""
        return conditions.holds(condition, self.values | (item or {}), self.today, self.service.tables)

    def questions(self, step, item=None):
        """The questions of a step that apply to this application (of one item, for a repeat step); notices are not questions."""
        source = step.item_questions(item) if item is not None else step.questions
        return [q for q in source if q.type != NOTICE and self.holds(q.show_if)]

    def notices(self, step):
        """The notices (advice, never a block) of a step that apply, with the dated values their texts may name."""
        return [q for q in step.questions if q.type == NOTICE and self.holds(q.show_if)]

    def table_values(self):
        """Today's value of every dated table of the service, by name."""
        return {name: conditions.table_value(self.service.tables, name, self.today) for name in self.service.tables}

    def items(self, step):
        """The numbers of a repeat step's items, in the order they were added; a number stays with its item while it exists."""
        stored = self.answers.get(items_key(step))
        return list(stored.value) if stored and stored.value else []

    def item_values(self, step, number):
        """The canonical answers of one item, by the questions' own ids."""
        found = {}
        for q in self.questions(step, number):
            answer = self.answers.get(q.id)
            if answer is not None and answer.value is not None:
                found[q.id.rsplit(ITEM, 1)[0]] = answer.value
        return found

    def item_name(self, step, number):
        """What names an item in lists: the answers its step names, else its number."""
        values = self.item_values(step, number)
        return " ".join(str(values[k]) for k in step.repeat.get("name", []) if values.get(k)) or None

    def documents(self):
        """The documents this application needs; a per-item document once per item it applies to, as `<id>__<number>`."""
        found = []
        for d in self.service.documents:
            if d.get("for_each"):
                step = self.service.step(d["for_each"])
                if step in self.steps:
                    for n, values in zip(self.items(step), self.values.get(step.id, [])):
                        if self.holds(d.get("show_if"), values):
                            found.append(d | {"id": f"{d['id']}{ITEM}{n}", "item": n, "item_of": step.id})
            elif self.holds(d.get("show_if")):
                found.append(d)
        return found

    def missing_documents(self, files):
        """Required documents of this application without any file."""
        have = {f["document_id"] for f in files}
        return [d for d in self.documents() if d.get("required") and d["id"] not in have]

    def form(self, step, formdata=None, live=False, raws=None, item=None):
        """The step's (or item's) form, from posted data, else from the given raw answers, else from the stored ones."""
        questions = self.questions(step, item)
        if formdata is None:
            formdata = formdata_for(questions, raws if raws is not None else {k: a.raw for k, a in self.answers.items()})
        return build_form(questions, formdata, self.values, self.labels, live=live)

    def errors(self, step):
        """Messages of the stored answers of a step, by question id (empty when complete)."""
        if step.id not in self._errors:
            found = {}
            for item in self.items(step) if step.repeat else [None]:
                form = self.form(step, item=item)
                form.validate()
                found |= {k: v[0] for k, v in form.errors.items() if v}
            if step.repeat and not step.repeat.get("min", 0) <= len(self.items(step)) <= step.repeat.get("max", 99):
                found[items_key(step)] = "count"
            self._errors[step.id] = found
        return self._errors[step.id]

    def done(self, step):
        """A step is done when the applicant has sent it once and its stored answers are still valid; a stop never is."""
        return not step.stop and step.id in self.confirmed and not self.errors(step)

    def first_unfinished(self):
        """The first step not yet done, or None when all are."""
        return next((s for s in self.steps if not self.done(s)), None)

    def may_visit(self, step):
        """A step may be opened when it applies and every step before it was sent complete.

        Sent complete is what was remembered when each step was sent: the stored answers are not validated again
        here (that cost grew with every step), but on check answers and at submit (`first_unfinished`)."""
        if step not in self.steps:
            return False
        for earlier in self.steps:
            if earlier is step:
                return True
            if earlier.stop or earlier.id not in self.confirmed:
                return False
        return False

    def position(self, step):
        """(number of this step, number of steps) for "step N of M"."""
        return self.steps.index(step) + 1, len(self.steps)

    def neighbour(self, step, offset):
        """The step before (-1) or after (+1) this one, or None."""
        i = self.steps.index(step) + offset
        return self.steps[i] if 0 <= i < len(self.steps) else None

