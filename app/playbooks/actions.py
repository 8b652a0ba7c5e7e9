"""What staff do on an incident: tick a step, add a note, change the status, and the automated
steps the system carries out (extend a window, postpone registration, paper draft forms and
back, data snapshot). Each checks its guards first and writes one log entry saying who did
what and when; the caller commits."""
import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..phases.models import Phase
from ..phases.rules import grant_extension, now_local
from . import rules
from .models import IncidentEntry, IncidentSnapshot
from .playbooks import EXTEND, ONLINE, PAPER, POSTPONE, SNAPSHOT
from .rules import (IncidentRefused, check_action, check_active, check_not_closed, check_note,
                    check_step)


def _record(incident, user, kind, step=None, note=None, detail=None):
    entry = IncidentEntry(incident=incident, kind=kind, step=step, user_id=user.id,
                          at=dt.datetime.now(), note=note, detail=detail)
    db.session.add(entry)
    return entry


def tick(incident, user, step_key, note):
    """A step done by hand, with a note saying what was done (required)."""
    check_active(incident)
    step = check_step(incident, step_key)
    return _record(incident, user, "done", step.key,
                   check_note(note, _l("Say in a note what was done.")))


def add_note(incident, user, note):
    check_not_closed(incident)
    return _record(incident, user, "note", note=check_note(note, _l("The note is empty.")))


def change_status(incident, user, action, note):
    """A status change of the table of rules.py (or the escalation, whose detail names the
    unit it was reported to), logged with its note."""
    note = check_note(note)
    move = rules.change_status(incident, user, action)
    return _record(incident, user, "status", note=note,
                   detail={"from": move.before, "to": incident.status, **move.context})


# --- automated steps ---------------------------------------------------------------------

def extendable_phases(incident, action):
    """The windows of the incident's exam that ``action`` may extend, by start."""
    stmt = select(Phase).where(Phase.exam_id == incident.exam_id).order_by(Phase.start, Phase.id)
    if action.activities is not None:
        stmt = stmt.where(Phase.activity.in_(action.activities))
    return db.session.execute(stmt).scalars().all()


def extend(incident, user, step_key, kind, phase_id, new_end, note):
    """延时 for the incident's region (extend_phase, or postpone = the registration window):
    a PhaseExtension granted through phases.rules (the extension screen's guard: city or
    province administrators only), with the incident as its reason."""
    if kind not in (EXTEND, POSTPONE):
        raise IncidentRefused(_l("This step does not offer that action."))
    step, action = check_action(incident, step_key, kind)
    note = check_note(note)
    phases = {p.id: p for p in extendable_phases(incident, action)}
    if not phases:
        raise IncidentRefused(_l("The exam has no window this step could extend."))
    phase = phases.get(phase_id)
    if phase is None:
        raise IncidentRefused(_l("Choose one of the windows this step may extend."))
    if new_end is None:
        raise IncidentRefused(_l("Enter the new end as a date and time."))
    if new_end <= now_local():
        raise IncidentRefused(_l("The new end must be in the future."))
    reason = _("Incident #%(id)s (%(anomaly)s)", id=incident.id, anomaly=incident.anomaly_label)
    if note:
        reason += ": " + note
    extension = grant_extension(user, phase, incident.node, new_end, reason[:500])
    db.session.flush()
    return _record(incident, user, kind, step.key, note, {
        "extension_id": extension.id, "phase_id": phase.id, "phase": phase.name,
        "node": incident.node.name, "new_end": new_end.strftime("%Y-%m-%d %H:%M")})


def switch_to_paper(incident, user, step_key, note):
    """纸质草表: the region collects on blank draft forms until it is back online; the
    reconciliation counts the imports from the first switch on."""
    step, _action = check_action(incident, step_key, PAPER)
    if incident.on_paper:
        raise IncidentRefused(_l("The region has collected on paper draft forms since %(at)s.",
                                 at=incident.paper_since.strftime("%Y-%m-%d %H:%M")))
    now = dt.datetime.now()
    incident.paper_since = incident.paper_since or now
    incident.paper_until = None
    return _record(incident, user, PAPER, step.key, check_note(note), {"since": now.isoformat()})


def back_online(incident, user, step_key, note):
    """The region is online again: the drafts are entered by the registry import (批量录入)
    and ticked off on the reconciliation page."""
    step, _action = check_action(incident, step_key, ONLINE)
    if not incident.on_paper:
        raise IncidentRefused(_l("The region is not collecting on paper draft forms."))
    incident.paper_until = dt.datetime.now()
    return _record(incident, user, ONLINE, step.key, check_note(note),
                   {"until": incident.paper_until.isoformat()})


def request_snapshot(incident, user, step_key, note):
    """数据备份: a new snapshot row for the job of tasks.take_snapshot (the caller commits and
    enqueues). One at a time per incident."""
    step, _action = check_action(incident, step_key, SNAPSHOT)
    note = check_note(note)
    if any(not s.final for s in incident.snapshots):
        raise IncidentRefused(_l("A snapshot of this incident is being made: wait until it "
                                 "has finished."))
    snapshot = IncidentSnapshot(incident=incident, user_id=user.id)
    snapshot.queue()
    db.session.add(snapshot)
    db.session.flush()
    _record(incident, user, SNAPSHOT, step.key, note, {"snapshot_id": snapshot.id})
    return snapshot
