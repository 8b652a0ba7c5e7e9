"""The candidate's version follows everything printed from the record.

``Candidate.version`` is the optimistic-lock counter and the version a printout's verification
code binds. SQLAlchemy only moves it when the candidate row itself is updated, but the printed
forms also show guardians (监护人), study history (学习简历), the quality evaluation (综合素质评定),
preferences (志愿) and the photo. One session listener closes that gap: when such a row is
added, changed or deleted, the flush also updates its candidate's ``changed_on``, which makes
the version column increment, so every code printed before the change stops verifying and a
concurrent reviewer holding the old version is told the record changed.

Core statements bypass the session and so this listener: the registry import's Core writes
move the version themselves (one checked UPDATE per candidate they change, guardians included).
"""
import datetime as dt

from sqlalchemy import event, inspect

from .models import Candidate

# Rows whose content is printed on a candidate's forms declare it on their model with
# ``__printed_part__ = True`` (guardians, study history, evaluation, preferences, the photo),
# as audited models declare ``__audited__``: this module needs to know none of them.
#: the same rows seen from the candidate: collections whose membership is printed.
PRINTED_COLLECTIONS = ("guardians", "studies", "evaluation", "preferences")


def _owners(session, part):
    """The candidates a part row belongs to now and belonged to before this flush (a row
    moved to another candidate changes both)."""
    state = inspect(part)
    ids, owners = set(), []
    for attr in ("candidate", "candidate_id"):
        hist = state.attrs[attr].history
        for value in (*hist.added, *hist.unchanged, *hist.deleted):
            if value is None:
                continue
            if isinstance(value, Candidate):
                owners.append(value)
            else:
                ids.add(value)
    if not owners and not ids and part.candidate_id is not None:
        ids.add(part.candidate_id)  # unloaded attributes have no history
    for candidate_id in ids - {c.id for c in owners}:
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            owners.append(candidate)
    return owners


def _collections_changed(candidate):
    state = inspect(candidate)
    return any(state.attrs[name].history.has_changes() for name in PRINTED_COLLECTIONS)


def _touched(session):
    touched = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(type(obj), "__printed_part__", False):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            touched += _owners(session, obj)
        elif isinstance(obj, Candidate) and obj in session.dirty and _collections_changed(obj):
            touched.append(obj)  # e.g. a guardian removed from the collection (delete-orphan)
    return touched


def bump_versions(session, flush_context, instances):
    with session.no_autoflush:
        touched = _touched(session)
    now = dt.datetime.now()
    for candidate in {id(c): c for c in touched}.values():
        state = inspect(candidate)
        if state.pending or state.deleted or candidate in session.deleted:
            continue  # a new record starts at version 1; a deleted one has none
        # Any UPDATE of the row increments the version_id_col.
        candidate.changed_on = now


def install(session):
    """Attach the listener once to the scoped session's class."""
    if not event.contains(session, "before_flush", bump_versions):
        event.listen(session, "before_flush", bump_versions)
