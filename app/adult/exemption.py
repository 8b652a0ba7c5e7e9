"""成人高考 免试入学 and 照顾加分 (seed 004 §四.6–7): the rules and the two transition tables.

免试入学: the candidate applies on the self-service pages with the exemption type, a note and
a supporting scan, and may replace or withdraw the application until the city acts; the city
reviews first (approve: sent to the province; reject with a reason); the province decides
(approve: exempt, the candidate is not seated; reject with a reason: the candidate sits the
exam). The city's and the province's steps run in the ``exemption_review`` window.

照顾加分: the city enters a candidate's bonus by policy type (points default from the type,
at most the type's maximum), in the ``bonus_entry`` window; the province approves or rejects
it with a reason. Approved points feed the scores' 特征分 and the 考生登记表's 优惠 part
(``approved_bonus_points``). The confirmation point may record, at the on-site confirmation,
the policy the candidate claims once it has seen the original certificates (``CLAIM``, in the
``confirmation`` window): the city's entry then starts from that claim (onsite, issue 18.4).

The city sends a 免试 application to the province only for a candidate confirmed on site: the
province decides with the candidate's 报名流程表 (seed 004 §四.6, "报名流程图").
"""
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from .. import filestore
from ..candidates.models import Candidate
from ..codes import ADULT
from ..exams.models import Exam
from ..extensions import db
from ..phases.rules import check_open_for
from ..security import (CITY_ADMIN, CITY_REVIEWER, POINT_STAFF, PROVINCE_ADMIN,
                        SCHOOL_REVIEWER)
from ..transitions import CANDIDATE, Transition, TransitionRefused
from .exemption_models import AdultBonus, AdultExemption
from .payments import confirmed_on_site

#: the file-store folder of the supporting scans.
SCANS = "adult-exemption-scans"
EXEMPTION_ACTIVITY = "exemption_review"
#: candidates apply while they register on line.
APPLY_ACTIVITY = "self_registration"
BONUS_ACTIVITY = "bonus_entry"
#: the point records a claim during the on-site confirmation.
CLAIM_ACTIVITY = "confirmation"
OTHER = "9"

#: 免试入学 types of the national 成人高考 policy (code → label); OTHER needs a note.
EXEMPTION_KINDS = {
    "1": _l("Model worker or advanced worker at provincial / ministerial level or above"),
    "2": _l("Winner of the National May Day Labour Medal or National Technical Expert title"),
    "3": _l("Athlete placed in the first six at the Olympic or Asian Games or a world "
            "championship, or in the first three of a national competition"),
    OTHER: _l("Other (explain in the note)"),
}

#: 照顾加分 policy types: code → (label, points, most points allowed).
BONUS_KINDS = {
    "1": (_l("Aged 25 or over (high-school-level start)"), 20, 20),
    "2": (_l("Ethnic minority candidate in a minority-inhabited area"), 20, 20),
    "3": (_l("Self-employed retired soldier"), 20, 20),
    "4": (_l("Child of a martyr"), 20, 20),
    "5": (_l("Returned overseas Chinese, their child, child of an overseas Chinese, or of "
             "Taiwan origin"), 10, 10),
    OTHER: (_l("Other (explain in the note)"), 20, 20),
}

# --- states -----------------------------------------------------------------------------------
APPLIED, SENT, APPROVED = "applied", "sent", "approved"
REJECTED, WITHDRAWN = "rejected", "withdrawn"
EXEMPTION_STATES = {None: _l("Not applied"), APPLIED: _l("Waiting for the city's review"),
                    SENT: _l("Sent to the province"), APPROVED: _l("Exempt (approved)"),
                    REJECTED: _l("Rejected"), WITHDRAWN: _l("Withdrawn")}
ENTERED, CLAIMED = "entered", "claimed"
BONUS_STATES = {None: _l("Not entered"),
                CLAIMED: _l("Claimed at the confirmation point, waiting for the city's entry"),
                ENTERED: _l("Waiting for the province's check"),
                APPROVED: _l("Approved by the province"), REJECTED: _l("Rejected")}


def exemption_kind_label(code):
    return EXEMPTION_KINDS.get(code, code or "")


def bonus_kind_label(code):
    return BONUS_KINDS[code][0] if code in BONUS_KINDS else (code or "")


def is_adult(candidate):
    exam = candidate.exam or db.session.get(Exam, candidate.exam_id)
    return exam is not None and exam.kind == ADULT


# --- what other parts read --------------------------------------------------------------------

def exempt_clause():
    """SQL condition on Candidate: the province approved the candidate's 免试入学 (such
    candidates are not seated)."""
    return exists(select(AdultExemption.id).where(
        AdultExemption.candidate_id == Candidate.id, AdultExemption.state == APPROVED))


def forwarded_clause():
    """SQL condition on AdultExemption: the city sent the application to the province (it
    waits there, or the province decided it)."""
    return or_(AdultExemption.state.in_((SENT, APPROVED)),
               and_(AdultExemption.state == REJECTED, AdultExemption.decided_at.is_not(None)))


def approved_bonus_points(candidate_ids):
    """{candidate_id: points} of the province-approved bonuses of ``candidate_ids`` (one
    query; candidates without one are absent)."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(AdultBonus.candidate_id, AdultBonus.points).where(
        AdultBonus.candidate_id.in_(ids), AdultBonus.state == APPROVED))
    return {cid: points for cid, points in rows}


# --- shared guards / effects ------------------------------------------------------------------

def _adult(move):
    if not is_adult(move.subject.candidate):
        raise TransitionRefused(_l("Only 成人高考 candidates have this."))


def _window(move):
    check_open_for(move.transition.activity, move.subject.candidate)


def _decided(move):
    move.subject.decided_by, move.subject.decided_at = move.actor, move.now
    move.subject.reason = move.reason or None


# --- 免试入学 -----------------------------------------------------------------------------------

def clean_application(kind, note):
    """(kind, note) of an application, or raise with what is wrong."""
    kind, note = (kind or "").strip(), (note or "").strip()
    if kind not in EXEMPTION_KINDS:
        raise TransitionRefused(_l("Choose the type of exemption."))
    if len(note) > 500:
        raise TransitionRefused(_l("The note is longer than 500 characters."))
    if kind == OTHER and not note:
        raise TransitionRefused(_l("Explain the exemption of type “other” in the note."))
    return kind, note or None


def _application_given(move):
    move.context["fields"] = clean_application(move.context.get("kind"),
                                               move.context.get("note"))
    if move.context.get("scan") is None:
        raise TransitionRefused(_l("Upload the supporting document (PDF or JPEG)."))


def _store_application(move):
    row = move.subject
    row.kind, row.note = move.context["fields"]
    scan = move.context["scan"]
    if scan is not True:  # True: only asked whether the step is possible
        data, mimetype, ext, filename = scan
        old = row.scan_ref
        row.scan_ref = filestore.put(f"{SCANS}/{uuid.uuid4().hex}.{ext}", data)
        row.scan_name, row.scan_type = filename, mimetype
        if old:
            move.context["replaced"] = old
    row.applied_at = move.now
    row.city_by = row.city_at = row.decided_by = row.decided_at = row.reason = None


def _confirmed_on_site(move):
    """The city forwards a 免试 application with the candidate's 报名流程表: only once the
    point has confirmed the candidate on site."""
    candidate = move.subject.candidate
    if not confirmed_on_site(candidate.state):
        raise TransitionRefused(_l("%(name)s has not been confirmed on site yet: the city sends "
                                   "an exemption application to the province only with the "
                                   "candidate's registration procedure sheet, after the on-site "
                                   "confirmation.", name=candidate.name))


def _city_decided(move):
    move.subject.city_by, move.subject.city_at = move.actor, move.now
    move.subject.reason = move.reason or None


APPLY, WITHDRAW = "apply", "withdraw"
CITY = (CITY_ADMIN, CITY_REVIEWER)
EXEMPTION_TRANSITIONS = {t.action: t for t in (
    Transition(APPLY, _l("Apply for exemption"), (None, APPLIED, WITHDRAWN), APPLIED,
               (CANDIDATE,), APPLY_ACTIVITY, guards=(_adult, _window, _application_given),
               effects=(_store_application,)),
    Transition(WITHDRAW, _l("Withdraw the application"), (APPLIED,), WITHDRAWN, (CANDIDATE,)),
    Transition("city_approve", _l("Pass the first review and send to the province"),
               (APPLIED,), SENT, CITY, EXEMPTION_ACTIVITY,
               guards=(_adult, _window, _confirmed_on_site), effects=(_city_decided,)),
    Transition("city_reject", _l("Reject (city)"), (APPLIED,), REJECTED, CITY,
               EXEMPTION_ACTIVITY, needs_reason=True, guards=(_adult, _window),
               effects=(_city_decided,)),
    Transition("province_approve", _l("Approve the exemption (province)"), (SENT,), APPROVED,
               (PROVINCE_ADMIN,), EXEMPTION_ACTIVITY, guards=(_adult, _window),
               effects=(_decided,)),
    Transition("province_reject", _l("Reject (province)"), (SENT, APPROVED), REJECTED,
               (PROVINCE_ADMIN,), EXEMPTION_ACTIVITY, needs_reason=True,
               guards=(_adult, _window), effects=(_decided,)),
)}
EXEMPTION_DECISIONS = {a: t for a, t in EXEMPTION_TRANSITIONS.items()
                       if a not in (APPLY, WITHDRAW)}


def exemption_of(candidate):
    """The candidate's application, or a new unsaved one (state None)."""
    found = db.session.execute(select(AdultExemption).where(
        AdultExemption.candidate_id == candidate.id)).scalar_one_or_none()
    return found or AdultExemption(candidate=candidate, state=None)


# --- 照顾加分 -----------------------------------------------------------------------------------

def clean_bonus(kind, points, note):
    """(kind, points, note) of a bonus entry; points default from the type; raises."""
    kind, note = (kind or "").strip(), (note or "").strip()
    if kind not in BONUS_KINDS:
        raise TransitionRefused(_l("Choose the policy type of the bonus."))
    _label, default, most = BONUS_KINDS[kind]
    if points in (None, ""):
        points = default
    try:
        points = int(str(points).strip())
    except ValueError:
        raise TransitionRefused(_l("The points must be a whole number.")) from None
    if not 1 <= points <= most:
        raise TransitionRefused(_l("The points of this type are 1 to %(most)s.", most=most))
    if len(note) > 500:
        raise TransitionRefused(_l("The note is longer than 500 characters."))
    if kind == OTHER and not note:
        raise TransitionRefused(_l("Explain the bonus of type “other” in the note."))
    return kind, points, note or None


def _bonus_given(move):
    ctx = move.context
    move.context["fields"] = clean_bonus(ctx.get("kind"), ctx.get("points"), ctx.get("note"))


def clean_claim(kind, note, originals_seen):
    """(kind, note) of a point's claim; the point must have seen the original certificates."""
    kind, note = (kind or "").strip(), (note or "").strip()
    if kind not in BONUS_KINDS:
        raise TransitionRefused(_l("Choose the policy type of the bonus."))
    if len(note) > 500:
        raise TransitionRefused(_l("The note is longer than 500 characters."))
    if kind == OTHER and not note:
        raise TransitionRefused(_l("Explain the bonus of type “other” in the note."))
    if not originals_seen:
        raise TransitionRefused(_l("Tick that you have seen the original certificates of the "
                                   "claimed policy."))
    return kind, note or None


def _claim_given(move):
    ctx = move.context
    move.context["fields"] = clean_claim(ctx.get("kind"), ctx.get("note"),
                                         ctx.get("originals_seen"))


def _store_claim(move):
    row = move.subject
    row.claim_kind, row.claim_note = move.context["fields"]
    row.kind = row.claim_kind  # what the city's entry starts from
    row.claimed_by, row.claimed_at = move.actor, move.now


def _store_bonus(move):
    row = move.subject
    row.kind, row.points, row.note = move.context["fields"]
    row.entered_by, row.entered_at = move.actor, move.now
    row.decided_by = row.decided_at = row.reason = None


ENTER, CLAIM = "enter", "claim"
BONUS_TRANSITIONS = {t.action: t for t in (
    Transition(CLAIM, _l("Record the claimed policy (confirmation point)"), (None, CLAIMED),
               CLAIMED, (POINT_STAFF, SCHOOL_REVIEWER), CLAIM_ACTIVITY,
               guards=(_adult, _window, _claim_given), effects=(_store_claim,)),
    Transition(ENTER, _l("Enter the bonus (city)"), (None, CLAIMED, ENTERED, REJECTED), ENTERED,
               CITY, BONUS_ACTIVITY, guards=(_adult, _window, _bonus_given),
               effects=(_store_bonus,)),
    Transition("province_approve", _l("Approve the bonus (province)"), (ENTERED,), APPROVED,
               (PROVINCE_ADMIN,), BONUS_ACTIVITY, guards=(_adult, _window),
               effects=(_decided,)),
    Transition("province_reject", _l("Reject the bonus (province)"), (ENTERED, APPROVED),
               REJECTED, (PROVINCE_ADMIN,), BONUS_ACTIVITY, needs_reason=True,
               guards=(_adult, _window), effects=(_decided,)),
)}
BONUS_DECISIONS = {a: t for a, t in BONUS_TRANSITIONS.items() if a not in (ENTER, CLAIM)}


def bonus_of(candidate):
    """The candidate's bonus row, or a new unsaved one (state None)."""
    found = db.session.execute(select(AdultBonus).where(
        AdultBonus.candidate_id == candidate.id)).scalar_one_or_none()
    return found or AdultBonus(candidate=candidate, state=None)
