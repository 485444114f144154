"""The journey through a service: which steps and questions apply, what is done, where to go next."""
from ..definitions import matches
from .forms import build_form, formdata_for


class Journey:
    """Where an application stands: visible steps and questions, what is complete, where to go next."""

    def __init__(self, service, answers, confirmed=()):
        self.service = service
        self.answers = answers
        self.confirmed = set(confirmed)
        self.labels = {qid: q.label for qid, q in service.questions.items()}
        self.values = {}
        self.steps = []
        for step in service.steps:  # conditions refer to earlier steps only, so one pass decides
            if matches(step.show_if, self.values):
                self.steps.append(step)
                for q in self.questions(step):
                    if q.id in answers:
                        self.values[q.id] = answers[q.id].value
        self._errors = {}

    def questions(self, step):
        """The questions of a step that apply to this application."""
        return [q for q in step.questions if matches(q.show_if, self.values)]

    def documents(self):
        """The documents this application needs."""
        return [d for d in self.service.documents if matches(d.get("show_if"), self.values)]

    def missing_documents(self, files):
        """Required documents of this application without any file."""
        have = {f["document_id"] for f in files}
        return [d for d in self.documents() if d.get("required") and d["id"] not in have]

    def form(self, step, formdata=None, live=False, raws=None):
        """The step's form, from posted data, else from the given raw answers, else from the stored ones."""
        questions = self.questions(step)
        if formdata is None:
            formdata = formdata_for(questions, raws if raws is not None else {k: a.raw for k, a in self.answers.items()})
        return build_form(questions, formdata, self.values, self.labels, live=live)

    def errors(self, step):
        """Messages of the stored answers of a step, by question id (empty when complete)."""
        if step.id not in self._errors:
            form = self.form(step)
            form.validate()
            self._errors[step.id] = {k: v[0] for k, v in form.errors.items() if v}
        return self._errors[step.id]

    def done(self, step):
        """A step is done when the applicant has sent it once and its stored answers are still valid."""
        return step.id in self.confirmed and not self.errors(step)

    def first_unfinished(self):
        """The first step not yet done, or None when all are."""
        return next((s for s in self.steps if not self.done(s)), None)

    def may_visit(self, step):
        """A step may be opened when it applies and every step before it is complete."""
        if step not in self.steps:
            return False
        first = self.first_unfinished()
        return first is None or self.steps.index(step) <= self.steps.index(first)

    def position(self, step):
        """(number of this step, number of steps) for "step N of M"."""
        return self.steps.index(step) + 1, len(self.steps)

    def neighbour(self, step, offset):
        """The step before (-1) or after (+1) this one, or None."""
        i = self.steps.index(step) + offset
        return self.steps[i] if 0 <= i < len(self.steps) else None
