"""证件审核: the city reviews the documents other than the 居民身份证 before the candidate
counts (seed 004 §四.3: holders of 港澳台 documents, 华侨 and foreign passports are photographed
on site, their documents copied, and 上报市（州）招考机构审核).

The point (or school, or county administrator) records the copy of the document and submits
it; the city administrator or reviewer approves it or rejects it with a reason; a rejected
check is submitted again with a new copy. One transition table (app/transitions.py) decides
who takes which step; ``cleared_clause`` is the one rule of "counts": an ID-card holder, or an
approved check.
"""
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from .. import codes
from .. import filestore
from ..extensions import db
from ..security import (CITY_ADMIN, CITY_REVIEWER, COUNTY_ADMIN, POINT_STAFF, PROVINCE_ADMIN,
                        SCHOOL_STAFF)
from ..transitions import Transition, TransitionRefused
from .models import DOC_APPROVED, DOC_PENDING, DOC_REJECTED, Candidate, DocumentCheck

#: the file-store folder of the document copies.
COPIES = "document-copies"

STATE_LABELS = {None: _l("Not submitted"), DOC_PENDING: _l("Waiting for the city's review"),
                DOC_APPROVED: _l("Approved by the city"), DOC_REJECTED: _l("Rejected")}


def needs_review(candidate):
    """Whether the candidate's document is one the city reviews."""
    return (candidate.id_type or codes.ID_CARD) != codes.ID_CARD


def cleared_clause():
    """SQL: the candidate counts as far as documents go (an ID card, or an approved check)."""
    approved = exists(select(DocumentCheck.id).where(
        DocumentCheck.candidate_id == Candidate.id, DocumentCheck.state == DOC_APPROVED))
    return or_(Candidate.id_type == codes.ID_CARD, approved)


def refusal(candidate, check):
    """Why the candidate does not count yet, or None."""
    if not needs_review(candidate) or (check is not None and check.state == DOC_APPROVED):
        return None
    if check is None or check.state is None:
        return _l("The copy of the document has not been submitted to the city.")
    if check.state == DOC_PENDING:
        return _l("The document is waiting for the city's review.")
    return _l("The city rejected the document: %(reason)s", reason=check.reason or "")


# --- transitions -----------------------------------------------------------------------------

def _reviewed_kind(move):
    if not needs_review(move.subject.candidate):
        raise TransitionRefused(_l("The candidate registered with a resident identity card: "
                                   "there is no document to review."))


def _copy_given(move):
    if move.context.get("copy") is None:
        raise TransitionRefused(_l("Upload the copy of the document (PDF or JPEG)."))


def _store_copy(move):
    data, mimetype, ext, filename = move.context["copy"]
    check = move.subject
    old = check.copy_ref
    check.copy_ref = filestore.put(f"{COPIES}/{uuid.uuid4().hex}.{ext}", data)
    check.copy_name, check.copy_type = filename, mimetype
    check.submitted_by, check.submitted_at = move.actor, move.now
    check.decided_by = check.decided_at = check.reason = None
    if old:
        move.context["replaced"] = old


def _decided(move):
    move.subject.decided_by, move.subject.decided_at = move.actor, move.now
    move.subject.reason = move.reason or None


SUBMIT = "submit"
TRANSITIONS = {t.action: t for t in (
    Transition(SUBMIT, _l("Submit the copy to the city"), (None, DOC_REJECTED), DOC_PENDING,
               (POINT_STAFF, SCHOOL_STAFF, COUNTY_ADMIN), guards=(_reviewed_kind, _copy_given),
               effects=(_store_copy,)),
    Transition("city_approve", _l("Approve the document (city)"), (DOC_PENDING,), DOC_APPROVED,
               (CITY_ADMIN, CITY_REVIEWER, PROVINCE_ADMIN), guards=(_reviewed_kind,),
               effects=(_decided,)),
    Transition("city_reject", _l("Reject the document (city)"), (DOC_PENDING, DOC_APPROVED),
               DOC_REJECTED, (CITY_ADMIN, CITY_REVIEWER, PROVINCE_ADMIN), needs_reason=True,
               guards=(_reviewed_kind,), effects=(_decided,)),
)}
DECISIONS = {a: t for a, t in TRANSITIONS.items() if a != SUBMIT}


def check_of(candidate):
    """The candidate's check row, or a new unsaved one (state None)."""
    found = db.session.execute(select(DocumentCheck).where(
        DocumentCheck.candidate_id == candidate.id)).scalar_one_or_none()
    return found or DocumentCheck(candidate=candidate, state=None)
