"""Progress counts (报名进度) kept by the database itself, so the home page of a province costs
the same at 10 thousand candidates as at a million.

Triggers on ``ks_candidate`` and ``ks_candidate_photo`` (migration 0016) append one signed
row per changed count to ``ks_progress_delta`` — (exam, unit, metric, ±1) for the metrics
``total``, ``state:<review state>``, ``locked`` and ``photo`` — whoever writes: a screen, the
registry import's Core statements, a review, a job, a SQL console. Appending never updates a
shared row, so concurrent reviews and imports neither wait on nor deadlock over a hot counter
row. ``compact()`` folds the deltas into ``ks_progress`` (one row per exam, unit and metric);
reading sums both, so the deltas since the last compaction are always counted.
"""
from flask import current_app
from flask_appbuilder import Model
from sqlalchemy import Integer, String, case, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .candidates.models import Candidate
from .candidates.states import APPROVED, CONFIRMED, DRAFT, REJECTED
from .extensions import db
from .jurisdiction import Node, subtree_range
from .photos.models import PHOTO as PHOTO_KIND
from .photos.models import CandidatePhoto

TOTAL, LOCKED, PHOTO = "total", "locked", "photo"
#: The columns of the progress table: review states, then the lock and the photo.
PROGRESS_STATES = (DRAFT, CONFIRMED, REJECTED, *APPROVED)


def state_metric(state):
    return f"state:{state}"


class ProgressCount(Model):
    """Compacted counts: one row per exam, unit (the candidate's own unit) and metric."""

    __tablename__ = "ks_progress"

    exam_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ProgressDelta(Model):
    """Changes not compacted yet, written by the triggers only."""

    __tablename__ = "ks_progress_delta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(Integer, nullable=False)
    node_id: Mapped[int] = mapped_column(Integer, nullable=False)
    metric: Mapped[str] = mapped_column(String(40), nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


def _all_counts():
    """Compacted rows and pending deltas as one relation (exam_id, node_id, metric, n)."""
    return select(ProgressCount.exam_id, ProgressCount.node_id, ProgressCount.metric,
                  ProgressCount.n).union_all(
        select(ProgressDelta.exam_id, ProgressDelta.node_id, ProgressDelta.metric,
               ProgressDelta.n)).subquery()


def unit_counts(node, exam_id, units):
    """{unit id: {metric: n}} for each of ``units`` (nodes at or below ``node``) in one
    grouped query over the count rows of ``node``'s subtree; cost follows the number of
    units, not of candidates."""
    maybe_compact()
    counts = _all_counts()
    unit_of = case(*[(subtree_range(Node.path, u.path), u.id) for u in units], else_=None)
    stmt = (select(unit_of.label("unit"), counts.c.metric, func.sum(counts.c.n))
            .select_from(counts).join(Node, Node.id == counts.c.node_id)
            .where(counts.c.exam_id == exam_id, subtree_range(Node.path, node.path))
            .group_by(unit_of, counts.c.metric))
    result = {u.id: {} for u in units}
    for unit_id, metric, n in db.session.execute(stmt):
        if unit_id in result:
            result[unit_id][metric] = int(n or 0)
    return result


def maybe_compact():
    """Fold the deltas in when they have piled up (after a big import, say), so a read never
    sums more than about ``PROGRESS_COMPACT_AT`` of them."""
    limit = current_app.config.get("PROGRESS_COMPACT_AT", 20000)
    pending = db.session.execute(
        select(func.count()).select_from(
            select(ProgressDelta.id).limit(limit + 1).subquery())).scalar()
    if pending > limit:
        compact()


def compact():
    """Move every delta up to the newest one seen into ``ks_progress``, in one transaction on
    a connection of its own (the caller's transaction is left alone). On PostgreSQL an
    advisory lock lets one compaction run at a time; a second caller simply skips."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            if not conn.execute(text("SELECT pg_try_advisory_xact_lock(7216001)")).scalar():
                return 0
        upto = conn.execute(select(func.max(ProgressDelta.id))).scalar()
        if upto is None:
            return 0
        sums = (select(ProgressDelta.exam_id, ProgressDelta.node_id, ProgressDelta.metric,
                       func.sum(ProgressDelta.n))
                .where(ProgressDelta.id <= upto)
                .group_by(ProgressDelta.exam_id, ProgressDelta.node_id, ProgressDelta.metric))
        conn.execute(_upsert(sums))
        return conn.execute(delete(ProgressDelta).where(ProgressDelta.id <= upto)).rowcount


def _upsert(sums):
    """INSERT … SELECT the sums, adding them to existing rows (ON CONFLICT … DO UPDATE)."""
    upsert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    table = ProgressCount.__table__
    stmt = upsert(table).from_select(["exam_id", "node_id", "metric", "n"], sums)
    return stmt.on_conflict_do_update(index_elements=["exam_id", "node_id", "metric"],
                                      set_={"n": table.c.n + stmt.excluded.n})


def recount_rows():
    """The counts computed from the records themselves: [(exam_id, node_id, metric, n)]. Used to
    fill the table once (migration) and to check or repair it (``flask kaosheng progress``)."""
    rows = []
    key = (Candidate.exam_id, Candidate.node_id)
    for exam_id, node_id, state, locked, n in db.session.execute(
            select(*key, Candidate.state, Candidate.locked, func.count())
            .group_by(*key, Candidate.state, Candidate.locked)):
        rows += [(exam_id, node_id, TOTAL, n), (exam_id, node_id, state_metric(state), n)]
        if locked:
            rows.append((exam_id, node_id, LOCKED, n))
    for exam_id, node_id, n in db.session.execute(
            select(*key, func.count()).join(CandidatePhoto, CandidatePhoto.candidate_id == Candidate.id)
            .where(CandidatePhoto.kind == PHOTO_KIND, CandidatePhoto.current.is_(True))
            .group_by(*key)):
        rows.append((exam_id, node_id, PHOTO, n))
    totals = {}
    for exam_id, node_id, metric, n in rows:
        totals[(exam_id, node_id, metric)] = totals.get((exam_id, node_id, metric), 0) + n
    return totals


def stored_counts():
    """{(exam_id, node_id, metric): n} as the counters say (zero rows left out)."""
    counts = _all_counts()
    stmt = (select(counts.c.exam_id, counts.c.node_id, counts.c.metric, func.sum(counts.c.n))
            .group_by(counts.c.exam_id, counts.c.node_id, counts.c.metric))
    return {(e, n_, m): int(v) for e, n_, m, v in db.session.execute(stmt) if v}


def rebuild():
    """Replace the counters by a recount (repair after a restore or a manual fix in SQL)."""
    db.session.execute(delete(ProgressDelta))
    db.session.execute(delete(ProgressCount))
    rows = [dict(exam_id=e, node_id=n, metric=m, n=v) for (e, n, m), v in recount_rows().items()]
    if rows:
        db.session.execute(insert(ProgressCount), rows)
    db.session.commit()
    return len(rows)



def progress(node, exam_id):
    """报名进度 of ``node``'s subtree for one exam (MISSION §5): one row per unit directly below
    ``node`` (or ``node`` itself when it has none), each {unit, total, <state>…, locked, photo},
    and the totals. Read from the counts the database keeps (above): the cost follows
    the number of units, not of candidates."""
    children = db.session.execute(
        select(Node).where(Node.parent_id == node.id).order_by(Node.code)).scalars().all()
    units = children or [node]
    counts = unit_counts(node, exam_id, units)
    listed = []
    for unit in units:
        metrics = counts[unit.id]
        row = dict(unit=unit, total=metrics.get(TOTAL, 0), locked=metrics.get(LOCKED, 0),
                   photo=metrics.get(PHOTO, 0))
        row.update({s: metrics.get(state_metric(s), 0) for s in PROGRESS_STATES})
        listed.append(row)
    totals = {key: sum(r[key] for r in listed) for key in ("total", "locked", "photo",
                                                            *PROGRESS_STATES)}
    return listed, totals
