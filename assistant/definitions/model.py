"""A service definition as the program holds it: questions, steps and the service."""
from dataclasses import dataclass, field, replace

ITEM = "__"  # joins a repeat step's question id and an item's number: member_birth_date__2


@dataclass
class Question:
    """One question of a step, as written in the YAML file."""
    id: str
    type: str
    label: str
    hint: str = None
    required: bool = False
    partial: bool = False
    latin: bool = False
    autocomplete: str = None
    prefill: str = None
    show_if: dict = None
    choices: list = field(default_factory=list)
    checks: list = field(default_factory=list)

    def of_item(self, number, item_ids):
        """This question of a repeat step as asked for one item: its id, and its checks' references to the item's questions."""
        def ref(check):
            return {k: (f"{v}{ITEM}{number}" if k != "message" and v in item_ids else v) for k, v in check.items()}
        return replace(self, id=f"{self.id}{ITEM}{number}", checks=[ref(c) for c in self.checks])


@dataclass
class Step:
    """A page of questions; a `stop` page ends the way (nothing can be sent past it); a `repeat` step is asked per item."""
    id: str
    title: str
    questions: list
    intro: str = None
    show_if: dict = None
    stop: dict = None
    repeat: dict = None

    def __post_init__(self):
        self._items = {}

    def item_questions(self, number):
        """The questions of a repeat step as asked for item `number` (ids `<question>__<number>`)."""
        if number not in self._items:
            ids = {q.id for q in self.questions}
            self._items[number] = [q.of_item(number, ids) for q in self.questions]
        return self._items[number]


@dataclass
class Service:
    """A whole service definition."""
    id: str
    version: int
    title: str
    summary: str
    audience: str
    steps: list
    fee: dict = field(default_factory=dict)  # none: nothing to pay
    tables: dict = field(default_factory=dict)  # dated values (thresholds) by name, for conditions and notices
    leika: str = None
    prepare: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    source: str = None
    data: dict = field(default=None, repr=False)  # the definition as loaded, kept by its hash
    hash: str = None

    def __post_init__(self):
        self.questions = {q.id: q for s in self.steps for q in s.questions}
        self.step_of = {q.id: s for s in self.steps for q in s.questions}

    def step(self, step_id):
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)

