"""What a data report freezes, and the comparisons made on it, as set-based SQL.

A report copies the records of its unit and exam into ``ks_report_record`` with one
``INSERT … SELECT`` (a county of 100 000 records costs one statement, not one Python object
per record). The same projection of a live record (its fields, and its guardians,
preferences, 优惠 and photo folded into one text each) serves to freeze and to compare, so a
frozen row and the live record it came from compare equal until the data changes.

Two sources of rows share one shape — a report's frozen rows, or a unit's live records — and
one diff between any two of them says which records were added, removed or changed (a field
differs). The receiver's diff is report against the unit's previous accepted report; "changed
since reported" is report against the live records. The review state and version are frozen
for reading but are never compared: a review step is not a change of data.
"""
from sqlalchemy import String, and_, case, cast, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..candidates.models import Candidate, Guardian, Preference
from ..extensions import db
from ..jurisdiction import subtree_ids
from ..photos.models import PHOTO, CandidatePhoto
from ..review.models import Qualification
from ..review.states import REJECTED
from .models import COMPARED, RECORD_FIELDS, ReportRecord
from .rules import FIELD_SEP, ROW_SEP

#: Rows of one diff page.
PAGE_SIZE = 50
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
KINDS = (ADDED, REMOVED, CHANGED)


def _text(expr):
    """A part's column as text, empty when NULL (so a row's text never collapses to NULL)."""
    return func.coalesce(cast(expr, String), "")


def _row_text(*columns):
    expr = _text(columns[0])
    for column in columns[1:]:
        expr = expr + literal(FIELD_SEP, String) + _text(column)
    return expr


def _joined(expr, where, order_by):
    """The candidate's part rows ``expr`` joined in ``order_by`` order (NULL when none): an
    ordered aggregate on PostgreSQL, an ordered derived table on SQLite (which aggregates in
    the order of a subquery it does not flatten)."""
    if db.engine.dialect.name == "postgresql":
        return select(func.string_agg(
            expr, aggregate_order_by(literal(ROW_SEP, String), *order_by))
        ).where(where).scalar_subquery()
    rows = select(expr.label("v")).where(where).order_by(*order_by).correlate(
        Candidate).subquery()
    return select(func.group_concat(rows.c.v, ROW_SEP)).scalar_subquery()


def live_columns():
    """{column: SQL expression over ks_candidate}: a live record in the frozen shape."""
    of = Candidate.id
    parts = {
        "guardians": _joined(_row_text(Guardian.name, Guardian.relation, Guardian.phone,
                                       Guardian.work_unit),
                             Guardian.candidate_id == of, (Guardian.id,)),
        "preferences": _joined(
            _row_text(Preference.seq, Preference.level, Preference.school_code,
                      Preference.school_name, Preference.major_code, Preference.major_name,
                      Preference.study_form, Preference.duration,
                      case((Preference.adjust, "1"), else_="0")),
            Preference.candidate_id == of, (Preference.seq,)),
        # 优惠: the qualifications applied for and not rejected (their approval steps are
        # the review's, not a change of what was reported).
        "bonus": _joined(_text(Qualification.kind),
                         and_(Qualification.candidate_id == of, Qualification.state != REJECTED),
                         (Qualification.kind, Qualification.id)),
        "photo_sha": select(func.max(CandidatePhoto.file_sha256)).where(
            CandidatePhoto.candidate_id == of, CandidatePhoto.kind == PHOTO,
            CandidatePhoto.current.is_(True)).scalar_subquery(),
    }
    return {"candidate_id": Candidate.id, "version": Candidate.version,
            "state": Candidate.state,
            **{name: getattr(Candidate, name) for name in RECORD_FIELDS}, **parts}


def live_records(unit, exam_id, candidate_ids=None):
    """The live records of ``unit``'s subtree and the exam, in the frozen shape."""
    stmt = select(*(expr.label(name) for name, expr in live_columns().items())).where(
        Candidate.exam_id == exam_id, Candidate.node_id.in_(subtree_ids(unit.path)))
    if candidate_ids is not None:
        stmt = stmt.where(Candidate.id.in_(candidate_ids))
    return stmt


def frozen_records(report_id):
    """The rows a report froze."""
    table = ReportRecord.__table__
    return select(*(c for c in table.c if c.name != "report_id")).where(
        table.c.report_id == report_id)


def freeze(report):
    """Copy the records of the report's unit and exam into ``ks_report_record`` in one
    statement (the report must have its id: flushed)."""
    columns = live_columns()
    source = live_records(report.node, report.exam_id).add_columns(
        literal(report.id).label("report_id"))
    db.session.execute(insert(ReportRecord.__table__).from_select([*columns, "report_id"],
                                                                  source))


# --- diffs -----------------------------------------------------------------------------------

def _differs(old, new):
    """Some compared column differs (NULL and a value differ; two NULLs do not)."""
    return or_(*(old.c[name].is_distinct_from(new.c[name]) for name in COMPARED))


def _joined_sides(old_source, new_source):
    return old_source.subquery("old"), new_source.subquery("new")


def _kind_select(kind, old, new, columns):
    """Rows of one kind of difference between the sides ``old`` and ``new``."""
    if kind == ADDED:
        return select(*columns(new)).select_from(
            new.outerjoin(old, old.c.candidate_id == new.c.candidate_id)).where(
            old.c.candidate_id.is_(None))
    if kind == REMOVED:
        return select(*columns(old)).select_from(
            old.outerjoin(new, new.c.candidate_id == old.c.candidate_id)).where(
            new.c.candidate_id.is_(None))
    return select(*columns(new)).select_from(
        new.join(old, old.c.candidate_id == new.c.candidate_id)).where(_differs(old, new))


def diff_counts(old_source, new_source):
    """{added, removed, changed: n} between two sources (frozen or live), counted in SQL."""
    old, new = _joined_sides(old_source, new_source)
    one = lambda side: (side.c.candidate_id,)  # noqa: E731
    return {kind: db.session.execute(select(func.count()).select_from(
        _kind_select(kind, old, new, one).subquery())).scalar() for kind in KINDS}


def diff_page(old_source, new_source, kind, page=0, page_size=PAGE_SIZE):
    """One page of the records of ``kind`` (ordered by candidate id): for added and removed
    the record as it is on that side; for changed the record before and after (rows of both
    sides, ``(before, after)``)."""
    old, new = _joined_sides(old_source, new_source)
    everything = lambda side: tuple(side.c)  # noqa: E731
    if kind != CHANGED:
        side = new if kind == ADDED else old
        stmt = _kind_select(kind, old, new, everything).order_by(side.c.candidate_id)
        return db.session.execute(stmt.limit(page_size).offset(page * page_size)).all()
    stmt = (select(*(c.label(f"old_{c.name}") for c in old.c),
                   *(c.label(f"new_{c.name}") for c in new.c))
            .select_from(new.join(old, old.c.candidate_id == new.c.candidate_id))
            .where(_differs(old, new)).order_by(new.c.candidate_id)
            .limit(page_size).offset(page * page_size))
    pairs = []
    for row in db.session.execute(stmt).mappings():
        before = {c.name: row[f"old_{c.name}"] for c in old.c}
        after = {c.name: row[f"new_{c.name}"] for c in new.c}
        pairs.append((before, after))
    return pairs


def changed_fields(before, after):
    """The compared columns whose values differ, in page order (the rows of one page)."""
    return [name for name in COMPARED if before.get(name) != after.get(name)]


# --- changed since reported --------------------------------------------------------------------

def changed_since(report, candidate_ids=None):
    """Ids of the report's records whose live data differs from what it froze (a record
    deleted since is not listed: the next report's diff shows it removed)."""
    old, new = _joined_sides(frozen_records(report.id),
                             live_records(report.node, report.exam_id, candidate_ids))
    stmt = (select(new.c.candidate_id).select_from(
        new.join(old, old.c.candidate_id == new.c.candidate_id)).where(_differs(old, new)))
    return set(db.session.execute(stmt).scalars())


def covering_report_ids(candidate_id, reports):
    """The ids of ``reports`` (a select of report ids) that froze ``candidate_id``, latest
    first: one range scan of the (candidate, report) index."""
    table = ReportRecord.__table__
    return db.session.execute(select(table.c.report_id).where(
        table.c.candidate_id == candidate_id, table.c.report_id.in_(reports))
        .order_by(table.c.report_id.desc())).scalars().all()
