"""What a reviewer reads before deciding (审核依据): the record's review timeline, its changes
since the last approval, its lock and print status, and whether its data may change now.

Plain data for the review and candidate detail pages, read in a few bounded queries per record
(the bulk confirmation page loads its photos for all rows at once)."""
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..candidates import policy
from ..audit import AuditLog
from ..audit_display import change_rows, table_label
from ..extensions import db
from ..jurisdiction import Node
from ..candidates.states import APPROVED
from ..photos.models import ID_DOCUMENT, PHOTO, CandidatePhoto
from ..photos.service import recheck
from ..security import KsUser
from ..transitions import CANDIDATE
from .models import ReviewEvent
from .workflow import TRANSITIONS, tone

#: How far back a detail page reads: a record's history is short, but a page stays bounded.
HISTORY_LIMIT = 200
PRINT = _l("Registration form printed")
DATA_EVENTS = ("insert", "update", "delete")
#: Columns the workflow itself writes (review steps, printing, signing): not data changes.
WORKFLOW_FIELDS = {"state", "reject_reason", "printed_at", "printed_version", "signed_at",
                   "locked"}
_APPROVE_ACTIONS = tuple(t.action for t in TRANSITIONS.values() if tone(t) == "approve")


def current_pictures(candidate_ids):
    """{candidate id: {kind, …}} of the current photo and ID document scan, in one query."""
    ids = list(candidate_ids)
    found = {}
    if ids:
        for cid, kind in db.session.execute(
                select(CandidatePhoto.candidate_id, CandidatePhoto.kind).where(
                    CandidatePhoto.candidate_id.in_(ids), CandidatePhoto.current.is_(True),
                    CandidatePhoto.kind.in_((PHOTO, ID_DOCUMENT)))):
            found.setdefault(cid, set()).add(kind)
    return found


def picture_checks(candidate_id):
    """{kind: result rows} of the current photo and ID document scan: what the checks
    measured on the stored file, shown beside it. A picture stored before the results were
    kept is checked now and its results kept (once; ``flask kaosheng photo-recheck`` does
    them all)."""
    return _checks_of(_current_photos(candidate_id))


def _current_photos(candidate_id):
    return db.session.execute(select(CandidatePhoto).where(
        CandidatePhoto.candidate_id == candidate_id, CandidatePhoto.current.is_(True),
        CandidatePhoto.kind.in_((PHOTO, ID_DOCUMENT)))).scalars().all()


def _checks_of(photos):
    if any(p.checks is None for p in photos):
        for photo in photos:
            if photo.checks is None:
                recheck(photo)
        db.session.commit()
    return {p.kind: p.check_rows for p in photos}


def _people(user_ids):
    """{user id: (full name, unit name)} in one query."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(KsUser.id, KsUser.last_name, KsUser.first_name, Node.name)
                              .outerjoin(Node, Node.id == KsUser.node_id)
                              .where(KsUser.id.in_(ids)))
    return {uid: (f"{last or ''}{first or ''}", unit or "") for uid, last, first, unit in rows}


def _events(candidate_id):
    return db.session.execute(select(ReviewEvent).where(ReviewEvent.candidate_id == candidate_id)
                              .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc())
                              .limit(HISTORY_LIMIT)).scalars().all()


def _prints(candidate_id):
    return db.session.execute(select(AuditLog).where(AuditLog.candidate_id == candidate_id,
                                                     AuditLog.action == "print")
                              .order_by(AuditLog.id.desc()).limit(HISTORY_LIMIT)).scalars().all()


def timeline(candidate_id, events=None, people=None):
    """Newest first: one dict per review step, signature, unlock and print of the record
    (``at``, ``who``, ``unit``, ``action``, ``tone``, ``reason``, ``signoff``). ``events``
    (the record's review events, newest first) and ``people`` (``_people`` of them) when the
    caller read them already."""
    events = _events(candidate_id) if events is None else events
    prints = _prints(candidate_id)
    people = {**(people or {}), **_people(
        {e.user_id for e in events} - set(people or ()) | {p.user_id for p in prints})}
    rows = []
    for e in events:
        transition = TRANSITIONS.get(e.action)
        name, unit = people.get(e.user_id, (e.actor, ""))
        signoff = f"{e.principal_name} {e.signed_on or ''}".strip() if e.principal_name else ""
        # The candidate's own step (self-service) has no user: say so, in the page's language.
        who = _l("By the candidate") if e.user_id is None and e.actor == CANDIDATE \
            else f"{name}（{e.actor}）"
        rows.append({"at": e.at, "who": who, "unit": unit,
                     "action": transition.label if transition else e.action,
                     "tone": tone(transition) if transition else "confirm",
                     "reason": e.reason or "", "signoff": signoff,
                     "qualification": e.qualification_id is not None})
    for p in prints:
        name, unit = people.get(p.user_id, (p.username or "", ""))
        rows.append({"at": p.at, "who": f"{name}（{p.username}）", "unit": unit, "action": PRINT,
                     "tone": "lock", "reason": "", "signoff": "", "qualification": False})
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows


def last_approval(candidate_id):
    """The record's latest approval step (not a qualification's), or None."""
    return db.session.execute(
        select(ReviewEvent).where(ReviewEvent.candidate_id == candidate_id,
                                  ReviewEvent.qualification_id.is_(None),
                                  ReviewEvent.to_state.in_(APPROVED),
                                  ReviewEvent.action.in_(_APPROVE_ACTIONS))
        .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc()).limit(1)).scalar_one_or_none()


def changes_since_approval(candidate, kind=None):
    """(approval event or None, [dict(at, who, record, rows)]) of the data changes to the record
    and its parts (guardians, study history, photos) after its last approval."""
    approval = last_approval(candidate.id)
    if approval is None:
        return None, []
    entries = db.session.execute(
        select(AuditLog).where(AuditLog.candidate_id == candidate.id,
                               AuditLog.action.in_(DATA_EVENTS), AuditLog.at > approval.at)
        .order_by(AuditLog.id).limit(HISTORY_LIMIT)).scalars().all()
    changes = []
    for e in entries:
        data = {k: v for k, v in (e.changes or {}).items() if k not in WORKFLOW_FIELDS}
        if data:
            shown = SimpleNamespace(action=e.action, table_name=e.table_name, changes=data)
            changes.append({"at": e.at, "who": e.username or "",
                            "record": table_label(e.table_name),
                            "rows": change_rows(shown, kind)})
    return approval, changes


def _last(candidate_id, actions, events=None):
    """The record's latest review event of one of ``actions``; found in ``events`` (the newest
    HISTORY_LIMIT of them, newest first) when they hold it or hold them all."""
    if events is not None:
        found = next((e for e in events if e.action in actions), None)
        if found is not None or len(events) < HISTORY_LIMIT:
            return found
    return db.session.execute(
        select(ReviewEvent).where(ReviewEvent.candidate_id == candidate_id,
                                  ReviewEvent.action.in_(actions))
        .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc()).limit(1)).scalar_one_or_none()


def lock_status(candidate, events=None, people=None):
    """Lock and print status: who locked (signed) the record and when, the last unlock and
    its reason, the printed version against the current one. ``events`` and ``people`` as
    for :func:`timeline`."""
    locker = _last(candidate.id, ("mark_signed", "relock"), events) if candidate.locked \
        else None
    unlock = _last(candidate.id, ("unlock",), events)
    known = people or {}
    people = {**known, **_people(
        [e.user_id for e in (locker, unlock) if e is not None and e.user_id not in known])}

    def who(event):
        return f"{people.get(event.user_id, (event.actor, ''))[0]}（{event.actor}）"

    return {
        "locked": candidate.locked,
        "locked_by": who(locker) if locker else "",
        "locked_at": (locker.at if locker else None) or candidate.signed_at,
        "unlocked_by": who(unlock) if unlock else "", "unlocked_at": unlock and unlock.at,
        "unlock_reason": unlock.reason if unlock else "",
        "printed_at": candidate.printed_at, "printed_version": candidate.printed_version,
        "version": candidate.version,
        "print_current": candidate.printed_version is not None
        and candidate.printed_version == candidate.version,
    }


def frozen_notice(candidate, status=None):
    """Why the record's data cannot change now and how to get it changed (the policy's lock
    and approval rules), with who locked it and when; None when it may change. ``status``:
    its :func:`lock_status` when the caller has it."""
    refusal = policy.refusal(candidate, policy.STAFF)
    if refusal is None:
        return None
    status = status or lock_status(candidate)
    how = (_l("An upper level (county administrator or above) unlocks it with a reason; ask "
              "them, then correct the record.") if candidate.locked else
           _l("A reviewer rejects it with a reason; the record is then corrected and reviewed "
              "again."))
    return {"message": refusal.message, "how": how, "locked_by": status["locked_by"],
            "locked_at": status["locked_at"]}


def dossier_of(candidate, with_changes=False):
    """Everything the review and candidate detail pages show besides the fields: timeline,
    lock and print status, the notice when the data is frozen, which pictures exist and what
    their checks measured, and
    (``with_changes``) the changes since the last approval."""
    # Read once, used thrice: the review events (timeline, lock and unlock), the people
    # they name, the current pictures (which exist, their checks, the photo column).
    events = _events(candidate.id)
    people = _people(e.user_id for e in events)
    photos = _current_photos(candidate.id)
    status = lock_status(candidate, events, people)
    data = {"candidate": candidate, "timeline": timeline(candidate.id, events, people),
            "status": status, "frozen": frozen_notice(candidate, status),
            "pictures": {p.kind for p in photos}, "checks": _checks_of(photos)}
    # photos.thumbs reads this instead of asking again (as after remember_photos on a list).
    candidate.ks_has_photo = PHOTO in data["pictures"]
    if with_changes:
        kind = candidate.exam.kind if candidate.exam else None
        data["approval"], data["changes"] = changes_since_approval(candidate, kind)
    return data
