"""成人高考 on-site confirmation at the confirmation point (现场确认, seed 004 §四.3; issue 18.4).

The point checks the candidate's documents (a document other than the 居民身份证 is copied for
the city's 证件审核, ``candidates/documents.py``), takes the photo (``photos``: camera or the
ID-card reader's file, the same checks), records the 照顾加分 the candidate claims once it has
seen the originals (``exemption.CLAIM``), sees the candidate copy and sign the integrity pledge
by hand, and confirms. Confirming *is* the first review's approval (``review.workflow``'s
``school_approve``, the state everything downstream reads as "confirmed on site"), preceded by
the checks of this module and followed by the point's record (``AdultOnsite``), in one
transaction: a refusal changes nothing.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..candidates import documents
from ..candidates.models import DOC_APPROVED, DOC_PENDING, Candidate
from ..candidates.policy import is_approved
from ..candidates.states import APPROVED, CONFIRMED, OPEN_TO_CANDIDATE, confirmed_by_candidate
from ..extensions import db
from ..jurisdiction import scope_clause
from ..phases.rules import PhaseClosed, check_open_for
from ..photos.models import PHOTO
from ..photos.service import current_photo
from ..review import workflow
from ..transitions import Conflict, TransitionRefused, may_run
from .exemption import is_adult
from .onsite_models import AdultOnsite

#: The window of the point's work (its daily hours and 户籍 days apply).
ACTIVITY = "confirmation"
#: The first review's approval: what "confirmed on site" is.
APPROVE = "school_approve"
#: 证件审核 states in which the copy counts as recorded (the city reviews it afterwards).
_COPY_RECORDED = {DOC_PENDING: True, DOC_APPROVED: True}

NOT_ONLINE, WAITING, DONE = "not_online", "waiting", "done"
ONSITE_STATES = {WAITING: _l("Waiting for the on-site confirmation"),
                 DONE: _l("Confirmed on site"),
                 NOT_ONLINE: _l("Not confirmed online yet")}
#: confirmed online, on site or not (what a batch of 报名流程表 prints by default).
CONFIRMED_OR_LATER = "confirmed"
#: the list's filter and the batches: the SQL condition on the record's state of each.
_STATE_SQL = {NOT_ONLINE: lambda: Candidate.state.in_(OPEN_TO_CANDIDATE),
              WAITING: lambda: Candidate.state == CONFIRMED,
              DONE: lambda: Candidate.state.in_(APPROVED),
              CONFIRMED_OR_LATER: lambda: Candidate.state.notin_(OPEN_TO_CANDIDATE)}
PAGE_SIZE = 50


class OnsiteRefused(TransitionRefused):
    """The confirmation cannot be made now; the message says why (nothing changed)."""


def onsite_state(state):
    """The on-site confirmation state of a record in review ``state``."""
    if is_approved(state):
        return DONE
    return WAITING if confirmed_by_candidate(state) else NOT_ONLINE


def state_clause(code):
    """SQL condition on Candidate for one of the states above (or CONFIRMED_OR_LATER)."""
    return _STATE_SQL[code]()


def onsite_of(candidate):
    """The point's record of the candidate, or a new unsaved one."""
    found = db.session.execute(select(AdultOnsite).where(
        AdultOnsite.candidate_id == candidate.id)).scalar_one_or_none()
    return found or AdultOnsite(candidate=candidate)


def search(exam_id, node, query="", state=None, page=0):
    """(candidates of one page, total) of ``exam_id`` in ``node``'s subtree: by document
    number, 考生号 (exact) or name (its beginning), and the on-site state."""
    stmt = select(Candidate).where(Candidate.exam_id == exam_id, scope_clause(Candidate, node))
    query = " ".join((query or "").split())
    if query:
        like = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Candidate.id_number == query.upper(),
                              Candidate.candidate_number == query,
                              Candidate.name.like(like, escape="\\")))
    if state in ONSITE_STATES:
        stmt = stmt.where(state_clause(state))
    total = db.session.execute(select(db.func.count()).select_from(stmt.subquery())).scalar()
    rows = db.session.execute(stmt.order_by(Candidate.node_id, Candidate.candidate_number,
                                            Candidate.id)
                              .offset(page * PAGE_SIZE).limit(PAGE_SIZE)).scalars().all()
    return rows, total


# --- the conditions, each with its translated refusal -------------------------------------------

def document_refusal(candidate):
    """None when the document is settled for the confirmation: a 居民身份证 (checked here, by
    the tick of the confirm form), or another document whose copy was recorded for the city."""
    if not documents.needs_review(candidate):
        return None
    check = documents.check_of(candidate)
    if _COPY_RECORDED.get(check.state, False):
        return None
    return documents.refusal(candidate, check)


def photo_refusal(candidate):
    """None when the candidate has a current photo that passes the checks."""
    photo = current_photo(candidate.id, PHOTO)
    if photo is None:
        return _l("No photo has been taken yet: take it with the camera or upload the ID "
                  "card reader's photo file.")
    if not photo.checks:
        return _l("The photo has not been checked yet: take or upload it again.")
    if not photo.checks.get("ok"):
        return _l("The photo does not pass the checks: take or upload it again.")
    return None


def window_refusal(candidate, now=None):
    try:
        check_open_for(ACTIVITY, candidate, now)
    except PhaseClosed as exc:
        return exc.args[0]
    return None


def state_refusal(candidate):
    if not is_adult(candidate):
        return _l("Only 成人高考 candidates are confirmed here.")
    if is_approved(candidate.state):
        return _l("%(name)s has already been confirmed on site.", name=candidate.name)
    if not confirmed_by_candidate(candidate.state):
        return _l("%(name)s has not confirmed the registration online yet: the candidate "
                  "confirms it (with the integrity pledge) on the registration website first.",
                  name=candidate.name)
    return None


def checklist(candidate, user, now=None):
    """[(code, label, refusal or None)] of what the confirmation needs, as the page shows it
    (the ticks of the confirm form are asked when it is sent)."""
    role = None
    if not may_run(workflow.TRANSITIONS[APPROVE], user):
        role = _l("Your role may not do “%(action)s”.",
                  action=workflow.TRANSITIONS[APPROVE].label)
    return [("state", _l("Registration confirmed online"), state_refusal(candidate)),
            ("window", _l("On-site confirmation window open"), window_refusal(candidate, now)),
            ("document", _l("Identity document checked or its copy recorded"),
             document_refusal(candidate)),
            ("photo", _l("Photo passing the checks"), photo_refusal(candidate)),
            ("role", _l("Allowed to confirm"), role)]


def confirm(candidate, action, user, expected_version=None, pledge=False, documents_seen=False,
            principal_name=None, signed_on=None, now=None, **_kw):
    """Confirm ``candidate`` on site (the ``apply_fn`` of ``review.views.run_transition``):
    every check of this module, then the workflow's first-review approval (its role, sign-off
    and window rules), then the point's record. Raises with a translated message; the caller
    commits (the version column reports a concurrent change) or rolls back."""
    if action != APPROVE:
        raise TransitionRefused(_l("Unknown action."))
    if expected_version in (None, "") or str(expected_version) != str(candidate.version):
        raise Conflict(_l("%(name)s was changed by someone else after you loaded the page; "
                          "reload and check again.", name=candidate.name))
    refusal = state_refusal(candidate)
    if refusal is not None:
        raise OnsiteRefused(refusal)
    check_open_for(ACTIVITY, candidate, now)  # PhaseClosed (403) names the window and hours
    for refusal in (document_refusal(candidate), photo_refusal(candidate)):
        if refusal is not None:
            raise OnsiteRefused(refusal)
    if not documents_seen:
        raise OnsiteRefused(_l("Tick that you have checked the original identity document "
                               "against the candidate."))
    if not pledge:
        raise OnsiteRefused(_l("Tick that the candidate has copied and signed the integrity "
                               "pledge by hand on site."))
    workflow.apply(candidate, APPROVE, user, principal_name=principal_name, signed_on=signed_on,
                   expected_version=expected_version, now=now)
    row = onsite_of(candidate)
    moment = now or dt.datetime.now()
    name = user.username
    row.pledge_copied_by = row.documents_seen_by = row.confirmed_by = name
    row.pledge_copied_at = row.documents_seen_at = row.confirmed_at = moment
    db.session.add(row)
    return row
