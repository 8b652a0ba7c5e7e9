"""高考 scores (成绩信息, seed 002 part 6): the province (我院统一采集) imports the 文化 and 专业
scores and the 特征分 from a file; candidates see theirs on the self-service page once the
province releases the exam's scores; the 考生志愿表 prints them (``score_lines``).

A row names the candidate by 考生号 or ID number (or both, which must agree; a 姓名 column, when
present, must match). Scores are numbers with at most one decimal within their range (语文,
数学, 外语 0–150, 文综/理综 0–300, 专业 0–300; 特征分 0–1000 with at most four decimals); the
文化总分 may be left empty (it is then the sum of the subjects given) and, when given, must
equal that sum. A rejected row stores nothing. Importing again replaces a candidate's scores;
the audit trail keeps each value before and after.
"""
import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import scope_clause
from . import archive
from .score_models import GaokaoScore, ScoreRelease
from .scores_file import (CHUNK, IDENTITY, IDENTITY_LABELS, ImportReport, RowRefused,
                          cell_reader, damaged_rows, find_candidates, header_index, identity,
                          locate_header, map_headers, match, require_identity)

#: column → (label, recognised headers, maximum, decimals); the 文化 subjects first, in the
#: order the total adds them up.
SUBJECTS = {
    "chinese": (_l("Chinese"), ("语文", "YW", "chinese"), 150, 1),
    "mathematics": (_l("Mathematics"), ("数学", "SX", "mathematics"), 150, 1),
    "foreign_language": (_l("Foreign language"), ("外语", "英语", "WY", "foreign_language"),
                         150, 1),
    "combined": (_l("Combined subjects"), ("综合", "文综", "理综", "文科综合", "理科综合",
                                           "文综/理综", "ZH", "combined"), 300, 1),
}
OTHER = {
    "total": (_l("Total of the general subjects"), ("总分", "文化总分", "文化成绩", "ZF",
                                                    "total"), 750, 1),
    "professional": (_l("Specialised test score"), ("专业", "专业成绩", "专业分", "专业课",
                                                   "ZYCJ", "professional"), 300, 1),
    "feature": (_l("Feature score"), ("特征分", "特征成绩", "TZF", "feature"), 1000, 4),
}
SCORES = {**SUBJECTS, **OTHER}
LABELS = {**IDENTITY_LABELS, **{c: spec[0] for c, spec in SCORES.items()}}
COLUMNS = {**IDENTITY, **{c: spec[1] for c, spec in SCORES.items()}}
_INDEX = header_index(COLUMNS)
EXAMPLE = "考生号（或身份证号）、姓名、语文、数学、外语、综合、总分、专业、特征分"
_ABSENT = {"", "缺考", "缺", "-", "—", "/"}


# --- rules ------------------------------------------------------------------------------------

def parse_score(column, text):
    """A score of ``column`` as Decimal (None when empty or 缺考); RowRefused naming the
    column when it is not a number in range with the column's decimals."""
    label, _names, maximum, decimals = SCORES[column]
    value = unicodedata.normalize("NFKC", text or "").strip()
    if value in _ABSENT:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RowRefused(label, _l("“%(value)s” is not a number.", value=value), value) from None
    if not number.is_finite():
        raise RowRefused(label, _l("“%(value)s” is not a number.", value=value), value)
    if number < 0 or number > maximum:
        raise RowRefused(label, _l("%(value)s is outside 0–%(max)d.", value=value,
                                   max=maximum), value)
    if -number.normalize().as_tuple().exponent > decimals:
        raise RowRefused(label, _l("%(value)s has more than %(n)d decimals.", value=value,
                                   n=decimals), value)
    return number.quantize(Decimal(1).scaleb(-decimals))


def parse_scores(cell):
    """{column: Decimal or None} of a row; RowRefused at the first bad value or when the
    given total is not the sum of the subjects given."""
    values = {column: parse_score(column, cell(column)) for column in SCORES}
    given = [values[c] for c in SUBJECTS if values[c] is not None]
    if not given and values["total"] is None:
        raise RowRefused(LABELS["total"], _l("The row holds no score."))
    if given:
        total = sum(given, Decimal(0))
        if values["total"] is None:
            values["total"] = total
        elif values["total"] != total:
            raise RowRefused(LABELS["total"], _l(
                "The total %(total)s is not the sum of the subjects (%(sum)s).",
                total=_plain(values["total"]), sum=_plain(total)), cell("total"))
    return values


def _plain(number):
    return format(number.normalize(), "f") if number is not None else ""


def column_mapping(table):
    """(table with its header found, {column: index}); RegistryFileError when the file names
    no candidate column or no score column."""
    table = locate_header(table, _INDEX)
    mapping = map_headers(table.headers, _INDEX)
    require_identity(mapping, [] if set(SCORES) & set(mapping) else ["total"], LABELS, EXAMPLE)
    return table, mapping


# --- import -----------------------------------------------------------------------------------

def import_scores(table, exam, node, source):
    """Store the scores of ``table`` for ``exam``'s candidates inside ``node``'s subtree;
    commits per chunk and returns an :class:`ImportReport`."""
    table, mapping = column_mapping(table)
    report, rows, seen = ImportReport(), [], {}
    damaged = damaged_rows(table, mapping)
    for number, cells in table.numbered():
        cell = cell_reader(cells, mapping)
        try:
            cand_number, id_number, shown = identity(number, cell, damaged)
            values = parse_scores(cell)
        except RowRefused as exc:
            report.reject(number, exc.column, exc.reason, exc.value)
            continue
        key = cand_number or id_number
        if key in seen:
            report.reject(number, LABELS["candidate_number" if cand_number else "id_number"],
                          _l("Row %(row)d of this file already holds this candidate.",
                             row=seen[key]), shown)
            continue
        seen[key] = number
        rows.append({"row": number, "number": cand_number, "id_number": id_number,
                     "shown": shown, "name": cell("name"), "values": values})
    for start in range(0, len(rows), CHUNK):
        _store_chunk(rows[start:start + CHUNK], exam, node, source, report)
    report.rejected.sort(key=lambda r: r[0])
    return report


def _store_chunk(rows, exam, node, source, report):
    by_number, by_id_number = find_candidates(rows, exam, node)
    cands = {c.id: c for c in [*by_number.values(), *by_id_number.values()]}
    existing = {s.candidate_id: s for s in db.session.execute(
        select(GaokaoScore).where(GaokaoScore.candidate_id.in_(list(cands)))).scalars()}
    done, counts = {}, {"added": 0, "replaced": 0, "unchanged": 0}
    for row in rows:
        try:
            cand = match(row, by_number, by_id_number)
        except RowRefused as exc:
            report.reject(row["row"], exc.column, exc.reason, exc.value)
            continue
        if cand.id in done:  # named once by 考生号 and once by ID number
            report.reject(row["row"], LABELS["candidate_number"], _l(
                "Row %(row)d of this file already holds this candidate.", row=done[cand.id]),
                row["shown"])
            continue
        done[cand.id] = row["row"]
        score = existing.get(cand.id)
        if score is None:
            db.session.add(GaokaoScore(candidate=cand, source=source, **row["values"]))
            counts["added"] += 1
        elif all(getattr(score, c) == v for c, v in row["values"].items()):
            counts["unchanged"] += 1
        else:
            for column, value in row["values"].items():
                setattr(score, column, value)
            score.candidate, score.source = cand, source
            counts["replaced"] += 1
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        for row_number in done.values():
            report.reject(row_number, "", _l("Stored by another import at the same time: "
                                             "import the file again to see the result."))
        return
    report.added += counts["added"]
    report.replaced += counts["replaced"]
    report.unchanged += counts["unchanged"]


# --- release ----------------------------------------------------------------------------------

def is_released(exam_id):
    return bool(db.session.execute(select(ScoreRelease.released).where(
        ScoreRelease.exam_id == exam_id)).scalar())


def set_released(exam, released, user_id):
    """Turn the exam's release switch on or off (audited); the caller commits."""

    switch = db.session.execute(select(ScoreRelease).where(
        ScoreRelease.exam_id == exam.id)).scalar_one_or_none()
    if switch is None:
        switch = ScoreRelease(exam_id=exam.id, released=False)
        db.session.add(switch)
    switch.released = bool(released)
    switch.changed_on, switch.changed_by = dt.datetime.now(), user_id
    return switch


def score_counts(exam_id, node):
    """(candidates of ``exam_id`` in ``node``'s subtree, of them with scores)."""
    cands = select(Candidate.id).where(Candidate.exam_id == exam_id,
                                       scope_clause(Candidate, node))
    total = db.session.execute(select(func.count()).select_from(cands.subquery())).scalar()
    scored = db.session.execute(select(func.count(GaokaoScore.id)).where(
        GaokaoScore.candidate_id.in_(cands))).scalar()
    return total, scored


# --- reading ----------------------------------------------------------------------------------

def lines_of(score):
    """[(label, value)] of a score row: the subjects given, the total, 专业 and 特征分 when
    present."""
    out = []
    for column, spec in SCORES.items():
        value = getattr(score, column)
        if value is not None:
            out.append((str(spec[0]), _plain(Decimal(value))))
    return out


def score_lines(candidate):
    """``[(label, value), ...]`` of the candidate's released scores, in display order; empty
    before the province releases them or when none were imported."""
    if candidate is None or not is_released(candidate.exam_id):
        return []
    score = db.session.execute(select(GaokaoScore).where(
        GaokaoScore.candidate_id == candidate.id)).scalar_one_or_none()
    return lines_of(score) if score is not None else []


# --- archive part -----------------------------------------------------------------------------

def _states(candidate_ids):
    # Imported by the province from the marking centre's results: confirmed as imported.
    found = db.session.execute(select(GaokaoScore.candidate_id).where(
        GaokaoScore.candidate_id.in_(candidate_ids))).scalars()
    return {cid: archive.CONFIRMED for cid in found}


def _link(candidate):
    from flask import url_for

    return url_for("GaokaoScoreView.list", _flt_0_candidate_id=candidate.candidate_number
                   or candidate.id_number)


def _summary(candidate):
    score = db.session.execute(select(GaokaoScore).where(
        GaokaoScore.candidate_id == candidate.id)).scalar_one_or_none()
    return "，".join(f"{label} {value}" for label, value in lines_of(score)) if score else None


def _state_sql(cid):
    return archive.state_case(
        (select(GaokaoScore.id).where(GaokaoScore.candidate_id == cid).exists(),
         archive.CONFIRMED))


archive.part("scores", states=_states, link=_link, summary=_summary, state_sql=_state_sql)
