"""A service definition as the program holds it: questions, steps and the service, and the `show_if` rule."""
from dataclasses import dataclass, field


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


@dataclass
class Step:
    """A page of questions."""
    id: str
    title: str
    questions: list
    intro: str = None
    show_if: dict = None


@dataclass
class Service:
    """A whole service definition."""
    id: str
    version: int
    title: str
    summary: str
    audience: str
    fee: dict
    steps: list
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


def matches(condition, values):
    """Whether the canonical answers satisfy a `show_if` condition (None always matches)."""
    if not condition:
        return True
    for key, wanted in condition.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if values.get(key) not in options:
            return False
    return True
