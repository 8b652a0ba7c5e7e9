"""Guards of incidents: plain functions that raise with a translated message; the views call
them and the actions of actions.py run them before changing anything. The incident's status
changes are one transition table (``app.transitions``); screens ask the named predicates
below, never the status itself."""
from flask_babel import lazy_gettext as _l

from .. import transitions
from ..jurisdiction import CITY, COUNTY, PROVINCE, in_scope
from ..refusals import Refused
from ..transitions import Transition
from .models import CLOSED, OPEN, RESOLVED, STATUS_LABELS

#: the levels whose administrators open incidents (the notice: 县（市区）招办, 市（州）, 省).
OPENING_KINDS = (PROVINCE, CITY, COUNTY)
NOTE_MAX = 2000


class IncidentRefused(Refused):
    """A request about an incident refused with a message for the user."""

    status = 422


def _back_online(move):
    """The region must be back online first (nobody is left entering paper drafts unseen)."""
    if move.subject.on_paper:
        raise IncidentRefused(_l("The region still collects on paper draft forms: switch it "
                                 "back online first."))


def _resolved_on(move):
    move.subject.resolved_on = move.now


def _closed_on(move):
    move.subject.closed_on = move.now


#: The incident's status changes, one table: open → resolved → closed, reopen while resolved.
#: Who may change it is the incident screen's ``act`` permission (roles=None).
TRANSITIONS = {t.action: t for t in (
    Transition("resolve", _l("Mark resolved"), (OPEN,), RESOLVED, None,
               guards=(_back_online,), effects=(_resolved_on,)),
    Transition("reopen", _l("Reopen"), (RESOLVED,), OPEN, None),
    Transition("close", _l("Close"), (OPEN, RESOLVED), CLOSED, None,
               guards=(_back_online,), effects=(_closed_on,)),
)}
#: The name an incident goes by in the table's refusals.
INCIDENT = _l("The incident")


def is_active(incident):
    """Steps and actions are recorded only while the incident is open."""
    return incident.status == OPEN


def takes_notes(incident):
    """Notes and the reconciliation of paper drafts go on until the incident is closed."""
    return incident.status != CLOSED


def status_changes(incident):
    """The status changes that apply to ``incident`` now (the incident page's buttons)."""
    return [t for t in TRANSITIONS.values() if incident.status in t.from_states]


def check_opening(user, incident):
    """Who may open an incident, where, and with what."""
    if user.node is None or user.node.kind not in OPENING_KINDS:
        raise IncidentRefused(_l("Incidents are opened by county, city or province "
                                 "administrators."))
    if not in_scope(incident, user.node):
        raise IncidentRefused(_l("That unit is outside your jurisdiction."))
    if incident.playbook is None:
        raise IncidentRefused(_l("Choose one of the anomalies of the playbooks."))
    if incident.exam is None:
        raise IncidentRefused(_l("Choose the exam."))
    incident.summary = check_note(incident.summary, _l("Describe what happened."))


def check_note(note, missing=None):
    """The note stripped; ``missing`` (a message) makes it required."""
    note = (note or "").strip()
    if not note and missing is not None:
        raise IncidentRefused(missing)
    if len(note) > NOTE_MAX:
        raise IncidentRefused(_l("The text is too long: at most %(n)s characters.", n=NOTE_MAX))
    return note or None


def check_active(incident):
    """See :func:`is_active`."""
    check_not_closed(incident)
    if not is_active(incident):
        raise IncidentRefused(_l("The incident is marked resolved: reopen it to act on it."))


def check_not_closed(incident):
    """See :func:`takes_notes`."""
    if not takes_notes(incident):
        raise IncidentRefused(_l("The incident is closed: nothing more can be recorded."))


def check_step(incident, step_key):
    """The step of the incident's playbook named ``step_key``."""
    step = incident.playbook.step(step_key or "") if incident.playbook else None
    if step is None:
        raise IncidentRefused(_l("That step is not part of this incident's playbook."))
    return step


def check_action(incident, step_key, kind):
    """(step, action) when the step offers an automated action of ``kind``."""
    check_active(incident)
    step = check_step(incident, step_key)
    action = next((a for a in step.actions if a.kind == kind), None)
    if action is None:
        raise IncidentRefused(_l("This step does not offer that action."))
    return step, action


def change_status(incident, user, action, now=None):
    """Check and apply the status change ``action`` (the caller logs it and commits)."""
    return transitions.apply(transitions.check(
        incident, transitions.find(TRANSITIONS, action), user, STATUS_LABELS, now=now,
        state="status", name=INCIDENT), state="status")
