"""The completeness report of the electronic archive (电子档案符合网上录取的质量要求): for one
unit and one 高考 exam, per child unit the candidates whose every part is complete (confirmed
or not applicable) and the others, and per part how many are missing or entered but not
confirmed; and the incomplete candidates of a unit, a page at a time.

Counting stays cheap for a province: every part registered with ``state_sql`` becomes one
column of a single GROUP BY query over the unit's subtree (candidates grouped by the child
unit whose subtree holds them). A part registered without ``state_sql`` makes the report fall
back to reading ``archive.states_of`` over chunks of CHUNK candidate ids (correct, slower).
"""
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, subtree_range
from . import archive

CHUNK = 2000
PAGE_SIZE = 50


@dataclass
class UnitRow:
    """One line of the report: a unit's candidates and, per part key, [missing, entered]."""

    node_id: int
    code: str
    name: str
    total: int = 0
    complete: int = 0
    parts: dict = field(default_factory=dict)

    @property
    def incomplete(self):
        return self.total - self.complete


def _unit_of(node):
    """(SELECT of (candidate id, unit id) for the exam, grouped under ``node``'s children, or
    ``node`` itself for candidates registered directly at it), as one statement."""
    cand_node = aliased(Node)
    child = aliased(Node)
    below = (select(Candidate.id.label("cid"), child.id.label("unit"))
             .join(cand_node, Candidate.node_id == cand_node.id)
             .join(child, and_(child.parent_id == node.id,
                               subtree_range(cand_node.path, child.path))))
    direct = select(Candidate.id.label("cid"), literal(node.id).label("unit")).where(
        Candidate.node_id == node.id)
    return below, direct


def _sql_parts():
    parts = archive.parts()
    return parts if all(p.state_sql is not None for p in parts) else None


def _complete_expr(states):
    return and_(*[s.in_(sorted(archive.COMPLETE)) for s in states]) if states else literal(True)


def unit_rows(node, exam_id):
    """[UnitRow] for ``node``'s child units (and ``node`` itself when candidates are registered
    directly at it), in code order, with the totals row first."""
    units = {n.id: UnitRow(n.id, n.code, n.name) for n in db.session.execute(
        select(Node).where(Node.parent_id == node.id).order_by(Node.code)).scalars()}
    units_self = UnitRow(node.id, node.code, node.name)
    parts = archive.parts()
    sql_parts = _sql_parts()
    for stmt in _unit_of(node):
        stmt = stmt.where(Candidate.exam_id == exam_id)
        if sql_parts is not None:
            _count_sql(stmt, sql_parts, units, units_self)
        else:
            _count_chunks(stmt, parts, units, units_self)
    rows = [u for u in units.values()]
    if units_self.total:
        rows.append(units_self)
    total = UnitRow(node.id, node.code, node.name)
    for row in rows:
        total.total += row.total
        total.complete += row.complete
        for key, (missing, entered) in row.parts.items():
            acc = total.parts.setdefault(key, [0, 0])
            acc[0] += missing
            acc[1] += entered
    for row in [total, *rows]:
        for p in parts:
            row.parts.setdefault(p.key, [0, 0])
    return total, rows


def _count_sql(stmt, parts, units, units_self):
    inner = stmt.add_columns(*[p.state_sql(Candidate.id).label(f"s_{i}")
                               for i, p in enumerate(parts)]).subquery()
    states = [inner.c[f"s_{i}"] for i in range(len(parts))]
    cols = [inner.c.unit, func.count(),
            func.sum(case((_complete_expr(states), 1), else_=0))]
    for s in states:
        cols.append(func.sum(case((s == archive.MISSING, 1), else_=0)))
        cols.append(func.sum(case((s == archive.ENTERED, 1), else_=0)))
    for unit, total, complete, *counts in db.session.execute(
            select(*cols).group_by(inner.c.unit)):
        row = units.get(unit, units_self)
        row.total += total
        row.complete += complete or 0
        for i, p in enumerate(parts):
            acc = row.parts.setdefault(p.key, [0, 0])
            acc[0] += counts[2 * i] or 0
            acc[1] += counts[2 * i + 1] or 0


def _count_chunks(stmt, parts, units, units_self):
    result = db.session.execute(stmt.order_by(Candidate.id).execution_options(yield_per=CHUNK))
    for chunk in result.partitions(CHUNK):
        unit_of = dict(chunk)
        for cid, states in archive.states_of(unit_of).items():
            row = units.get(unit_of[cid], units_self)
            row.total += 1
            row.complete += not archive.incomplete(states)
            for key, state in states.items():
                acc = row.parts.setdefault(key, [0, 0])
                acc[0] += state == archive.MISSING
                acc[1] += state == archive.ENTERED


# --- the incomplete candidates of a unit ------------------------------------------------------

def _subtree_candidates(node, exam_id):
    return (select(Candidate.id).join(Node, Candidate.node_id == Node.id)
            .where(Candidate.exam_id == exam_id, subtree_range(Node.path, node.path)))


def _incomplete_clause(parts, part_key):
    """SQL: the candidate is incomplete (in ``part_key`` only, when given)."""
    chosen = [p for p in parts if part_key in (None, p.key)]
    return or_(*[not_(p.state_sql(Candidate.id).in_(sorted(archive.COMPLETE)))
                 for p in chosen]) if chosen else literal(False)


def incomplete_page(node, exam_id, page=0, part_key=None, page_size=PAGE_SIZE):
    """(candidates of the page, {candidate id: {part: state}}, has a next page): the
    candidates of ``node``'s subtree not complete (in ``part_key`` when given), by id."""
    ids = list(iter_incomplete_ids(node, exam_id, part_key, offset=page * page_size,
                                   limit=page_size + 1))
    more = len(ids) > page_size
    ids = ids[:page_size]
    rows = db.session.execute(select(Candidate).options(selectinload(Candidate.node))
                              .where(Candidate.id.in_(ids))
                              .order_by(Candidate.id)).scalars().all() if ids else []
    return rows, archive.states_of(ids), more


def iter_incomplete_ids(node, exam_id, part_key=None, offset=0, limit=None):
    """The ids of the incomplete candidates of ``node``'s subtree, in id order, read in
    chunks (never the whole subtree at once)."""
    parts = archive.parts()
    base = _subtree_candidates(node, exam_id).order_by(Candidate.id)
    if _sql_parts() is not None:
        stmt = base.where(_incomplete_clause(parts, part_key)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        result = db.session.execute(stmt.execution_options(yield_per=CHUNK))
        for chunk in result.partitions(CHUNK):
            yield from (cid for (cid,) in chunk)
        return
    skipped = given = 0
    result = db.session.execute(base.execution_options(yield_per=CHUNK))
    for chunk in result.partitions(CHUNK):
        for cid, states in archive.states_of([cid for (cid,) in chunk]).items():
            missing = [k for k in archive.incomplete(states) if part_key in (None, k)]
            if not missing:
                continue
            if skipped < offset:
                skipped += 1
                continue
            if limit is not None and given >= limit:
                return
            given += 1
            yield cid
