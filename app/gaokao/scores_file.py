"""What the province's result imports share (高考 scores, 学业水平考试, 综合素质评价): the table
read by ``candidates.registry_file`` (CSV in UTF-8 or GBK/GB18030, XLSX), the header row found
below a merged title row, the candidate named by 考生号 or ID number inside the importer's
subtree, Excel's cut numbers, and the row-by-row report (row, column, reason, value)."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..candidates.models import Candidate
from ..candidates.registry_file import (EXCEL_DIGITS_LOST, RegistryFileError, Table,
                                        _header_key, excel_damaged)
from ..extensions import db
from ..jurisdiction import scope_clause

CHUNK = 1000
#: rows above the header a file may carry (a merged title, a 制表单位 line, a date line).
TITLE_ROWS = 5
IDENTITY = {
    "candidate_number": ("考生号", "KSH", "candidate_number"),
    "id_number": ("身份证号", "身份证件号", "证件号码", "身份证号码", "身份证件号码", "ZJHM", "SFZH",
                  "id_number"),
    "name": ("姓名", "考生姓名", "XM", "name"),
}
IDENTITY_LABELS = {"candidate_number": _l("Candidate number"), "id_number": _l("ID number"),
                   "name": _l("Full name")}
NOT_FOUND = _l("No 高考 candidate of this exam with this candidate number or ID number is in "
               "your jurisdiction.")


@dataclass
class ImportReport:
    """What an import did: rows stored new, replaced (changed), unchanged, and the rejected
    rows as (row number, column, reason, value)."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)

    @property
    def rejected_rows(self):
        return len({r[0] for r in self.rejected})

    def reject(self, row, column, reason, value=""):
        self.rejected.append((row, str(column or ""), reason, value or ""))


class RowRefused(Exception):
    """One row is refused: column label, reason, value."""

    def __init__(self, column, reason, value=""):
        super().__init__(str(reason))
        self.column, self.reason, self.value = column, reason, value


def header_index(names):
    """{header key: column} for ``names`` ({column: recognised headers})."""
    return {_header_key(n): column for column, headers in names.items() for n in headers}


def map_headers(headers, index):
    mapping = {}
    for position, header in enumerate(headers):
        column = index.get(_header_key(header))
        if column is not None and column not in mapping:
            mapping[column] = position
    return mapping


def locate_header(table, index, needed=("candidate_number", "id_number")):
    """``table`` with its header row found: Excel files often carry a merged title row (and a
    line or two of notes) above the column names, which the reader took for the header. The
    first of the top rows naming a column of ``needed`` becomes the header; rows above it are
    dropped."""
    if any(c in map_headers(table.headers, index) for c in needed):
        return table
    for i, row in enumerate(table.rows[:TITLE_ROWS]):
        if any(c in map_headers(row, index) for c in needed):
            return Table(row, table.rows[i + 1:], table.row_numbers[i + 1:],
                         table.imprecise_cells)
    return table


def require_identity(mapping, other_missing=(), labels=None, example=""):
    """RegistryFileError when neither 考生号 nor ID number (or another required column) is
    mapped."""
    missing = [str(IDENTITY_LABELS["candidate_number"]) + "/" + str(IDENTITY_LABELS["id_number"])]
    if "candidate_number" in mapping or "id_number" in mapping:
        missing = []
    missing += [str((labels or {}).get(c, c)) for c in other_missing]
    if missing:
        raise RegistryFileError("columns", _l(
            "The file lacks the columns %(columns)s. The column names must be in the first "
            "row (a title row above them is skipped), e.g. %(example)s.",
            columns="、".join(missing), example=example))


def cell_reader(cells, mapping):
    def cell(column):
        index = mapping.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""
    return cell


def identity(number, cell, damaged):
    """(考生号, ID number, shown) of a row; RowRefused when it names no one or Excel cut the
    number."""
    cand_number = cell("candidate_number").upper()
    id_number = cell("id_number").upper()
    if number in damaged:
        column = damaged[number][0]
        raise RowRefused(IDENTITY_LABELS[column], EXCEL_DIGITS_LOST, cell(column))
    if not cand_number and not id_number:
        raise RowRefused(IDENTITY_LABELS["candidate_number"],
                         _l("The row names no candidate number or ID number."))
    return cand_number or None, id_number or None, cand_number or id_number


def damaged_rows(table, mapping):
    return excel_damaged(table, mapping, ("candidate_number", "id_number"))


def find_candidates(rows, exam, node):
    """(by 考生号, by ID number) of the candidates ``rows`` name, of ``exam`` inside
    ``node``'s subtree, with their unit loaded (the audit files each change there)."""
    numbers = [r["number"] for r in rows if r["number"]]
    id_numbers = [r["id_number"] for r in rows if r["id_number"]]
    found = db.session.execute(
        select(Candidate).options(joinedload(Candidate.node))
        .where(Candidate.exam_id == exam.id, scope_clause(Candidate, node),
               or_(Candidate.candidate_number.in_(numbers),
                   Candidate.id_number.in_(id_numbers)))).scalars().all()
    return ({c.candidate_number: c for c in found if c.candidate_number},
            {c.id_number: c for c in found})


def match(row, by_number, by_id_number):
    """The candidate a row names; RowRefused when unknown, outside the subtree (the same
    message: existence is not revealed), when 考生号 and ID number name different candidates,
    or when the row's 姓名 is not the candidate's."""
    by_num = by_number.get(row["number"]) if row["number"] else None
    by_idn = by_id_number.get(row["id_number"]) if row["id_number"] else None
    column = "candidate_number" if row["number"] else "id_number"
    if row["number"] and row["id_number"]:
        cand = by_num if by_num is not None and by_num is by_idn else None
    else:
        cand = by_num or by_idn
    if cand is None:
        raise RowRefused(IDENTITY_LABELS[column], NOT_FOUND, row["shown"])
    if row.get("name") and row["name"] != cand.name:
        raise RowRefused(IDENTITY_LABELS["name"], _l(
            "The name does not match the candidate's name in the registry."), row["name"])
    return cand
