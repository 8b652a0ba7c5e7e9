"""Guards of incidents: plain functions that raise with a translated message; the views call
them and the actions of actions.py run them before changing anything. The incident's status
changes are one transition table (``app.transitions``); screens ask the named predicates
below, never the status itself."""
from flask_babel import lazy_gettext as _l

from .. import transitions
from ..jurisdiction import CITY, COUNTY, PROVINCE, in_scope
from ..refusals import Refused
from ..transitions import Transition
from .models import CLOSED, OPEN, RESOLVED, STATUS_LABELS, Incident

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


def handling_unit(incident):
    """The unit an incident is with: the one it was last reported to, else the nearest level
    that opens incidents at or above its region (a school's incident is with its county)."""
    if incident.escalated_to is not None:
        return incident.escalated_to
    unit = incident.node
    while unit is not None and unit.kind not in OPENING_KINDS:
        unit = unit.parent
    return unit


def level_above(incident):
    """The unit an escalation reports the incident to (None: it is with the province)."""
    unit = handling_unit(incident)
    return unit.parent if unit is not None else None


def _level_above_exists(move):
    if level_above(move.subject) is None:
        raise IncidentRefused(_l("The incident is already with the province: there is no "
                                 "level above to report it to."))


def _by_the_handling_unit(move):
    """市（州）要及时报告省: the unit the incident is with reports it, not a colleague elsewhere."""
    unit = handling_unit(move.subject)
    node = getattr(move.user, "node", None)
    if node is None or unit is None or node.id != unit.id:
        raise IncidentRefused(_l("The incident is with %(unit)s: only its administrators report "
                                 "it to the level above.", unit=unit.name if unit else "—"))


def _escalated(move):
    incident = move.subject
    above = level_above(incident)
    # The id too: the audit trail reads the columns before the flush would set it.
    incident.escalated_to, incident.escalated_to_id = above, above.id
    incident.escalated_on = move.now
    incident.escalated_by_id = move.user.id
    move.context["escalated_to"] = above.name


#: The incident's status changes, one table: open → resolved → closed, reopen while resolved.
#: Escalation keeps the status and reports the incident one level up (county → city →
#: province); the home page notices of the levels above show it (app/dashboard.py).
#: Who may change it is the incident screen's ``act`` permission (roles=None).
TRANSITIONS = {t.action: t for t in (
    Transition("escalate", _l("Report to the level above"), (OPEN,), None, None,
               guards=(_level_above_exists, _by_the_handling_unit), effects=(_escalated,)),
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


def status_changes(incident, user):
    """[(transition, refusal)] of the status changes that start from ``incident``'s status
    (the incident page's buttons): refusal is None when ``user`` may run it now, else why not
    (the button is shown disabled with it)."""
    changes = transitions.possible(
        TRANSITIONS, user, lambda t: transitions.check(incident, t, user, STATUS_LABELS,
                                                       state="status", name=INCIDENT))
    return [(t, refusal) for t, refusal in changes if incident.status in t.from_states]


def on_notice():
    """The SQL condition of the incidents the home page announces to the levels above:
    those still open (a closed or resolved one is off the notice)."""
    return Incident.status == OPEN


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
