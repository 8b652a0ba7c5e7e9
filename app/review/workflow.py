"""Review states and transitions, defined once (审核流程), plus the lock (签字确认后锁定).

draft → confirmed (by the candidate, or staff on paper) → school_approved (first review at the
school or registration point, its head signs) → county_approved → city_approved (→
province_approved); each level may reject with a reason back to the candidate, who corrects and
confirms again.

Which levels review a record is data, not code: ``REVIEW_CHAINS`` lists them per exam kind, and
a level with no unit above the record is skipped (a school directly under a city, 直属学校, has
no county). An approve or reject step applies to the state its previous level leaves.

The tables are of :class:`app.transitions.Transition`; the lock's steps are entries of the
record's table like the others, their rules guards and effects:
- Printing the 报名登记表 records which version of the record the paper shows; staff mark it
  signed only while that version is still current (a guard), and signing locks the record (an
  effect): nothing may change its data until an upper level unlocks it with a reason.
- The lock freezes the data (“一经签字确认，任何人不得擅自更改”), not the review: approvals
  move on a signed record. A rejection sends the record back for correction, which the lock
  forbids, so it needs an unlock first.
Whether a record's data may change (locked, or approved and not yet rejected) is
``app.candidates.policy``'s, which every writer asks.
"""
import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, insert, literal, select, update
from sqlalchemy.orm.exc import StaleDataError

from .. import transitions
from ..candidates.models import Candidate
from ..candidates.policy import check_unlocked
from ..candidates.states import (APPROVED, CITY_OK, CONFIRMED, COUNTY_OK, OPEN_TO_CANDIDATE,
                                 PROVINCE_OK, REJECTED, SCHOOL_OK, STATE_LABELS)
from ..codes import ADULT, GAOKAO, ZHONGZHAO
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, scoped
from ..phases.rules import PhaseClosed, check_open_for
from ..refusals import Refused
from ..security import (CITY_ADMIN, CITY_REVIEWER, COUNTY_ADMIN, COUNTY_REVIEWER, POINT_STAFF,
                        PROVINCE_ADMIN, SCHOOL_REVIEWER, SCHOOL_STAFF)
from ..transitions import CANDIDATE, Conflict, Transition, TransitionRefused
from .models import (APPLIED, SKIPPED, Qualification, ReviewEvent, ReviewSelection,
                     ReviewSelectionRow)
from .states import PENDING, QUALIFICATION_STATES

STAFF = (SCHOOL_STAFF, POINT_STAFF)
# First review (初审): the school's reviewer, or the reviewer bound to a registration point
# (the role may be bound to either; see security.ROLES).
FIRST_REVIEWERS = (SCHOOL_REVIEWER,)
# The province's approvals are its administrators' (as for point proposals).
PROVINCE_REVIEWERS = (PROVINCE_ADMIN,)

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
#: {action: the review level whose approve or reject step it is}, filled by _level_steps.
REVIEW_LEVEL_OF = {}


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


def unlock_roles():
    """Who may unlock a signed record: county level and above unless configured otherwise."""
    return tuple(current_app.config.get("UNLOCK_ROLES",
                                        (COUNTY_ADMIN, CITY_ADMIN, PROVINCE_ADMIN)))


# --- guards (they raise a Refused) and effects of the record's transitions -------------------

def _sends_data_round(move):
    """A rejection or a confirmation sends the data round again (to the candidate, or on
    behalf of the paper form): not while the signature holds it."""
    check_unlocked(move.subject)


def _not_locked_yet(move):
    if move.subject.locked:
        raise TransitionRefused(_l("%(name)s is already locked.", name=move.subject.name))


def _printed_current(move):
    check_printed_current(move.subject)


def _locked_now(move):
    if not move.subject.locked:
        raise TransitionRefused(_l("%(name)s is not locked.", name=move.subject.name))


def _signed_and_unlocked(move):
    """Locking again restores a signature that was lifted: there must have been one."""
    if move.subject.locked or move.subject.signed_at is None:
        raise TransitionRefused(_l("%(name)s cannot be locked again now.",
                                   name=move.subject.name))


def _window_open(move, candidate):
    """The phase window of the step for ``candidate``. A bulk review shares a memo of the
    answers in ``move.context["windows"]`` (one per exam, activity, category and unit), so
    10,000 rows of a school ask the database once, not 10,000 times."""
    activity = move.transition.activity
    if not activity:
        return
    memo = move.context.get("windows")
    if memo is None:
        check_open_for(activity, candidate, move.now)
        return
    key = (activity, candidate.exam_id, candidate.category, candidate.node_id)
    if key not in memo:
        try:
            check_open_for(activity, candidate, move.now)
            memo[key] = None
        except PhaseClosed as exc:
            memo[key] = exc.message
    if memo[key] is not None:
        raise PhaseClosed(memo[key])


def _record_window(move):
    _window_open(move, move.subject)


def _qualification_window(move):
    _window_open(move, move.subject.candidate)


def _print_follows(move):
    """A rejection means the paper was found wrong: signing needs a form printed after the
    correction. Any other step keeps a current print current (see below)."""
    if move.transition.to_state == REJECTED:
        move.subject.printed_at = move.subject.printed_version = None
    else:
        _keep_print_current(move.subject)


def _reject_reason(move):
    move.subject.reject_reason = move.reason if move.transition.to_state == REJECTED else None


def _sign(move):
    move.subject.signed_at, move.subject.locked = move.now, True


def _unlock(move):
    move.subject.locked = False


def _lock_again(move):
    move.subject.locked = True


def _audit_reason(move):
    """The session's audit rows of this flush carry the reason of an unlock or relock too."""
    db.session.info["audit_reason"] = move.reason or None


def _history(move, candidate, qualification=None):
    db.session.add(ReviewEvent(
        candidate=candidate, qualification=qualification, action=move.transition.action,
        from_state=move.before, to_state=move.subject.state, reason=move.reason or None,
        principal_name=move.principal_name, signed_on=move.signed_on,
        user_id=getattr(move.user, "id", None), actor=move.actor, at=move.now))


def _record_history(move):
    _history(move, move.subject)


def _qualification_history(move):
    _history(move, move.subject.candidate, move.subject)


def _record_step(action, label, from_states, to_state, roles, activity, guards=(),
                 effects=(), **kw):
    """A transition of a candidate's record: its own guards, then the phase window; the
    print and rejection-reason bookkeeping, its own effects, then the history row."""
    reason = (_reject_reason,) if to_state is not None else ()
    return Transition(action, label, from_states, to_state, roles, activity,
                      guards=(*guards, _record_window),
                      effects=(_print_follows, *reason, *effects, _record_history), **kw)


def _qualification_step(action, label, from_states, to_state, roles, activity, **kw):
    return Transition(action, label, from_states, to_state, roles, activity,
                      guards=(_qualification_window,),
                      effects=(_reject_reason, _qualification_history), **kw)


def _level_steps(subject, start, level, labels, roles, activity, prefix="", **kw):
    """The approve and reject steps of one review level."""
    from_states = _possible_from(subject, level, start)
    approve, reject = labels
    name = {UNIT: "school"}.get(level, level)
    make = _record_step if subject == RECORD else _qualification_step
    rejecting = {"guards": (_sends_data_round,)} if subject == RECORD else {}
    steps = (make(f"{prefix}{name}_approve", approve, from_states, APPROVED_AT[level], roles,
                  activity, **kw),
             make(f"{prefix}{name}_reject", reject, from_states, REJECTED, roles, activity,
                  needs_reason=True, **rejecting))
    REVIEW_LEVEL_OF.update({step.action: level for step in steps})
    return steps


TRANSITIONS = {t.action: t for t in (
    _record_step("confirm", _l("Confirm my information"), OPEN_TO_CANDIDATE, CONFIRMED,
                 (CANDIDATE,), "self_registration", guards=(_sends_data_round,)),
    _record_step("confirm_on_behalf", _l("Confirm (paper form signed)"), OPEN_TO_CANDIDATE,
                 CONFIRMED, STAFF, "staff_entry", guards=(_sends_data_round,)),
    *_level_steps(RECORD, CONFIRMED, UNIT, (_l("Approve (school / point)"),
                                            _l("Reject (school / point)")),
                  FIRST_REVIEWERS, "school_review", needs_signoff=True),
    *_level_steps(RECORD, CONFIRMED, COUNTY, (_l("Approve (county)"), _l("Reject (county)")),
                  (COUNTY_REVIEWER,), "county_review"),
    *_level_steps(RECORD, CONFIRMED, CITY, (_l("Approve (city)"), _l("Reject (city)")),
                  (CITY_REVIEWER,), "city_review"),
    *_level_steps(RECORD, CONFIRMED, PROVINCE, (_l("Approve (province)"),
                                                _l("Reject (province)")),
                  PROVINCE_REVIEWERS, "province_review"),
    # Signing binds the paper: only a form printed from the record as it is now.
    _record_step("mark_signed", _l("Mark signed and lock"), (CONFIRMED, *APPROVED), None,
                 STAFF, "confirmation", guards=(_not_locked_yet, _printed_current),
                 effects=(_sign,)),
    _record_step("unlock", _l("Unlock"), tuple(STATE_LABELS), None, unlock_roles, None,
                 needs_reason=True, guards=(_locked_now,), effects=(_unlock, _audit_reason)),
    _record_step("relock", _l("Lock again"), tuple(STATE_LABELS), None, unlock_roles, None,
                 guards=(_signed_and_unlocked, _printed_current),
                 effects=(_lock_again, _audit_reason)),
)}


def _exam_kind(candidate):
    return candidate.exam.kind if candidate.exam is not None else None


def _chain_start(subject_kind, candidate, start):
    """``starts_from`` for :func:`transitions.check`: a review level's step starts from what
    the previous level of this record's chain leaves; other steps from their table's states."""
    chain = review_chain(subject_kind, _exam_kind(candidate), candidate.node)

    def starts_from(transition):
        level = REVIEW_LEVEL_OF.get(transition.action)
        if level is None:
            return transition.from_states
        states = level_from_states(level, chain, start)
        if not states:
            raise TransitionRefused(_l("“%(action)s” is not a review step of %(name)s: that "
                                       "level does not review this exam or unit.",
                                       action=transition.label, name=candidate.name))
        return states

    return starts_from


def waiting_state(user, start=CONFIRMED):
    """The state records wait in for ``user``'s review level (where its review list opens),
    in the full chain; None for a user who reviews nothing. A review role belongs to one
    level, so the first level step it may take answers."""
    for transition in transitions.offered(TRANSITIONS, user):
        level = REVIEW_LEVEL_OF.get(transition.action)
        if level is not None:
            return level_from_states(level, (UNIT, COUNTY, CITY, PROVINCE), start)[0]
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
    return transitions.possible(TRANSITIONS, user, lambda t: check_apply(
        candidate, t.action, user, reason="-", principal_name="-", signed_on=dt.date.today(),
        now=now))


def check_apply(candidate, action, user, reason=None, principal_name=None, signed_on=None,
                expected_version=None, now=None, context=None):
    """Every check of :func:`apply`, changing nothing: the :class:`~app.transitions.Move`, or
    raises TransitionRefused / Conflict / PhaseClosed / Locked with a translated message.
    ``context``: what the guards of a bulk review share (see :func:`_window_open`)."""
    return transitions.check(
        candidate, transitions.find(TRANSITIONS, action), user, STATE_LABELS, reason,
        principal_name, signed_on, expected_version, now,
        starts_from=_chain_start(RECORD, candidate, CONFIRMED), context=context)


def apply(candidate, action, user, reason=None, principal_name=None, signed_on=None,
          expected_version=None, now=None, context=None):
    """Perform ``action`` on one candidate loaded through the caller's scope.

    Raises TransitionRefused / Conflict / PhaseClosed / Locked with a translated message;
    on success adds the ReviewEvent (the caller commits, and a concurrent commit surfaces as
    StaleDataError thanks to the version column).
    """
    transitions.apply(check_apply(candidate, action, user, reason, principal_name, signed_on,
                                  expected_version, now, context))


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
    if candidate.state in OPEN_TO_CANDIDATE or _print_current(candidate):
        return
    candidate.printed_at = now or dt.datetime.now()
    candidate.printed_version = candidate.version + 1  # the version after this change's flush


# --- qualification applications (资格审核: 分配生, 少数民族照顾, 农村专项…), their own chain ------

QUALIFICATION_TRANSITIONS = {t.action: t for t in (
    *_level_steps(QUALIFICATION, PENDING, UNIT,
                  (_l("Approve qualification (school / point)"),
                   _l("Reject qualification (school / point)")),
                  FIRST_REVIEWERS, "school_review", prefix="q_", needs_signoff=True),
    *_level_steps(QUALIFICATION, PENDING, COUNTY, (_l("Approve qualification (county)"),
                                                   _l("Reject qualification (county)")),
                  (COUNTY_REVIEWER,), "county_review", prefix="q_"),
    *_level_steps(QUALIFICATION, PENDING, CITY, (_l("Approve qualification (city)"),
                                                 _l("Reject qualification (city)")),
                  (CITY_REVIEWER,), "city_review", prefix="q_"),
    *_level_steps(QUALIFICATION, PENDING, PROVINCE, (_l("Approve qualification (province)"),
                                                     _l("Reject qualification (province)")),
                  PROVINCE_REVIEWERS, "province_review", prefix="q_"),
    _qualification_step("q_resubmit", _l("Resubmit qualification"), (REJECTED,), PENDING,
                        STAFF, "staff_entry"),
)}


def apply_qualification(qualification, action, user, reason=None, principal_name=None,
                        signed_on=None, expected_version=None, now=None, context=None):
    """Same contract as :func:`apply`, for one qualification application."""
    transitions.apply(transitions.check(
        qualification, transitions.find(QUALIFICATION_TRANSITIONS, action), user,
        QUALIFICATION_STATES, reason, principal_name, signed_on, expected_version, now,
        starts_from=_chain_start(QUALIFICATION, qualification.candidate, PENDING),
        context=context))



# --- bulk review: a stored selection applied a chunk at a time ---------------------------------
#
# “The N selected” and “all M matching this filter” are stored (ReviewSelection), never carried
# in a URL: their rows and the version of each as the reviewer's selection saw it. Applying
# runs, per chunk of rows and in one transaction, the very checks and effects of one row
# (``apply`` / ``apply_qualification``: the transition table, its guards, the history row),
# with the phase windows asked once per unit and category; the chunk's UPDATEs carry the
# version the row was selected at (the version column), the audit listener writes its rows
# in one INSERT, and each row's outcome (done, or skipped and why) is stored on the selection.

#: Rows per transaction of a bulk review.
BULK_CHUNK = 500
#: {subject (the table's name): (model, the one-row apply)} of the selections a job may
#: apply (the others are applied in the request by their screen, which names both).
BULK_SUBJECTS = {Candidate.__tablename__: (Candidate, apply),
                 Qualification.__tablename__: (Qualification, apply_qualification)}


def store_selection(selection, rows):
    """Store ``selection`` and its rows: a SELECT of (row id, version) — one INSERT … SELECT,
    e.g. of the filtered list — or a list of (row id, version or None) pairs."""
    db.session.add(selection)
    db.session.flush()
    table = ReviewSelectionRow.__table__
    if isinstance(rows, Select):
        rows = rows.with_only_columns(literal(selection.id), *rows.selected_columns)
        db.session.execute(insert(table).from_select(["selection_id", "row_id", "version"],
                                                     rows.order_by(None)))
    elif rows:
        db.session.execute(insert(table), [dict(selection_id=selection.id, row_id=row_id,
                                                version=version) for row_id, version in rows])
    selection.selected = db.session.execute(
        select(func.count()).where(table.c.selection_id == selection.id)).scalar_one()
    return selection


def apply_selection(selection_id, user, model=None, apply_one=None, progress=None):
    """Apply the selection's step to every row not done yet, a chunk per transaction, as
    ``user`` within ``user``'s subtree: ``apply_one`` (the one-row apply of the ``model``'s
    table, by default its BULK_SUBJECTS entry) on each; ``progress(done, total)`` after each
    chunk. Resumable: a row's outcome is committed with its change."""
    selection = db.session.get(ReviewSelection, selection_id)
    if model is None:
        model, apply_one = BULK_SUBJECTS[selection.subject]
    total = selection.selected
    context = {"windows": {}}
    while True:
        rows = db.session.execute(
            select(ReviewSelectionRow.row_id, ReviewSelectionRow.version)
            .where(ReviewSelectionRow.selection_id == selection_id,
                   ReviewSelectionRow.outcome.is_(None))
            .order_by(ReviewSelectionRow.row_id).limit(BULK_CHUNK)).all()
        if not rows:
            return selection
        outcomes = _apply_chunk(selection, user, rows, (model, apply_one), context)
        _store_outcomes(selection, outcomes)
        db.session.commit()
        if progress is not None:
            progress(selection.applied + selection.skipped, total)


def _apply_chunk(selection, user, rows, subject, context, attempts=2):
    """{row id: None (done) or the reason it was skipped} for one chunk, its changes flushed.
    A concurrent commit between reading and writing a row (StaleDataError) rolls the chunk
    back and reads it again: the changed row is then skipped as changed by someone else."""
    model, apply_one = subject
    for _attempt in range(attempts):
        found = {obj.id: obj for obj in db.session.execute(
            scoped(select(model).where(model.id.in_([r for r, _v in rows])), model,
                   user.node)).scalars()}
        outcomes = {}
        with db.session.no_autoflush:
            for row_id, version in rows:
                outcomes[row_id] = _apply_row(found.get(row_id), row_id, version, selection,
                                              user, apply_one, context)
        try:
            db.session.flush()
            return outcomes
        except StaleDataError:
            db.session.rollback()
            selection = db.session.get(ReviewSelection, selection.id)
    reason = str(Conflict(_l("Changed by someone else at the same moment; reload and check "
                             "again.")))
    return dict.fromkeys((r for r, _v in rows), reason)


def _apply_row(obj, row_id, version, selection, user, apply_one, context):
    """None when the step was applied to ``obj``, else the translated reason it was not."""
    if obj is None:
        return str(_l("Record %(id)s no longer exists or is outside your jurisdiction.",
                      id=row_id))
    if version is None:
        # A selection posted without the versions seen cannot tell whether the reviewer saw
        # the record as it is now.
        return str(_l("%(name)s: the version you saw is missing; reload the list and try "
                      "again.", name=obj.name))
    try:
        apply_one(obj, selection.action, user, reason=selection.reason,
                  principal_name=selection.principal_name, signed_on=selection.signed_on,
                  expected_version=version, context=context)
    except Refused as exc:
        return str(exc)
    return None


def _store_outcomes(selection, outcomes):
    """Each row's outcome on the selection: the done ones in one UPDATE, the skipped ones
    with their reasons in one executemany."""
    table = ReviewSelectionRow.__table__
    done = [row_id for row_id, reason in outcomes.items() if reason is None]
    skipped = [{"rid": row_id, "why": reason[:500]} for row_id, reason in outcomes.items()
               if reason is not None]
    for ids in (done[i:i + BULK_CHUNK] for i in range(0, len(done), BULK_CHUNK)):
        db.session.execute(update(table).where(table.c.selection_id == selection.id,
                                               table.c.row_id.in_(ids)).values(outcome=APPLIED))
    if skipped:
        db.session.execute(update(table).where(table.c.selection_id == selection.id,
                                               table.c.row_id == bindparam("rid"))
                           .values(outcome=SKIPPED, reason=bindparam("why")), skipped)
    selection.applied += len(done)
    selection.skipped += len(skipped)


def skipped_rows(selection, limit=200):
    """[(row id, reason)] of the first ``limit`` rows the selection skipped."""
    return db.session.execute(
        select(ReviewSelectionRow.row_id, ReviewSelectionRow.reason)
        .where(ReviewSelectionRow.selection_id == selection.id,
               ReviewSelectionRow.outcome == SKIPPED)
        .order_by(ReviewSelectionRow.row_id).limit(limit)).all()


def selection_ids(selection, limit):
    """The first ``limit`` row ids of the selection (what its confirmation page shows)."""
    return db.session.execute(
        select(ReviewSelectionRow.row_id).where(ReviewSelectionRow.selection_id == selection.id)
        .order_by(ReviewSelectionRow.row_id).limit(limit)).scalars().all()
