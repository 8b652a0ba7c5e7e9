"""Review states and transitions, defined once (审核流程), plus the lock (签字确认后锁定).

draft → confirmed (by the candidate, or staff on paper) → school_approved (first review at the
school or registration point, its head signs) → county_approved → city_approved (→
province_approved); each level may reject with a reason back to the candidate, who corrects and
confirms again.

Which levels review a record is data, not code: ``REVIEW_CHAINS`` lists them per exam kind, and
a level with no unit above the record is skipped (a school directly under a city, 直属学校, has
no county). An approve or reject step applies to the state its previous level leaves.

What may change when, decided here only:
- An approved record's data is frozen too: an approval covers the data it saw, so a staff
  change must wait until a reviewer rejects the record (it then goes through review again).
- Printing the 报名登记表 records which version of the record the paper shows; staff mark it
  signed only while that version is still current, and signing locks the record: nothing may
  change its data until an upper level unlocks it with a reason.
- The lock freezes the data (“一经签字确认，任何人不得擅自更改”), not the review: approvals
  move on a signed record. A rejection sends the record back for correction, which the lock
  forbids, so it needs an unlock first.
"""
import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..exams.models import ADULT, GAOKAO, ZHONGZHAO
from ..jurisdiction import CITY, COUNTY, PROVINCE
from ..phases.rules import check_open_for
from ..policy import Locked

from ..candidates.states import (APPROVED, CITY_OK, CONFIRMED, COUNTY_OK, DRAFT,  # noqa: F401
                                 PROVINCE_OK, REJECTED, SCHOOL_OK, STATE_LABELS)
CANDIDATE = "candidate"  # the actor name of the self-service page
STAFF = ("school_staff", "point_staff")
# First review (初审): the school's reviewer, or the reviewer bound to a registration point
# (the role may be bound to either; see security.ROLES).
FIRST_REVIEWERS = ("school_reviewer",)
# The province's approvals are its administrators' (as for point proposals).
PROVINCE_REVIEWERS = ("province_admin",)

# --- review levels (审核层级), per exam kind ----------------------------------------------------
#
# UNIT is the first review where the candidate registers (school, 报名点, or the 成人高考
# confirmation point's on-site confirmation); the others are the regions above it.
UNIT = "unit"
RECORD, QUALIFICATION = "record", "qualification"
#: The levels reviewing a candidate's record and its qualification applications, in order.
#: 中招 (seeds 000/001): school → county → city. 高考 (seed 002): 报名点 → 县 → 市, the
#: qualifications (优惠 / 专项资格) on to the province. 成人高考 (seed 004): point confirmation,
#: then county → city → province.
REVIEW_CHAINS = {
    ZHONGZHAO: {RECORD: (UNIT, COUNTY, CITY), QUALIFICATION: (UNIT, COUNTY, CITY)},
    GAOKAO: {RECORD: (UNIT, COUNTY, CITY), QUALIFICATION: (UNIT, COUNTY, CITY, PROVINCE)},
    ADULT: {RECORD: (UNIT, COUNTY, CITY, PROVINCE),
            QUALIFICATION: (UNIT, COUNTY, CITY, PROVINCE)},
}
#: The state a level's approval leaves.
APPROVED_AT = {UNIT: SCHOOL_OK, COUNTY: COUNTY_OK, CITY: CITY_OK, PROVINCE: PROVINCE_OK}
#: The unit shapes a record can have: every region above it, or no county (直属学校).
_UNIT_SHAPES = ({UNIT, COUNTY, CITY, PROVINCE}, {UNIT, CITY, PROVINCE})


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    from_states: tuple
    to_state: str | None  # None: the state stays (lock operations)
    roles: tuple
    activity: str | None
    needs_reason: bool = False
    needs_signoff: bool = False
    #: A review level's step (approve / reject): its from-state is derived per record from
    #: REVIEW_CHAINS, ``from_states`` being every state it may start from in some chain.
    review_level: str | None = None


def review_chain(subject, exam_kind, node):
    """The levels reviewing ``subject`` (RECORD or QUALIFICATION) of an exam of ``exam_kind``
    at unit ``node``: the kind's chain without the levels that have no unit above ``node``."""
    present = {UNIT}
    region = node.parent if node is not None else None
    while region is not None:
        present.add(region.kind)
        region = region.parent
    return tuple(level for level in REVIEW_CHAINS.get(exam_kind, {}).get(subject, ())
                 if level in present)


def level_from_states(level, chain, start):
    """The state a ``level`` step starts from in ``chain``: what the previous level's approval
    leaves, or ``start`` for the first level; () when the chain has no such level."""
    if level not in chain:
        return ()
    i = chain.index(level)
    return (start,) if i == 0 else (APPROVED_AT[chain[i - 1]],)


def _possible_from(subject, level, start):
    """Every state ``level`` may start from, over every exam kind and unit shape."""
    states = {s for chains in REVIEW_CHAINS.values() for shape in _UNIT_SHAPES
              for s in level_from_states(level, tuple(lv for lv in chains[subject]
                                                      if lv in shape), start)}
    return tuple(sorted(states, key=[start, *APPROVED_AT.values()].index))


def _level_steps(subject, start, level, labels, roles, activity, prefix="", **kw):
    """The approve and reject steps of one review level."""
    from_states = _possible_from(subject, level, start)
    approve, reject = labels
    name = {UNIT: "school"}.get(level, level)
    return (Transition(f"{prefix}{name}_approve", approve, from_states, APPROVED_AT[level],
                       roles, activity, review_level=level, **kw),
            Transition(f"{prefix}{name}_reject", reject, from_states, REJECTED, roles,
                       activity, needs_reason=True, review_level=level))


TRANSITIONS = {t.action: t for t in (
    Transition("confirm", _l("Confirm my information"), (DRAFT, REJECTED), CONFIRMED,
               (CANDIDATE,), "self_registration"),
    Transition("confirm_on_behalf", _l("Confirm (paper form signed)"), (DRAFT, REJECTED),
               CONFIRMED, STAFF, "staff_entry"),
    *_level_steps(RECORD, CONFIRMED, UNIT, (_l("Approve (school / point)"),
                                            _l("Reject (school / point)")),
                  FIRST_REVIEWERS, "school_review", needs_signoff=True),
    *_level_steps(RECORD, CONFIRMED, COUNTY, (_l("Approve (county)"), _l("Reject (county)")),
                  ("county_reviewer",), "county_review"),
    *_level_steps(RECORD, CONFIRMED, CITY, (_l("Approve (city)"), _l("Reject (city)")),
                  ("city_reviewer",), "city_review"),
    *_level_steps(RECORD, CONFIRMED, PROVINCE, (_l("Approve (province)"),
                                                _l("Reject (province)")),
                  PROVINCE_REVIEWERS, "province_review"),
    Transition("mark_signed", _l("Mark signed and lock"), (CONFIRMED, *APPROVED),
               None, STAFF, "confirmation"),
    Transition("unlock", _l("Unlock"), tuple(STATE_LABELS), None, (), None, needs_reason=True),
    Transition("relock", _l("Lock again"), tuple(STATE_LABELS), None, (), None),
)}


class TransitionRefused(Exception):
    """A transition that does not apply to this record (skipped, with a translated reason)."""


class Conflict(TransitionRefused):
    """Someone else changed the record since it was loaded."""


def unlock_roles():
    """Who may unlock a signed record: county level and above unless configured otherwise."""
    return tuple(current_app.config.get("UNLOCK_ROLES",
                                        ("county_admin", "city_admin", "province_admin")))


def allowed_roles(transition):
    return unlock_roles() if transition.action in ("unlock", "relock") else transition.roles


def _locked_message(name):
    return _l("%(name)s's record is signed and locked; an upper level must unlock it "
              "with a reason before it can change.", name=name)


def editable_refusal(name, state, locked):
    """The rule of :func:`check_editable` on plain values, for writers that read records in
    bulk without loading them (the registry import): the translated refusal, or None."""
    if locked:
        return _locked_message(name)
    if state in APPROVED:
        return _l("%(name)s's record is “%(state)s”: its data cannot change while approved. "
                  "A reviewer must reject it with a reason first; it is then reviewed "
                  "again.", name=name, state=STATE_LABELS[state])
    return None


def check_unlocked(candidate):
    """The lock alone: a signed record's data may not change until an upper level unlocks it."""
    if candidate is not None and candidate.locked:
        raise Locked(_locked_message(candidate.name))


def check_editable(candidate):
    """Every write to a candidate's data calls this (staff screens, imports, photos,
    self-service): refused on a signed (locked) record, and on an approved one, whose approval
    covers the data as it was seen; a reviewer rejects it first, and it is reviewed again."""
    if candidate is not None:
        refusal = editable_refusal(candidate.name, candidate.state, candidate.locked)
        if refusal is not None:
            raise Locked(refusal)


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TransitionRefused(_l("The version must be a whole number.")) from None


def actor_roles(user):
    return {CANDIDATE} if user is None else {r.name for r in user.roles}


def check_transition(subject, transitions, labels, action, user, reason=None,
                     principal_name=None, signed_on=None, expected_version=None, chain=None):
    """The checks every workflow shares: action, role, version seen, state, reason, sign-off.

    ``subject`` has ``state``, ``version`` and ``name``; returns (transition, cleaned reason).
    ``chain``: (review levels of this subject, the state its first level starts from); a
    review level's step then starts from what the previous level of that chain leaves.
    """
    transition = transitions.get(action)
    if transition is None:
        raise TransitionRefused(_l("Unknown action."))
    if not actor_roles(user) & set(allowed_roles(transition)):
        raise TransitionRefused(_l("Your role may not do “%(action)s”.", action=transition.label))
    if expected_version not in (None, "") and _as_int(expected_version) != subject.version:
        raise Conflict(_l("%(name)s was changed by someone else after you loaded the page; "
                          "reload and check again.", name=subject.name))
    from_states = transition.from_states
    if chain is not None and transition.review_level is not None:
        from_states = level_from_states(transition.review_level, *chain)
        if not from_states:
            raise TransitionRefused(_l("“%(action)s” is not a review step of %(name)s: that "
                                       "level does not review this exam or unit.",
                                       action=transition.label, name=subject.name))
    if subject.state not in from_states:
        raise TransitionRefused(_l("%(name)s is “%(state)s”: “%(action)s” does not apply.",
                                   name=subject.name, state=labels[subject.state],
                                   action=transition.label))
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise TransitionRefused(_l("A reason is required."))
    if transition.needs_signoff and not ((principal_name or "").strip() and signed_on):
        raise TransitionRefused(_l("The name of the principal (or the point's head) and the "
                                   "sign-off date are required."))
    return transition, reason


def _exam_kind(candidate):
    return candidate.exam.kind if candidate.exam is not None else None


def offered_transitions(transitions, user):
    """The transitions ``user``'s roles may run at all: what its screens offer. A review
    role belongs to one level, so this answers for role and level at once."""
    roles = actor_roles(user)
    return [t for t in transitions.values() if roles & set(allowed_roles(t))]


def waiting_state(user, start=CONFIRMED):
    """The state records wait in for ``user``'s review level (where its review list opens),
    in the full chain; None for a user who reviews nothing."""
    for transition in offered_transitions(TRANSITIONS, user):
        if transition.review_level is not None:
            return level_from_states(transition.review_level, (UNIT, COUNTY, CITY, PROVINCE),
                                     start)[0]
    return None


def tone(transition):
    """What a transition means to the eye: approve, reject, lock (lock operations) or confirm."""
    if transition.to_state in APPROVED:
        return "approve"
    if transition.to_state == REJECTED:
        return "reject"
    return "lock" if transition.to_state is None else "confirm"


def applicable_transitions(candidate, user, now=None):
    """[(transition, refusal)] over the transitions ``user`` may run at all: refusal is None
    when it applies to ``candidate`` now, else the translated reason why not. The reason and
    sign-off the confirmation page asks for are taken as given."""
    result = []
    for transition in offered_transitions(TRANSITIONS, user):
        try:
            check_apply(candidate, transition.action, user, reason="-", principal_name="-",
                        signed_on=dt.date.today(), now=now)
            result.append((transition, None))
        except (TransitionRefused, Locked, PermissionError) as exc:
            result.append((transition, exc.args[0] if exc.args else str(exc)))
    return result


def check_apply(candidate, action, user, reason=None, principal_name=None, signed_on=None,
                expected_version=None, now=None):
    """Every check of :func:`apply`, changing nothing: (transition, cleaned reason), or raises
    TransitionRefused / Conflict / PhaseClosed / Locked with a translated message."""
    transition, reason = check_transition(
        candidate, TRANSITIONS, STATE_LABELS, action, user, reason, principal_name, signed_on,
        expected_version, chain=(review_chain(RECORD, _exam_kind(candidate), candidate.node),
                                 CONFIRMED))
    if transition.to_state in (REJECTED, CONFIRMED):
        # Both send the data round again (to the candidate, or on behalf of the paper form):
        # not while the signature holds it.
        check_unlocked(candidate)
    if action == "mark_signed":
        if candidate.locked:
            raise TransitionRefused(_l("%(name)s is already locked.", name=candidate.name))
        check_printed_current(candidate)
    if action == "unlock" and not candidate.locked:
        raise TransitionRefused(_l("%(name)s is not locked.", name=candidate.name))
    if action == "relock":
        if candidate.locked or candidate.signed_at is None:
            raise TransitionRefused(_l("%(name)s cannot be locked again now.",
                                       name=candidate.name))
        check_printed_current(candidate)
    if transition.activity:
        check_open_for(transition.activity, candidate, now)
    return transition, reason


def apply(candidate, action, user, reason=None, principal_name=None, signed_on=None,
          expected_version=None, now=None):
    """Perform ``action`` on one candidate loaded through the caller's scope.

    Raises TransitionRefused / Conflict / PhaseClosed / Locked with a translated message;
    on success adds the ReviewEvent (the caller commits, and a concurrent commit surfaces as
    StaleDataError thanks to the version column).
    """
    from .models import ReviewEvent

    transition, reason = check_apply(candidate, action, user, reason, principal_name,
                                     signed_on, expected_version, now)
    before = candidate.state
    now = now or dt.datetime.now()
    if transition.to_state == REJECTED:
        # The paper was found wrong: signing needs a form printed after the correction.
        candidate.printed_at = candidate.printed_version = None
    else:
        _keep_print_current(candidate)
    if transition.to_state is not None:
        candidate.state = transition.to_state
        candidate.reject_reason = reason if transition.to_state == REJECTED else None
    if action == "mark_signed":
        candidate.signed_at, candidate.locked = now, True
    elif action == "unlock":
        candidate.locked = False
    elif action == "relock":
        candidate.locked = True
    from ..extensions import db

    db.session.add(ReviewEvent(
        candidate=candidate, action=action, from_state=before, to_state=candidate.state,
        reason=reason or None, principal_name=(principal_name or "").strip() or None,
        signed_on=signed_on, user_id=getattr(user, "id", None),
        actor=getattr(user, "username", None) or CANDIDATE, at=now))
    if action in ("unlock", "relock"):
        # The session's audit rows of this flush carry the reason too.
        db.session.info["audit_reason"] = reason or None


# --- the printed paper (报名登记表) and the record version it shows ------------------------
#
# ``Candidate.version`` is SQLAlchemy's version column: every UPDATE of the row adds one, data
# change or not (another listener also bumps it when guardians, study history or photos
# change). The printed version is therefore set to the value the row will have after the
# flush that stores it, and carried along by the workflow's own changes (approvals, signing,
# unlock), which do not change what the paper shows.


def _print_current(candidate):
    return candidate.printed_version is not None and candidate.printed_version == candidate.version


def _keep_print_current(candidate):
    if _print_current(candidate):
        candidate.printed_version = candidate.version + 1


def check_printed_current(candidate):
    """Signing binds the paper: refuse unless the form printed last shows the record as it is."""
    if candidate.printed_version is None:
        raise TransitionRefused(_l("Print the registration form of %(name)s first.",
                                   name=candidate.name))
    if not _print_current(candidate):
        raise TransitionRefused(_l("%(name)s: the record changed after the form was printed: "
                                   "print it again.", name=candidate.name))


def mark_printed(candidate, now=None):
    """The 报名登记表 was printed (forms hook, single or batch): remember the version it shows.

    Only a confirmed (or reviewed) record's form is the one to sign; printing the same version
    again changes nothing."""
    if candidate.state in (DRAFT, REJECTED) or _print_current(candidate):
        return
    candidate.printed_at = now or dt.datetime.now()
    candidate.printed_version = candidate.version + 1  # the version after this change's flush


# --- qualification types (资格审核: 分配生, 少数民族照顾, 农村专项…), their own chain ----------

PENDING = "pending"
QUALIFICATION_KINDS = {
    "allocation": _l("Allocated place (分配生)"),
    "ethnic_bonus": _l("Ethnic minority bonus points (少数民族照顾)"),
    "rural_special": _l("Rural special enrolment (农村专项)"),
}
QUALIFICATION_STATES = {
    PENDING: _l("Pending"), SCHOOL_OK: _l("Approved by school / point"),
    COUNTY_OK: _l("Approved by county"), CITY_OK: _l("Approved by city"),
    PROVINCE_OK: _l("Approved by province"), REJECTED: _l("Rejected"),
}
QUALIFICATION_TRANSITIONS = {t.action: t for t in (
    *_level_steps(QUALIFICATION, PENDING, UNIT,
                  (_l("Approve qualification (school / point)"),
                   _l("Reject qualification (school / point)")),
                  FIRST_REVIEWERS, "school_review", prefix="q_", needs_signoff=True),
    *_level_steps(QUALIFICATION, PENDING, COUNTY, (_l("Approve qualification (county)"),
                                                   _l("Reject qualification (county)")),
                  ("county_reviewer",), "county_review", prefix="q_"),
    *_level_steps(QUALIFICATION, PENDING, CITY, (_l("Approve qualification (city)"),
                                                 _l("Reject qualification (city)")),
                  ("city_reviewer",), "city_review", prefix="q_"),
    *_level_steps(QUALIFICATION, PENDING, PROVINCE, (_l("Approve qualification (province)"),
                                                     _l("Reject qualification (province)")),
                  PROVINCE_REVIEWERS, "province_review", prefix="q_"),
    Transition("q_resubmit", _l("Resubmit qualification"), (REJECTED,), PENDING, STAFF,
               "staff_entry"),
)}


def apply_qualification(qualification, action, user, reason=None, principal_name=None,
                        signed_on=None, expected_version=None, now=None):
    """Same contract as :func:`apply`, for one qualification application."""
    from ..extensions import db
    from .models import ReviewEvent

    candidate = qualification.candidate
    transition, reason = check_transition(
        qualification, QUALIFICATION_TRANSITIONS, QUALIFICATION_STATES, action, user, reason,
        principal_name, signed_on, expected_version,
        chain=(review_chain(QUALIFICATION, _exam_kind(candidate), candidate.node), PENDING))
    check_open_for(transition.activity, qualification.candidate, now)
    before = qualification.state
    qualification.state = transition.to_state
    qualification.reject_reason = reason if transition.to_state == REJECTED else None
    db.session.add(ReviewEvent(
        candidate=qualification.candidate, qualification=qualification, action=action,
        from_state=before, to_state=qualification.state, reason=reason or None,
        principal_name=(principal_name or "").strip() or None, signed_on=signed_on,
        user_id=getattr(user, "id", None), actor=getattr(user, "username", None) or CANDIDATE,
        at=now or dt.datetime.now()))
