"""Checks every staff write to a candidate goes through (plain functions; views call them
from their guard / pre_delete hooks). They raise :class:`~app.refusals.Refused`: whether the
record may change now is ``app.candidates.policy``'s; what makes its data valid is decided here."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import codes
from . import policy
from ..extensions import db
from ..jurisdiction import POINT, SCHOOL, Node, in_scope
from ..phases.rules import check_open
from ..refusals import BadInput, NotAllowed
from .labels import LABELS
from .models import Candidate
from ..validators import EXAM_FIELDS, InvalidValue, check_document_consistency, check_exam_field

#: The phase activity of every staff write to a candidate's data.
STAFF_ENTRY = "staff_entry"


def _stored(candidate):
    """The exam, category and unit of ``candidate`` as stored (None for a new record): a form
    has already written its values onto the object, so they are read from the database."""
    if candidate.id is None:
        return None
    with db.session.no_autoflush:
        row = db.session.execute(select(Candidate.exam_id, Candidate.category, Candidate.node_id)
                                 .where(Candidate.id == candidate.id)).one_or_none()
        return row and (row.exam_id, row.category, db.session.get(Node, row.node_id))


def check_change_allowed(candidate):
    """Every staff write to a candidate's data goes through here: the policy (lock, approval)
    and the staff-entry window.

    The window is asked for the record as stored and as it will be: a submitted form must not
    open a closed window by also changing the category (or the unit) it is checked against.
    The exam of a record never changes."""
    policy.check_change(candidate, policy.STAFF)
    exam_id = candidate.exam.id if candidate.exam is not None else candidate.exam_id
    stored = _stored(candidate)
    if stored is not None:
        if stored[0] != exam_id:
            raise BadInput(_l("The exam of a record cannot change; register the candidate "
                              "for the other exam as a new record."))
        check_open(STAFF_ENTRY, *stored)
    check_open(STAFF_ENTRY, exam_id, candidate.category, candidate.node,
               hukou=candidate.hukou)  # a phase's 户籍 condition (app/phases/rules.py)


def _unit_of(holder, user_node):
    # Inside one's subtree the unit is named with its code; outside, only its name.
    return holder.node.name if not in_scope(holder, user_node) else \
        f"{holder.node.name}（{holder.node.code}）"


def check_candidate(item, user_node):
    """Raise :class:`~app.refusals.BadInput` (or NotAllowed) with a translated message unless
    ``item`` may be stored."""
    if item.node is None or item.node.kind not in (SCHOOL, POINT):
        raise BadInput(_l("A candidate belongs to a school or a registration point."))
    if not in_scope(item.node, user_node):
        raise NotAllowed(_l("That unit is outside your jurisdiction."))
    check_document_consistency(item.id_type, item.id_number, item.birth_date, item.gender)
    kind = item.exam.kind if item.exam is not None else None
    if item.category and item.exam is not None:
        allowed = {c for c, _zh, _en in codes.CANDIDATE_CATEGORIES.get(kind, ())}
        if item.category not in allowed:
            raise BadInput(_l("That candidate category does not exist for this exam."))
    for field in (f for fields in EXAM_FIELDS.values() for f in fields):
        if getattr(item, field) not in (None, ""):
            try:
                check_exam_field(kind, field)
            except InvalidValue as exc:
                raise BadInput(f"{LABELS[field]}: {exc}") from exc
    # Form data sets the relationships; the foreign-key columns stay empty until a flush.
    exam_id = item.exam.id if item.exam is not None else item.exam_id
    others = (Candidate.exam_id == exam_id, Candidate.id != (item.id or 0))
    with db.session.no_autoflush:
        holder = db.session.execute(select(Candidate).where(
            *others, Candidate.id_number == item.id_number)).scalar_one_or_none()
        number_holder = db.session.execute(select(Candidate).where(
            *others, Candidate.candidate_number == item.candidate_number)
        ).scalar_one_or_none() if item.candidate_number else None
    if holder is not None:
        raise BadInput(_l("This ID number is already registered for this exam by %(unit)s.",
                            unit=_unit_of(holder, user_node)))
    if number_holder is not None:
        raise BadInput(_l("The candidate number %(number)s is already used for this exam by "
                            "another candidate of %(unit)s.", number=item.candidate_number,
                            unit=_unit_of(number_holder, user_node)))
