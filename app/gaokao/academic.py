"""学业水平考试成绩 and 综合素质评价 (seed 002 parts 8 and 9): collected and confirmed by the
province's basic-education department (省教育厅基础教育部门), imported by the province
(我院负责导入并转换) from the department's files and converted to the archive's codes
(``academic_codes``: subjects, dimensions, grade scales and what the department writes).

Two layouts are read: one row per candidate and subject / dimension (columns 考生号 or 身份证号,
科目 or 评价维度, 等级), or one row per candidate with a column per subject / dimension (语文,
数学, …). Each grade must be on its item's scale (A–E, 合格/不合格, A–D); a row with any bad
value is reported (row, column, reason, value) and nothing of it is stored. Importing again
replaces a candidate's grade of the same item (audited before and after); items the file does
not name are kept.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import codes as shared_codes
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import scope_clause
from . import archive
from .academic_codes import ACADEMIC, PARTS, QUALITY, grade_code, item_code, items_of, scale_of
from .score_models import BasicEduResult
from .scores_file import (CHUNK, IDENTITY, IDENTITY_LABELS, ImportReport, RowRefused,
                          cell_reader, damaged_rows, find_candidates, header_index, identity,
                          locate_header, map_headers, match, require_identity)

PART_LABELS = {ACADEMIC: _l("Academic proficiency test results"),
               QUALITY: _l("Comprehensive quality evaluation")}
ITEM_LABELS = {ACADEMIC: _l("Subject"), QUALITY: _l("Dimension")}
GRADE_LABEL = _l("Grade")
#: the long layout's columns (besides the candidate's).
LONG = {
    "item": ("科目", "科目名称", "考试科目", "KM", "KMMC", "评价维度", "维度", "评价项目",
             "项目", "item"),
    "grade": ("等级", "成绩", "成绩等级", "等第", "评价等级", "评定等级", "结果", "DJ",
              "grade"),
}
_INDEX = header_index({**IDENTITY, **LONG})
EXAMPLE = {ACADEMIC: "考生号（或身份证号）、姓名、科目、等级；或考生号、语文、数学……",
           QUALITY: "考生号（或身份证号）、姓名、评价维度、等级；或考生号、思想品德、学业水平……"}


def _labels(part):
    return {**IDENTITY_LABELS, "item": ITEM_LABELS[part], "grade": GRADE_LABEL}


def layout(table, part):
    """(table with its header found, {column: index}, {item code: index} of a wide file);
    RegistryFileError when the file names no candidate, or neither the item and grade
    columns nor an item column."""
    index = dict(_INDEX)
    table = locate_header(table, index)
    mapping = map_headers(table.headers, index)
    wide = {}
    for position, header in enumerate(table.headers):
        if position in mapping.values():
            continue
        code = item_code(part, header)
        if code is not None and code not in wide:
            wide[code] = position
    missing = []
    if not wide and not ("item" in mapping and "grade" in mapping):
        missing = [c for c in ("item", "grade") if c not in mapping]
    require_identity(mapping, missing, _labels(part), EXAMPLE[part])
    return table, mapping, wide if "item" not in mapping else {}


def _grade(part, item, raw, column):
    text = raw.strip()
    grade = grade_code(part, item, text)
    if grade is None:
        allowed = "、".join(zh for _c, zh, _en in scale_of(part, item))
        raise RowRefused(column, _l("“%(value)s” is not a grade of %(item)s; use %(allowed)s.",
                                    value=text, item=_item_label(part, item),
                                    allowed=allowed), text)
    return grade


def _item_label(part, item):
    return shared_codes.label(items_of(part), item, lang=None, default=item)


def parse_grades(part, cell, cells, mapping, wide):
    """{item code: (grade code, original text)} of a row; RowRefused at the first bad value."""
    labels = _labels(part)
    if not wide:
        raw_item, raw_grade = cell("item"), cell("grade")
        item = item_code(part, raw_item)
        if item is None:
            raise RowRefused(labels["item"], _l(
                "“%(value)s” is not a %(what)s of the archive; use one of %(known)s.",
                value=raw_item, what=ITEM_LABELS[part],
                known="、".join(zh for _c, zh, _en in items_of(part))), raw_item)
        if not raw_grade:
            raise RowRefused(labels["grade"], _l("The grade is missing."))
        return {item: (_grade(part, item, raw_grade, labels["grade"]), raw_grade)}
    grades = {}
    for item, position in wide.items():
        raw = cells[position].strip() if position < len(cells) else ""
        if raw:
            grades[item] = (_grade(part, item, raw, _item_label(part, item)), raw)
    if not grades:
        raise RowRefused(GRADE_LABEL, _l("The row holds no grade."))
    return grades


def import_results(table, part, exam, node, source):
    """Store the grades of ``table`` (part ``academic`` or ``quality``) for ``exam``'s
    candidates inside ``node``'s subtree; commits per chunk, returns an ImportReport
    (``added``/``replaced``/``unchanged`` count grades, rejections rows)."""
    if part not in PARTS:
        raise ValueError(part)
    table, mapping, wide = layout(table, part)
    report, rows, seen = ImportReport(), [], {}
    damaged = damaged_rows(table, mapping)
    labels = _labels(part)
    for number, cells in table.numbered():
        cell = cell_reader(cells, mapping)
        try:
            cand_number, id_number, shown = identity(number, cell, damaged)
            grades = parse_grades(part, cell, cells, mapping, wide)
        except RowRefused as exc:
            report.reject(number, exc.column, exc.reason, exc.value)
            continue
        keys = [(cand_number or id_number, item) for item in grades]
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            report.reject(number, labels["item"] if not wide else labels["candidate_number"],
                          _l("Row %(row)d of this file already holds this candidate's grade.",
                             row=first), shown)
            continue
        seen.update((k, number) for k in keys)
        rows.append({"row": number, "number": cand_number, "id_number": id_number,
                     "shown": shown, "name": cell("name"), "grades": grades})
    for start in range(0, len(rows), CHUNK):
        _store_chunk(rows[start:start + CHUNK], part, exam, node, source, report)
    report.rejected.sort(key=lambda r: r[0])
    return report


def _store_chunk(rows, part, exam, node, source, report):
    by_number, by_id_number = find_candidates(rows, exam, node)
    cand_ids = [c.id for c in [*by_number.values(), *by_id_number.values()]]
    existing = {(r.candidate_id, r.item): r for r in db.session.execute(
        select(BasicEduResult).where(BasicEduResult.part == part,
                                     BasicEduResult.candidate_id.in_(cand_ids))).scalars()}
    done, counts = {}, {"added": 0, "replaced": 0, "unchanged": 0}
    for row in rows:
        try:
            cand = match(row, by_number, by_id_number)
        except RowRefused as exc:
            report.reject(row["row"], exc.column, exc.reason, exc.value)
            continue
        first = next((done[(cand.id, i)] for i in row["grades"] if (cand.id, i) in done), None)
        if first is not None:  # named once by 考生号 and once by ID number
            report.reject(row["row"], IDENTITY_LABELS["candidate_number"], _l(
                "Row %(row)d of this file already holds this candidate's grade.", row=first),
                row["shown"])
            continue
        for item, (grade, original) in row["grades"].items():
            done[(cand.id, item)] = row["row"]
            result = existing.get((cand.id, item))
            if result is None:
                db.session.add(BasicEduResult(candidate=cand, part=part, item=item, grade=grade,
                                              original=original[:20], source=source))
                counts["added"] += 1
            elif result.grade == grade:
                counts["unchanged"] += 1
            else:
                result.candidate = cand
                result.grade, result.original, result.source = grade, original[:20], source
                counts["replaced"] += 1
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        for row_number in sorted(set(done.values())):
            report.reject(row_number, "", _l("Stored by another import at the same time: "
                                             "import the file again to see the result."))
        return
    report.added += counts["added"]
    report.replaced += counts["replaced"]
    report.unchanged += counts["unchanged"]


def result_count(part, exam_id, node):
    """Candidates of ``exam_id`` in ``node``'s subtree holding at least one grade of ``part``."""
    cands = select(Candidate.id).where(Candidate.exam_id == exam_id,
                                       scope_clause(Candidate, node))
    return db.session.execute(select(func.count(func.distinct(BasicEduResult.candidate_id)))
                              .where(BasicEduResult.part == part,
                                     BasicEduResult.candidate_id.in_(cands))).scalar()


# --- archive parts ----------------------------------------------------------------------------

def _states_of(part):
    def states(candidate_ids):
        # Collected and confirmed by the basic-education department before the import.
        found = db.session.execute(select(BasicEduResult.candidate_id).distinct().where(
            BasicEduResult.part == part, BasicEduResult.candidate_id.in_(candidate_ids)))
        return {cid: archive.CONFIRMED for cid in found.scalars()}
    return states


def _link_of(part):
    endpoint = "AcademicResultView.list" if part == ACADEMIC else "QualityResultView.list"

    def link(candidate):
        from flask import url_for

        return url_for(endpoint, _flt_0_candidate_id=candidate.candidate_number
                       or candidate.id_number)
    return link


def _summary_of(part):
    def summary(candidate):
        rows = db.session.execute(select(BasicEduResult).where(
            BasicEduResult.part == part, BasicEduResult.candidate_id == candidate.id)
            .order_by(BasicEduResult.item)).scalars().all()
        return "，".join(f"{r.item_label} {r.grade_label}" for r in rows) or None
    return summary


def _state_sql_of(part):
    def state_sql(cid):
        return archive.state_case(
            (select(BasicEduResult.id).where(BasicEduResult.part == part,
                                             BasicEduResult.candidate_id == cid).exists(),
             archive.CONFIRMED))
    return state_sql


for _part in (ACADEMIC, QUALITY):
    archive.part(_part, states=_states_of(_part), link=_link_of(_part),
                 summary=_summary_of(_part), state_sql=_state_sql_of(_part))
