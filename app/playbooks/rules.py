"""Guards of incidents: plain functions that raise with a translated message; the views call
them and the actions of actions.py run them before changing anything."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..jurisdiction import CITY, COUNTY, PROVINCE, in_scope
from .models import CLOSED, OPEN, RESOLVED

#: the levels whose administrators open incidents (the notice: 县（市区）招办, 市（州）, 省).
OPENING_KINDS = (PROVINCE, CITY, COUNTY)
NOTE_MAX = 2000


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple
    target: str
    label: object
    #: the region must be back online first (nobody is left entering paper drafts unseen).
    needs_online: bool = False


#: the incident's status changes, one table: open → resolved → closed, reopen while resolved.
TRANSITIONS = {t.name: t for t in (
    Transition("resolve", (OPEN,), RESOLVED, _l("Mark resolved"), True),
    Transition("reopen", (RESOLVED,), OPEN, _l("Reopen")),
    Transition("close", (OPEN, RESOLVED), CLOSED, _l("Close"), True),
)}


class IncidentRefused(ValueError):
    """A request about an incident refused with a message for the user."""


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
    """Steps and actions are recorded only while the incident is open."""
    if incident.status == CLOSED:
        raise IncidentRefused(_l("The incident is closed: nothing more can be recorded."))
    if incident.status != OPEN:
        raise IncidentRefused(_l("The incident is marked resolved: reopen it to act on it."))


def check_not_closed(incident):
    """Notes and the reconciliation of paper drafts go on until the incident is closed."""
    if incident.status == CLOSED:
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


def check_transition(incident, name):
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise IncidentRefused(_l("Unknown status change."))
    if incident.status not in transition.sources:
        raise IncidentRefused(_l("The incident is %(status)s: it cannot be changed so.",
                                 status=incident.status_label))
    if transition.needs_online and incident.on_paper:
        raise IncidentRefused(_l("The region still collects on paper draft forms: switch it "
                                 "back online first."))
    return transition
