"""The approval chains of the 成人高考 exam logistics (seed 004 §四.9–10), as transition tables
(app/transitions.py):

* **exam sites** (考点): the exam area (county, or a city for its own points) proposes a site
  on the form → the city agrees or returns it with a reason → the province approves or returns
  it. Changing an approved site's rooms or seats per room sends it back to the city; only
  approved sites are used by the numbering.
* **room allocation** (考场编排) of an exam area after numbering: the area submits it, the city
  approves or returns it; the 考务 documents are generated only for approved allocations, and a
  numbering run that changes the area's seats opens it again (numbering.py).

Every step raises a Refused with a translated message and otherwise changes the session (the
caller commits; the version columns surface a concurrent change).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from .. import transitions
from ..extensions import db
from ..jurisdiction import Node, subtree_range
from ..security import CITY_ADMIN, COUNTY_ADMIN, PROVINCE_ADMIN
from ..transitions import Transition, TransitionRefused
from .models import (ALLOC_APPROVED, ALLOC_OPEN, ALLOC_RETURNED, ALLOC_SUBMITTED,
                     ALLOCATION_STATES, SITE_APPROVED, SITE_CITY_AGREED, SITE_PROPOSED,
                     SITE_RETURNED, SITE_STATES, ExamSite, RoomAllocation, SeatAssignment)

PROPOSE, REVISE = "propose", "revise"


# --- exam sites -------------------------------------------------------------------------------

def _new_round(move):
    """A (re)proposal goes to the city; earlier decisions stay in the audit log."""
    site = move.subject
    site.return_reason = None
    site.city_by_id = site.city_at = site.province_by_id = site.province_at = None


def _by_city(move):
    move.subject.city_by_id, move.subject.city_at = move.user.id, move.now
    move.subject.return_reason = move.reason if move.transition.to_state == SITE_RETURNED \
        else None


def _by_province(move):
    move.subject.province_by_id, move.subject.province_at = move.user.id, move.now
    move.subject.return_reason = move.reason if move.transition.to_state == SITE_RETURNED \
        else None


def _nobody_seated(move):
    """A site with seats issued cannot be taken out of use: renumber first."""
    if move.subject.id is not None and db.session.execute(select(SeatAssignment.id).where(
            SeatAssignment.site_id == move.subject.id)).first():
        raise TransitionRefused(_l("Candidates are seated at %(name)s: renumber the tickets "
                                   "before returning it.", name=move.subject.name))


SITE_TRANSITIONS = {t.action: t for t in (
    # The add and edit forms (a new site; a returned or pending one rewritten; an approved
    # one whose rooms or seats changed): (back) to the city.
    Transition(PROPOSE, _l("Propose the exam site"),
               (None, SITE_PROPOSED, SITE_CITY_AGREED, SITE_RETURNED), SITE_PROPOSED, None,
               effects=(_new_round,)),
    Transition(REVISE, _l("Change the rooms of an approved exam site"), (SITE_APPROVED,),
               SITE_PROPOSED, None, effects=(_new_round,)),
    Transition("city_agree", _l("Agree to the exam site (city)"), (SITE_PROPOSED,),
               SITE_CITY_AGREED, (CITY_ADMIN,), effects=(_by_city,)),
    Transition("city_return", _l("Return the exam site (city)"),
               (SITE_PROPOSED, SITE_CITY_AGREED), SITE_RETURNED, (CITY_ADMIN,),
               needs_reason=True, effects=(_by_city,)),
    Transition("province_approve", _l("Approve the exam site (province)"),
               (SITE_CITY_AGREED,), SITE_APPROVED, (PROVINCE_ADMIN,), effects=(_by_province,)),
    Transition("province_return", _l("Return the exam site (province)"),
               (SITE_CITY_AGREED, SITE_APPROVED), SITE_RETURNED, (PROVINCE_ADMIN,),
               needs_reason=True, guards=(_nobody_seated,), effects=(_by_province,)),
)}
#: The steps the site's page offers (proposing and revising are the form).
SITE_ACTIONS = {a: t for a, t in SITE_TRANSITIONS.items() if a not in (PROPOSE, REVISE)}


def save_site(site, user, reviewed_change):
    """The add or edit form's save: a new site, or any change to a site not approved yet,
    goes (back) to the city; an approved site goes back only when ``reviewed_change`` (its
    rooms, seats per room, name or address changed), else it stays approved."""
    try:
        move = transitions.check(site, SITE_TRANSITIONS[PROPOSE], user, SITE_STATES)
    except TransitionRefused:  # approved
        if not reviewed_change:
            return
        move = transitions.check(site, SITE_TRANSITIONS[REVISE], user, SITE_STATES)
    transitions.apply(move)


def decide_site(site, action, user, reason=None, expected_version=None):
    """Agree, approve or return one site loaded through the caller's scope."""
    transitions.apply(transitions.check(site, transitions.find(SITE_ACTIONS, action), user,
                                        SITE_STATES, reason, expected_version=expected_version))


def site_steps(site, user):
    """[(transition, refusal or None)] of the steps ``user`` may run on ``site`` at all."""
    return transitions.possible(SITE_ACTIONS, user, lambda t: transitions.check(
        site, t, user, SITE_STATES, reason="-"))


def unapproved_sites(exam_id, node):
    """The sites of ``exam_id`` in ``node``'s subtree (or serving it) not approved yet."""
    return db.session.execute(select(ExamSite).join(Node, Node.id == ExamSite.node_id).where(
        ExamSite.exam_id == exam_id, ExamSite.state != SITE_APPROVED,
        subtree_range(Node.path, node.path)).order_by(Node.path, ExamSite.code)).scalars().all()


# --- room allocation --------------------------------------------------------------------------

def seated_count(exam_id, area):
    """How many candidates are seated at the sites of exam area ``area``."""
    return db.session.execute(select(func.count(SeatAssignment.id)).join(ExamSite).where(
        ExamSite.exam_id == exam_id, ExamSite.node_id == area.id)).scalar()


def _has_seats(move):
    allocation = move.subject
    seated = move.context.get("seated")
    if seated is None:
        seated = seated_count(allocation.exam_id, allocation.node)
    if not seated:
        raise TransitionRefused(_l("Nobody is seated at the exam sites of %(area)s yet: the "
                                   "room allocation follows the ticket numbering.",
                                   area=allocation.node.name))


def _submitted(move):
    alloc = move.subject
    alloc.submitted_by_id, alloc.submitted_at, alloc.reason = move.user.id, move.now, None
    alloc.approved_by_id = alloc.approved_at = None


def _decided(move):
    alloc = move.subject
    alloc.approved_by_id, alloc.approved_at = move.user.id, move.now
    alloc.reason = move.reason if move.transition.to_state == ALLOC_RETURNED else None


ALLOCATION_TRANSITIONS = {t.action: t for t in (
    Transition("submit", _l("Submit the room allocation to the city"),
               (None, ALLOC_OPEN, ALLOC_RETURNED), ALLOC_SUBMITTED,
               (COUNTY_ADMIN, CITY_ADMIN, PROVINCE_ADMIN), guards=(_has_seats,),
               effects=(_submitted,)),
    Transition("approve", _l("Approve the room allocation (city)"), (ALLOC_SUBMITTED,),
               ALLOC_APPROVED, (CITY_ADMIN,), guards=(_has_seats,), effects=(_decided,)),
    Transition("return", _l("Return the room allocation (city)"),
               (ALLOC_SUBMITTED, ALLOC_APPROVED), ALLOC_RETURNED, (CITY_ADMIN,),
               needs_reason=True, effects=(_decided,)),
)}


def allocation_of(exam_id, area, create=False):
    """The room allocation of exam area ``area`` (a new, unsaved open one when ``create``)."""
    found = db.session.execute(select(RoomAllocation).where(
        RoomAllocation.exam_id == exam_id, RoomAllocation.node_id == area.id)
    ).scalar_one_or_none()
    if found is None and create:
        found = RoomAllocation(exam_id=exam_id, node=area, state=ALLOC_OPEN)
        db.session.add(found)
    return found


def decide_allocation(allocation, action, user, reason=None, expected_version=None):
    transitions.apply(transitions.check(
        allocation, transitions.find(ALLOCATION_TRANSITIONS, action), user, ALLOCATION_STATES,
        reason, expected_version=expected_version))


def allocation_steps(allocation, user, seated):
    """[(transition, refusal or None)] for one area's allocation (``seated``: its count)."""
    return transitions.possible(ALLOCATION_TRANSITIONS, user, lambda t: transitions.check(
        allocation, t, user, ALLOCATION_STATES, reason="-", context={"seated": seated}))


def reopen_allocations(conn, exam_id, area_ids):
    """A numbering run changed the seats of these areas: their allocations are open again
    (in the caller's transaction; the numbering's audit row names it). Returns how many."""
    if not area_ids:
        return 0
    return conn.execute(update(RoomAllocation.__table__).where(
        RoomAllocation.exam_id == exam_id, RoomAllocation.node_id.in_(list(area_ids)),
        RoomAllocation.state != ALLOC_OPEN).values(
            state=ALLOC_OPEN, reason=None, approved_by_id=None, approved_at=None,
            version=RoomAllocation.version + 1)).rowcount


def unapproved_areas(exam_id, unit):
    """[(area node, state label)] of the exam areas in ``unit``'s subtree with candidates
    seated at their sites whose room allocation is not approved."""
    seated = select(ExamSite.node_id).join(SeatAssignment, SeatAssignment.site_id == ExamSite.id) \
        .where(ExamSite.exam_id == exam_id).distinct()
    rows = db.session.execute(
        select(Node, RoomAllocation.state).outerjoin(RoomAllocation, (
            RoomAllocation.node_id == Node.id) & (RoomAllocation.exam_id == exam_id))
        .where(Node.id.in_(seated), subtree_range(Node.path, unit.path),
               (RoomAllocation.state.is_(None)) | (RoomAllocation.state != ALLOC_APPROVED))
        .order_by(Node.path)).all()
    return [(node, ALLOCATION_STATES.get(state or ALLOC_OPEN)) for node, state in rows]


def documents_refusal(exam_id, unit):
    """Why the 考务 documents of ``unit``'s sites cannot be generated now, or None."""
    waiting = unapproved_areas(exam_id, unit)
    if waiting:
        names = "、".join(f"{node.name}（{label}）" for node, label in waiting[:10])
        return _l("The room allocation of these exam areas is not approved by the city yet: "
                  "%(areas)s. The documents are generated once it is.", areas=names)
    seated = db.session.execute(select(func.count(SeatAssignment.id)).join(ExamSite)
                                .join(Node, Node.id == ExamSite.node_id).where(
        ExamSite.exam_id == exam_id, subtree_range(Node.path, unit.path))).scalar()
    if not seated:
        return _l("Nobody is seated at the exam sites of %(unit)s: number the tickets first.",
                  unit=unit.name)
    return None
