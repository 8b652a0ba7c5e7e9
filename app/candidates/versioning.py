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

A writer of many candidates' parts at once (the photo ZIP import) wraps its flushes in
:func:`versions_in_bulk`: the listener then only collects the candidates, and one set-based
``UPDATE … SET version = version + 1`` moves them all when the block ends (SQLAlchemy would
issue one version-checked UPDATE per candidate). A reviewer holding an old version is still
refused, since the version moved in the database.
"""
import datetime as dt
from contextlib import contextmanager

from sqlalchemy import event, inspect, update

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


#: ``session.info`` key of the candidate ids collected inside :func:`versions_in_bulk`.
BULK_KEY = "ks_bulk_versions"


def bump_versions(session, flush_context, instances):
    with session.no_autoflush:
        touched = _touched(session)
    now = dt.datetime.now()
    bulk = session.info.get(BULK_KEY)
    for candidate in {id(c): c for c in touched}.values():
        state = inspect(candidate)
        if state.pending or state.deleted or candidate in session.deleted:
            continue  # a new record starts at version 1; a deleted one has none
        if bulk is not None and not session.is_modified(candidate, include_collections=False):
            bulk.add(candidate.id)
            continue
        # Any UPDATE of the row increments the version_id_col.
        candidate.changed_on = now


@contextmanager
def versions_in_bulk(session):
    """Inside the block, collect the candidates whose printed parts change; at its end (after
    a flush) move their versions with one UPDATE and expire the loaded copies' version, so a
    later ORM write of one of them checks the new value. An exception skips the UPDATE (the
    caller rolls back)."""
    if BULK_KEY in session.info:
        yield  # nested: the outer block moves them
        return
    collected = session.info[BULK_KEY] = set()
    try:
        yield
        session.flush()
        if collected:
            ids = sorted(collected)
            table = Candidate.__table__
            session.execute(update(table).where(table.c.id.in_(ids)).values(
                version=table.c.version + 1, changed_on=dt.datetime.now()))
            for candidate_id in ids:
                loaded = session.identity_map.get(
                    session.identity_key(Candidate, candidate_id))
                if loaded is not None:
                    session.expire(loaded, ["version", "changed_on"])
    finally:
        session.info.pop(BULK_KEY, None)


def install(session):
    """Attach the listener once to the scoped session's class."""
    if not event.contains(session, "before_flush", bump_versions):
        event.listen(session, "before_flush", bump_versions)
