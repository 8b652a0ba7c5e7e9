"""May this candidate's record change now, by this actor? Decided here only.

Every writer asks :func:`check_change` (it raises) or :func:`refusal` (it returns the
:class:`~app.refusals.Refused` it would raise, for pages that grey out a button): staff
screens, list actions, the API, the registry import, photo uploads, the self-service page and
background jobs. Nobody else compares a record's state to decide.

The rules, in the order they are asked:

1. **The candidate on the self-service page** changes the record only while it is a draft or
   was rejected (a confirmed record is the school's to review); a 成人高考 photo is taken on
   site at the confirmation point (seed 004), never uploaded by the candidate.
2. **Signed records are locked** (“一经签字确认，任何人不得擅自更改”): nothing changes their data
   until an upper level unlocks them with a reason.
3. **Approved records are frozen**: an approval covers the data as it was seen; a reviewer
   rejects the record first, and it is reviewed again.
4. **The window** of the activity (staff entry, photo capture, self-registration, …) must be
   open for the record's exam, category and unit (``phases.rules``).

Bulk writers that read plain columns instead of loading records (the registry import) ask
:func:`frozen_refusal` with the values.
"""
from flask_babel import lazy_gettext as _l

from .states import APPROVED, OPEN_TO_CANDIDATE, STATE_LABELS, state_label
from ..codes import ADULT
from ..phases.rules import PhaseClosed, check_open_for
from ..refusals import Refused

#: Who is writing. A staff screen, list action or API call is STAFF; the registry import is
#: IMPORT; background jobs are JOB; the self-service page is CANDIDATE.
STAFF, CANDIDATE, IMPORT, JOB = "staff", "candidate", "import", "job"

#: What is being written, when it has rules of its own.
RECORD, PHOTO = "record", "photo"


class Locked(Refused):
    """The record's data is frozen: signed (locked), or approved and not yet rejected."""

    status = 409


def _locked_message(name):
    return _l("%(name)s's record is signed and locked; an upper level must unlock it "
              "with a reason before it can change.", name=name)


def frozen_refusal(name, state, locked):
    """Rules 2 and 3 on plain values: the :class:`Locked` refusal, or None."""
    if locked:
        return Locked(_locked_message(name))
    if is_approved(state):
        return Locked(_l("%(name)s's record is “%(state)s”: its data cannot change while "
                         "approved. A reviewer must reject it with a reason first; it is then "
                         "reviewed again.", name=name, state=STATE_LABELS[state]))
    return None


def is_approved(state):
    """Whether a record in ``state`` has passed a review level (its first one: the school's,
    the registration point's, or the 成人高考 point's on-site confirmation)."""
    return state in APPROVED


def frozen_ids(rows):
    """The ids among ``rows`` (each with ``id``, ``name``, ``state``, ``locked``) whose data
    may not change now (rules 2 and 3): list pages grey out their edit links."""
    return {r.id for r in rows if frozen_refusal(r.name, r.state, r.locked) is not None}


def check_unlocked(candidate):
    """The lock alone (rule 2), for writes the approval does not cover (a review step)."""
    if candidate is not None and candidate.locked:
        raise Locked(_locked_message(candidate.name))


def _candidate_refusal(candidate, what):
    if what == PHOTO and candidate.exam is not None and candidate.exam.kind == ADULT:
        return Refused(_l("For the adult higher education entrance exam your photo is taken "
                          "on site at your confirmation point; it cannot be uploaded here."),
                       status=403)
    if candidate.state not in OPEN_TO_CANDIDATE and not candidate.locked:
        if what == PHOTO:
            return Refused(_l("Your information is confirmed, so the photo can no longer be "
                              "changed here. If it must change, ask your school."))
        kind = candidate.exam.kind if candidate.exam is not None else None
        if kind == ADULT:
            return Refused(_l("Your information is “%(state)s” and can no longer be changed "
                              "here. If something is wrong, contact your confirmation point.",
                              state=state_label(candidate.state, kind)))
        return Refused(_l("Your information is “%(state)s” and can no longer be changed "
                          "here. If something is wrong, contact your school.",
                          state=STATE_LABELS.get(candidate.state, candidate.state)))
    return None


def refusal(candidate, actor=STAFF, activity=None, what=RECORD, now=None):
    """The :class:`Refused` that :func:`check_change` would raise, or None.

    ``activity``: the phase activity whose window must be open (None: no window asked, for
    writers whose window was checked already or has none)."""
    if candidate is None:
        return None
    if actor == CANDIDATE:
        found = _candidate_refusal(candidate, what)
        if found is not None:
            return found
    found = frozen_refusal(candidate.name, candidate.state, candidate.locked)
    if found is not None:
        return found
    if activity is not None:
        try:
            check_open_for(activity, candidate, now)
        except PhaseClosed as exc:
            return exc
    return None


def check_change(candidate, actor=STAFF, activity=None, what=RECORD, now=None):
    """Raise the :class:`Refused` of :func:`refusal`; None when the change may go ahead."""
    found = refusal(candidate, actor, activity, what, now)
    if found is not None:
        raise found
