"""The one status machine of an application: its states, their labels for applicant and staff, and the allowed moves.

The database checks the same states (migration 0006); templates get labels only from here.
"""
from flask_babel import lazy_gettext as _l

DRAFT, SUBMITTED, CLOSED = "draft", "submitted", "closed"
# state: (what the applicant reads, what staff read)
STATES = {
    "draft": (_l("Draft"), _l("Draft")),
    "submitted": (_l("Submitted"), _l("Submitted by the applicant")),
    "received": (_l("Received by the office"), _l("Received")),
    "in_review": (_l("In review"), _l("In review")),
    "waiting": (_l("Waiting for the applicant"), _l("Waiting for the applicant")),
    "decided": (_l("Decided"), _l("Decided")),
    "closed": (_l("Closed"), _l("Closed")),
}
CASE_STATES = [s for s in STATES if s != DRAFT]  # the states a submitted case can be in, in order
TRANSITIONS = {
    "draft": {"submitted"},
    "submitted": {"received", "closed"},
    "received": {"in_review", "waiting", "decided", "closed"},
    "in_review": {"waiting", "decided", "closed"},
    "waiting": {"in_review", "decided", "closed"},
    "decided": {"closed"},
    "closed": set(),
}
# What an office action does to the status, when the case is in a state that allows it.
STATUS_AFTER = {"request": "waiting", "decision": "decided"}

# Timeline events: (what the applicant reads, what staff read)
EVENTS = {
    "created": (_l("You started the application."), _l("The applicant started the application.")),
    "submitted": (_l("You submitted the application."), _l("Submitted by the applicant.")),
    "status": (_l("The status changed."), _l("The status changed.")),
    "message": (_l("The office sent a message."), _l("The office sent a message.")),
    "request": (_l("The office asks for information or documents."), _l("The office asked for information or documents.")),
    "appointment": (_l("The office invites you to an appointment."), _l("The office sent an invitation to an appointment.")),
    "decision": (_l("The office has decided on the application."), _l("The office sent the decision.")),
    "answer": (_l("You answered the office's request."), _l("The applicant answered a request.")),
    "applicant_message": (_l("You sent a message to the office."), _l("The applicant sent a message.")),
    "paid": (_l("Your payment has arrived."), _l("The fee was marked as paid.")),
    "payment_note": (None, _l("A note on the payment was written.")),  # for staff only
    # TRANSLATORS: only office staff see this, followed by the e-mail address the news went to
    "notified": (None, _l("The news was sent by e-mail.")),
    # TRANSLATORS: only office staff see this, followed by the e-mail address of whoever opened it
    "retrieved": (None, _l("The office's message or document was opened by")),
    # What a representative did, as the client reads it in their own account (the office reads the usual text).
    "created_for_you": (_l("Your representative started the application."), _l("The applicant started the application.")),
    "submitted_for_you": (_l("Your representative submitted the application."), _l("Submitted by the applicant.")),
    "handed_over": (_l("You took the application over into your account."),
                    _l("The client took the application over into their own account.")),
    "file_confirmed": (None, _l("The file number and AZR number of the person were confirmed.")),  # for staff only
}


def _side(table, audience):
    """One side of a table of (applicant's text, staff's text) pairs."""
    side = 0 if audience == "applicant" else 1
    return {key: pair[side] for key, pair in table.items()}


def labels(audience):
    """State labels for 'applicant' or 'staff'."""
    return _side(STATES, audience)


def event_labels(audience):
    """Timeline labels for 'applicant' or 'staff'."""
    return _side(EVENTS, audience)


def allowed(current, new):
    """Whether a case may move from `current` to `new`."""
    return new in TRANSITIONS.get(current, set())


def takes_messages(status):
    """Whether a case still takes messages from either side (a closed case takes none)."""
    return status != CLOSED


def next_states(current):
    """The states a case may move to, in order."""
    return [s for s in STATES if allowed(current, s)]
