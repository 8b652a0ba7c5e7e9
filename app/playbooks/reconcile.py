"""Reconciliation of paper drafts (草表核对): the records of an incident's region and exam that
the registry import (批量录入) created or changed since the region switched to paper draft
forms, for staff to tick off against the paper.

The import writes an audit row per updated record and one per created chunk (naming the
created ids), each with reason ``import #<batch>``: those rows are the source, so a record
edited on a screen is not mistaken for a draft entered. A chunk spanning several units is
filed under the importing user's unit, which may lie above the region: such rows are read too
and the records are then kept to the region.
"""
import datetime as dt

from sqlalchemy import or_, select

from ..audit import AuditLog
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, scoped, subtree_range
from ..phases.rules import ancestor_paths
from .models import IncidentDraftCheck

IMPORT_REASON = "import #"
_CHUNK = 1000


def imported_records(incident):
    """[(candidate, how, at, batch id)] in unit and name order; ``how`` is "created" or
    "updated" (created wins when both), ``at`` the latest import of the record."""
    if incident.paper_since is None:
        return []
    region = incident.node
    rows = db.session.execute(
        select(AuditLog.action, AuditLog.row_id, AuditLog.changes, AuditLog.at, AuditLog.reason)
        .where(AuditLog.table_name == Candidate.__tablename__,
               AuditLog.action.in_(("import", "update")),
               AuditLog.reason.startswith(IMPORT_REASON),
               AuditLog.at >= incident.paper_since,
               or_(subtree_range(AuditLog.node_path, region.path),
                   AuditLog.node_path.in_(ancestor_paths(region))))
        .order_by(AuditLog.id)).all()
    seen = {}
    for action, row_id, changes, at, reason in rows:
        created = action == "import"
        ids = (changes or {}).get("created", []) if created else [row_id]
        batch = reason[len(IMPORT_REASON):]
        for cid in ids:
            how = "created" if created or seen.get(cid, ("",))[0] == "created" else "updated"
            seen[cid] = (how, at, batch)
    found = []
    ids = list(seen)
    for start in range(0, len(ids), _CHUNK):
        stmt = (select(Candidate).join(Node, Node.id == Candidate.node_id)
                .where(Candidate.id.in_(ids[start:start + _CHUNK]),
                       Candidate.exam_id == incident.exam_id,
                       subtree_range(Node.path, region.path)))
        found += db.session.execute(scoped(stmt, Candidate)).scalars().all()
    found.sort(key=lambda c: (c.node.path, c.name, c.id))
    return [(c, *seen[c.id]) for c in found]


def checked_ids(incident):
    return set(db.session.execute(select(IncidentDraftCheck.candidate_id).where(
        IncidentDraftCheck.incident_id == incident.id)).scalars())


def save_checks(incident, user, shown, ticked):
    """Tick the drafts of ``ticked`` and untick the rest of ``shown`` (ids of the page);
    ids that are not in the reconciliation list are ignored. Returns (ticked, unticked)."""
    listed = {c.id for c, *_rest in imported_records(incident)}
    shown, ticked = set(shown) & listed, set(ticked) & listed
    before = checked_ids(incident)
    add = (ticked & shown) - before
    remove = (shown - ticked) & before
    now = dt.datetime.now()
    for cid in add:
        db.session.add(IncidentDraftCheck(incident=incident, candidate_id=cid, user_id=user.id,
                                          at=now))
    if remove:
        for check in db.session.execute(select(IncidentDraftCheck).where(
                IncidentDraftCheck.incident_id == incident.id,
                IncidentDraftCheck.candidate_id.in_(remove))).scalars():
            db.session.delete(check)
    return len(add), len(remove)
