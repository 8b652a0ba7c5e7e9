"""成人高考 scores and admissions from the province's files (seed 004 §一 成绩信息, §四.13).

The province imports two files per exam, CSV (UTF-8 or GBK) or XLSX, read by
``candidates.registry_file.read_table``; a title row above the column names (an Excel sheet's
merged "2019年成人高考成绩" line) is skipped. A row names the candidate by 考生号 or ID number
(both: they must agree), inside the importer's subtree; unknown and outside read the same.

Scores: the subjects of the candidate's paper group (``logistics.paper_group``: 高起本 语文,
数学, 外语, 史地/理化综合; 高起专 without 综合; 专升本 政治, 外语, 专业基础课), each 0–150 with at most
one decimal; 特征分 (照顾加分) 0–``MAX_FEATURE`` (empty = 0); 总分 must be the sum of the
subjects; 档案分 = 总分 + 特征分 (computed when the column is absent or empty, checked when
given). Admissions: institution and major (code and name), level, form of study, date; the
level must be one the candidate's own level may be admitted to (高起本 → 高起本 or 高起专).

Only candidates confirmed on site count. A re-import replaces a candidate's row in place
(the audit log keeps the values before and after); an identical row counts as unchanged.
Rows are checked and reported one by one; each chunk of rows is one transaction.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import codes
from ..candidates.models import Candidate, Preference
from ..candidates.registry_file import (EXCEL_DIGITS_LOST, RegistryFileError, Table,
                                        _header_key, excel_damaged, normalise_code,
                                        normalise_date)
from ..codes import ADULT
from ..extensions import db
from ..jurisdiction import scope_clause
from ..printing.models import AdmissionTicket
from ..validators import InvalidValue
from .logistics import BASIC_COURSES, COLLEGE_TO_BACHELOR, HIGH_TO_BACHELOR, HIGH_TO_COLLEGE, \
    SCIENCE_TRACK, group_label, paper_group
from .exemption import approved_bonus_points
from .payments import confirmed_on_site
from .result_models import SUBJECT_COLUMNS, AdultAdmission, AdultResultRelease, AdultScore

CHUNK = 1000
MAX_SUBJECT = Decimal("150")  # every 成人高考 paper is out of 150
MAX_FEATURE = Decimal("50")  # the largest 照顾加分 the policy grants
HEADER_SEARCH_ROWS = 5  # title rows tolerated above the column names
UNCHANGED = object()

#: The subjects each level sits (the paper group's second part adds 文/理 and the course).
LEVEL_SUBJECTS = {
    HIGH_TO_BACHELOR: ("chinese", "mathematics", "foreign_language", "combined"),
    HIGH_TO_COLLEGE: ("chinese", "mathematics", "foreign_language"),
    COLLEGE_TO_BACHELOR: ("politics", "foreign_language", "basic_course"),
}
#: Which admission levels a candidate of each level may receive (二志愿兼报, seed 004 §四.2).
ADMISSIBLE_LEVELS = {
    HIGH_TO_BACHELOR: (HIGH_TO_BACHELOR, HIGH_TO_COLLEGE),
    HIGH_TO_COLLEGE: (HIGH_TO_COLLEGE,),
    COLLEGE_TO_BACHELOR: (COLLEGE_TO_BACHELOR,),
}
SUBJECT_NAMES = {"chinese": "语文", "mathematics": "数学", "politics": "政治",
                 "foreign_language": "外语", "combined": "综合", "basic_course": "专业基础课"}

_IDENTITY = {
    "candidate_number": ("考生号", "KSH", "candidate_number"),
    "ticket_number": ("准考证号", "准考证号码", "ZKZH", "ticket_number"),
    "id_number": ("身份证号", "身份证件号", "证件号码", "身份证号码", "ZJHM", "SFZH", "id_number"),
    "name": ("姓名", "XM", "name"),
}
#: The columns naming the candidate; a file has at least one.
_KEYS = ("candidate_number", "ticket_number", "id_number")
SCORE_COLUMNS = {
    **_IDENTITY,
    "chinese": ("语文", "YW", "chinese"),
    "mathematics": ("数学", "数学(文)", "数学(理)", "SX", "mathematics"),
    "politics": ("政治", "ZZ", "politics"),
    "foreign_language": ("外语", "英语", "WY", "foreign_language"),
    "combined": ("综合", "史地综合", "理化综合", "ZH", "combined"),
    "basic_course": ("专业基础课", "专业基础", "ZYJC", "basic_course"),
    "feature": ("特征分", "加分", "照顾加分", "TZF", "feature"),
    "total": ("总分", "ZF", "total"),
    "archive_score": ("档案分", "DAF", "archive_score"),
}
ADMISSION_COLUMNS = {
    **_IDENTITY,
    "institution_code": ("院校代码", "录取院校代码", "YXDM", "institution_code"),
    "institution_name": ("院校名称", "录取院校", "录取院校名称", "YXMC", "institution_name"),
    "major_code": ("专业代码", "录取专业代码", "ZYDM", "major_code"),
    "major_name": ("专业名称", "录取专业", "录取专业名称", "ZYMC", "major_name"),
    "level": ("层次", "录取层次", "报考层次", "CC", "level"),
    "study_form": ("学习形式", "XXXS", "study_form"),
    "admitted_on": ("录取日期", "录取时间", "LQRQ", "admitted_on"),
}
COLUMN_LABELS = {
    "candidate_number": _l("Candidate number"), "id_number": _l("ID number"),
    "ticket_number": "准考证号", "name": _l("Name"),
    "chinese": "语文", "mathematics": "数学", "politics": "政治", "foreign_language": "外语",
    "combined": "综合", "basic_course": "专业基础课",
    "feature": "特征分", "total": "总分", "archive_score": "档案分",
    "institution_code": _l("Institution code"), "institution_name": _l("Institution"),
    "major_code": _l("Major code"), "major_name": _l("Major"), "level": _l("Level"),
    "study_form": _l("Form of study"), "admitted_on": _l("Date of admission"),
}
SCORE_REQUIRED = ("total",)
ADMISSION_REQUIRED = ("institution_code", "institution_name", "major_code", "major_name",
                      "level", "study_form", "admitted_on")
_CODE_RE = {"institution_code": re.compile(r"[0-9A-Za-z]{4,10}"),
            "major_code": re.compile(r"[0-9A-Za-z]{1,10}")}
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_NUMBER_RE = re.compile(r"[0-9]{1,4}(?:\.[0-9]+)?")


@dataclass
class ImportReport:
    recorded: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)  # [(row number, number shown, reason)]

    @property
    def total(self):
        return self.recorded + self.replaced + self.unchanged + len(self.rejected)

    def counts(self):
        return {"recorded": self.recorded, "replaced": self.replaced,
                "unchanged": self.unchanged, "rejected": len(self.rejected)}


# --- the file's columns ----------------------------------------------------------------------


def _mapping(headers, columns):
    index = {_header_key(name): column for column, names in columns.items() for name in names}
    mapping = {}
    for i, header in enumerate(headers):
        column = index.get(_header_key(header))
        if column is not None and column not in mapping:
            mapping[column] = i
    return mapping


def locate_columns(table, columns, required):
    """``(table, {column: index})`` with the column-name row found among the first rows (a
    merged title row above it is skipped). RegistryFileError naming what is missing."""
    candidates = [(table.headers, 0)] + [(row, i + 1) for i, row in
                                         enumerate(table.rows[:HEADER_SEARCH_ROWS])]
    best = None
    for headers, skip in candidates:
        mapping = _mapping(headers, columns)
        if _missing(mapping, required) == []:
            if skip:
                table = Table(headers, table.rows[skip:], table.row_numbers[skip:],
                              table.imprecise_cells)
            return table, mapping
        if best is None:
            best = mapping
    raise RegistryFileError("columns", _l(
        "The file lacks the columns %(columns)s. The first row (or the row below a title) "
        "must name the columns.",
        columns="、".join(str(COLUMN_LABELS[c]) for c in _missing(best, required))))


def _missing(mapping, required):
    missing = [c for c in required if c not in mapping]
    if not any(c in mapping for c in _KEYS):
        missing.insert(0, "candidate_number")
    return missing


# --- values ----------------------------------------------------------------------------------


def parse_score(text, maximum=MAX_SUBJECT):
    """``"98"``, ``"98.5"`` → Decimal; None when not a number from 0 to ``maximum`` with at
    most one decimal."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not _NUMBER_RE.fullmatch(text):  # no exponent, sign, NaN or thousands separator
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value < 0 or value > maximum \
            or value != value.quantize(Decimal("0.1")):
        return None
    return value.quantize(Decimal("0.1"))


def _clean_text(text, limit):
    text = " ".join(unicodedata.normalize("NFKC", str(text or "")).split())
    if not text or len(text) > limit or _CONTROL_RE.search(text):
        return None
    return text


def subjects_of(group):
    """The score columns of a paper group (``01-2`` → 语文, 数学, 外语, 综合)."""
    level = group.partition("-")[0]
    return LEVEL_SUBJECTS.get(level, ())


def subject_names(group):
    """The subjects of ``group`` as printed: 数学（理）, 理化综合, 高等数学（一）."""
    level, _sep, second = group.partition("-")
    science = second == SCIENCE_TRACK
    names = {"mathematics": f"数学（{'理' if science else '文'}）",
             "combined": "理化综合" if science else "史地综合",
             "basic_course": BASIC_COURSES.get(second, "专业基础课")}
    return [(c, names.get(c, SUBJECT_NAMES[c])) for c in subjects_of(group)]


def candidate_level_and_group(level, category, track, major):
    """The candidate's level and paper group (first preference; the category without one)."""
    level = level or category
    return level, paper_group(level, track, major) if level in LEVEL_SUBJECTS else None


# --- reading rows ----------------------------------------------------------------------------


def _cells(cells, mapping):
    def cell(column):
        i = mapping.get(column)
        return cells[i].strip() if i is not None and i < len(cells) else ""
    return cell


def _identity(number, cell, damaged):
    """The row's keys: 考生号, 准考证号 (the national score files carry it) and ID number,
    each optional, at least one given."""
    keys = {k: cell(k).upper() or None for k in _KEYS}
    shown = keys["candidate_number"] or keys["ticket_number"] or keys["id_number"] or ""
    if number in damaged:
        return (number, shown, EXCEL_DIGITS_LOST)
    if not shown:
        return (number, "", _l("The row names no candidate number or ID number."))
    return {"row": number, "shown": shown, "number": keys["candidate_number"],
            "ticket": keys["ticket_number"], "id_number": keys["id_number"],
            "key": tuple(keys.values())}


def _parse_score_row(number, cells, mapping, damaged):
    cell = _cells(cells, mapping)
    row = _identity(number, cell, damaged)
    if isinstance(row, tuple):
        return row
    values = {}
    for column in SUBJECT_COLUMNS:
        text = cell(column)
        if not text:
            values[column] = None
            continue
        value = parse_score(text)
        if value is None:
            return (number, row["shown"], _l(
                "%(column)s “%(value)s” is not a score from 0 to %(max)s with at most one "
                "decimal.", column=COLUMN_LABELS[column], value=text, max=MAX_SUBJECT))
        values[column] = value
    # An empty 特征分 is the candidate's approved 照顾加分 (filled in when the row is matched).
    feature_given = bool((cell("feature") or "").strip())
    feature = parse_score(cell("feature") or "0", MAX_FEATURE)
    if feature is None:
        return (number, row["shown"], _l(
            "特征分 “%(value)s” is not a bonus from 0 to %(max)s with at most one decimal.",
            value=cell("feature"), max=MAX_FEATURE))
    total = parse_score(cell("total"), MAX_SUBJECT * 4)
    if total is None:
        return (number, row["shown"], _l("总分 “%(value)s” is not a score.",
                                         value=cell("total")))
    archive = None
    if cell("archive_score"):
        archive = parse_score(cell("archive_score"), MAX_SUBJECT * 4 + MAX_FEATURE)
        if archive is None:
            return (number, row["shown"], _l("档案分 “%(value)s” is not a score.",
                                             value=cell("archive_score")))
    row.update(values=values, feature=feature, total=total, archive=archive,
               feature_given=feature_given)
    return row


def _parse_admission_row(number, cells, mapping, damaged):
    cell = _cells(cells, mapping)
    row = _identity(number, cell, damaged)
    if isinstance(row, tuple):
        return row
    values = {}
    for column in ("institution_code", "major_code"):
        text = unicodedata.normalize("NFKC", cell(column)).strip().upper()
        if not _CODE_RE[column].fullmatch(text):
            return (number, row["shown"], _l(
                "%(column)s “%(value)s” is not a code (%(n)s Latin letters or digits).",
                column=COLUMN_LABELS[column], value=cell(column),
                n="4–10" if column == "institution_code" else "1–10"))
        values[column] = text
    for column in ("institution_name", "major_name"):
        text = _clean_text(cell(column), 100)
        if text is None:
            return (number, row["shown"], _l(
                "%(column)s must be given, at most 100 characters.",
                column=COLUMN_LABELS[column]))
        values[column] = text
    try:
        values["level"] = normalise_code(codes.CANDIDATE_CATEGORIES[ADULT], cell("level"),
                                         COLUMN_LABELS["level"])
        values["study_form"] = normalise_code(codes.STUDY_FORMS, cell("study_form"),
                                              COLUMN_LABELS["study_form"])
        values["admitted_on"] = normalise_date(cell("admitted_on"))
    except InvalidValue as exc:
        return (number, row["shown"], exc.message)
    row["values"] = values
    return row


def _read(table, parse, columns, required):
    table, mapping = locate_columns(table, columns, required)
    damaged = excel_damaged(table, mapping, _KEYS)
    rows, rejected, seen = [], [], {}
    for number, cells in table.numbered():
        row = parse(number, cells, mapping, damaged)
        if isinstance(row, tuple):
            rejected.append(row)
            continue
        first = seen.get(row["key"])
        if first is not None:
            rejected.append((number, row["shown"], _l(
                "Row %(row)d of this file already names this candidate.", row=first)))
            continue
        seen[row["key"]] = number
        rows.append(row)
    return rows, rejected


# --- writing ---------------------------------------------------------------------------------


def _candidates(rows, exam, node):
    """{row key: candidate facts} for the rows' candidates of ``exam`` in ``node``'s subtree."""
    numbers = [r["number"] for r in rows if r["number"]]
    tickets = [r["ticket"] for r in rows if r["ticket"]]
    id_numbers = [r["id_number"] for r in rows if r["id_number"]]
    found = db.session.execute(
        select(Candidate.id, Candidate.candidate_number, Candidate.id_number, Candidate.state,
               Candidate.category, Preference.level, Preference.track,
               Preference.major_category, AdmissionTicket.ticket_number)
        .outerjoin(Preference, (Preference.candidate_id == Candidate.id) & (Preference.seq == 1))
        .outerjoin(AdmissionTicket, AdmissionTicket.candidate_id == Candidate.id)
        .where(Candidate.exam_id == exam.id, scope_clause(Candidate, node),
               or_(Candidate.candidate_number.in_(numbers),
                   AdmissionTicket.ticket_number.in_(tickets),
                   Candidate.id_number.in_(id_numbers)))).all()
    return {"number": {c.candidate_number: c for c in found if c.candidate_number},
            "ticket": {c.ticket_number: c for c in found if c.ticket_number},
            "id_number": {c.id_number: c for c in found}}


def _match(row, found):
    """The candidate every key the row gives names (None when one names nobody, or two name
    different candidates)."""
    named = [found[k].get(row[k]) for k in ("number", "ticket", "id_number") if row[k]]
    first = named[0] if named else None
    return first if first is not None and all(c is first for c in named) else None


_NOT_FOUND = _l("No candidate of this exam with this candidate number, admission ticket "
                "number or ID number is in your jurisdiction.")
_NOT_CONFIRMED = _l("The registration of this candidate was not confirmed on site, so it has "
                    "no results; the row was not imported.")


def _import(table, exam, node, user_id, source, parse, columns, required, model, check):
    rows, rejected = _read(table, parse, columns, required)
    report = ImportReport(rejected=rejected)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        found = _candidates(chunk, exam, node)
        matched = [(row, _match(row, found)) for row in chunk]
        ids = [c.id for _row, c in matched if c is not None]
        bonus = approved_bonus_points(ids) if check is _check_score else {}
        for row, cand in matched:
            if cand is not None:
                row["bonus"] = bonus.get(cand.id, 0)
        existing = {r.candidate_id: r for r in db.session.execute(
            select(model).where(model.candidate_id.in_(ids))).scalars()}
        done = {}
        for row, cand in matched:
            if cand is None:
                reason = _NOT_FOUND
            elif cand.id in done:
                reason = _l("Row %(row)d of this file already names this candidate.",
                            row=done[cand.id])
            elif not confirmed_on_site(cand.state):
                reason = _NOT_CONFIRMED
            else:
                reason = check(row, cand)
            if reason is not None:
                report.rejected.append((row["row"], row["shown"], reason))
                continue
            done[cand.id] = row["row"]
            values = dict(row["values"], source=source, imported_by=user_id)
            current = existing.get(cand.id)
            if current is None:
                db.session.add(model(candidate_id=cand.id, **values))
                report.recorded += 1
            elif all(getattr(current, k) == v for k, v in row["values"].items()):
                report.unchanged += 1
            else:
                for key, value in values.items():
                    setattr(current, key, value)
                report.replaced += 1
        db.session.commit()
    report.rejected.sort(key=lambda r: r[0])
    return report


def _check_score(row, cand):
    # 特征分 is the 照顾加分 the province approved (exemption.py) when the file leaves it
    # empty; a value in the province's file stands (the file is the scoring centre's).
    if not row.get("feature_given"):
        row["feature"] = row.get("bonus", 0)
    level, group = candidate_level_and_group(cand.level, cand.category, cand.track,
                                             cand.major_category)
    if group is None:
        return _l("The candidate has no level (报考层次), so the subjects are not known.")
    wanted = subjects_of(group)
    names = "、".join(name for _c, name in subject_names(group))
    extra = [c for c, v in row["values"].items() if v is not None and c not in wanted]
    if extra:
        return _l("%(subjects)s are not subjects of %(group)s, which sits %(names)s.",
                  subjects="、".join(SUBJECT_NAMES[c] for c in extra), group=group_label(group),
                  names=names)
    missing = [c for c in wanted if row["values"][c] is None]
    if missing:
        return _l("The scores of %(subjects)s are missing: %(group)s sits %(names)s.",
                  subjects="、".join(SUBJECT_NAMES[c] for c in missing),
                  group=group_label(group), names=names)
    total = sum(row["values"][c] for c in wanted)
    if total != row["total"]:
        return _l("总分 %(total)s is not the sum of the subjects (%(sum)s).",
                  total=row["total"], sum=total)
    archive = row["total"] + row["feature"]
    if row["archive"] is not None and row["archive"] != archive:
        return _l("档案分 %(archive)s is not 总分 + 特征分 (%(sum)s).", archive=row["archive"],
                  sum=archive)
    row["values"] = dict(row["values"], paper_group=group, feature=row["feature"],
                         total=row["total"], archive_score=archive)
    return None


def _check_admission(row, cand):
    level = cand.level or cand.category
    allowed = ADMISSIBLE_LEVELS.get(level)
    if allowed is None:
        return _l("The candidate has no level (报考层次) to be admitted at.")
    if row["values"]["level"] not in allowed:
        table = codes.CANDIDATE_CATEGORIES[ADULT]
        return _l("A candidate of %(own)s cannot be admitted to %(level)s.",
                  own=codes.label(table, level, lang=None),
                  level=codes.label(table, row["values"]["level"], lang=None))
    return None


def import_scores(table, exam, node, user_id, source):
    """Record the scores of ``table`` for ``exam`` inside ``node``'s subtree."""
    return _import(table, exam, node, user_id, source, _parse_score_row, SCORE_COLUMNS,
                   SCORE_REQUIRED, AdultScore, _check_score)


def import_admissions(table, exam, node, user_id, source):
    """Record the admissions of ``table`` for ``exam`` inside ``node``'s subtree."""
    return _import(table, exam, node, user_id, source, _parse_admission_row,
                   ADMISSION_COLUMNS, ADMISSION_REQUIRED, AdultAdmission, _check_admission)


# --- release and reading ---------------------------------------------------------------------


def release_of(exam_id):
    return db.session.execute(select(AdultResultRelease).where(
        AdultResultRelease.exam_id == exam_id)).scalar_one_or_none()


def set_release(exam, what, on, user_id):
    """Turn the scores' or the admissions' switch of ``exam`` on or off (audited)."""
    if what not in ("scores", "admission"):
        raise ValueError(what)
    release = release_of(exam.id)
    if release is None:
        release = AdultResultRelease(exam_id=exam.id, scores_released=False,
                                     admission_released=False)
        db.session.add(release)
    setattr(release, f"{what}_released", bool(on))
    release.changed_by = user_id
    db.session.commit()
    return release


def result_counts(exam_id, node):
    """(scores, admissions) recorded for ``exam_id``'s candidates of ``node``'s subtree."""
    inside = select(Candidate.id).where(Candidate.exam_id == exam_id,
                                        scope_clause(Candidate, node))
    scores = db.session.execute(select(func.count(AdultScore.id)).where(
        AdultScore.candidate_id.in_(inside))).scalar()
    admissions = db.session.execute(select(func.count(AdultAdmission.id)).where(
        AdultAdmission.candidate_id.in_(inside))).scalar()
    return scores, admissions


def score_lines(score):
    """``[(subject, value)]`` of a score row as printed and shown, then 特征分, 总分, 档案分."""
    lines = [(name, score.shown(column)) for column, name in subject_names(score.paper_group)]
    return lines + [("特征分", score.shown("feature")), ("总分", score.shown("total")),
                    ("档案分", score.shown("archive_score"))]


def candidate_results(candidate_id):
    """``(score, admission)`` of one candidate (None where missing)."""
    score = db.session.execute(select(AdultScore).where(
        AdultScore.candidate_id == candidate_id)).scalar_one_or_none()
    admission = db.session.execute(select(AdultAdmission).where(
        AdultAdmission.candidate_id == candidate_id)).scalar_one_or_none()
    return score, admission
