"""Export of the (scoped, filtered) candidate list to XLSX or CSV, with headers the registry
import recognises, so an export can be corrected and imported again; and ``safe_cell``, which
every spreadsheet or CSV the application writes passes its cells through."""
import csv
import io
import json

from openpyxl import Workbook
from sqlalchemy import String, case, cast, column, func, literal, select, values
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from .. import codes
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node
from .divisions import division_name
from .models import Candidate, ImportRowError

#: first characters that make Excel / WPS read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as a spreadsheet cell that can never run as a formula: text starting with a
    formula trigger gets a leading single quote (OWASP), so an address typed as
    ``=HYPERLINK(...)`` opens as that text. Numbers stay numbers (a negative count is a value,
    not a formula); text such as a phone number "+86..." is prefixed like any other text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values):
    return [safe_cell(v) for v in values]


#: how a field is written: a code table's label, a date, a division's name, or the text itself
DATE, DIVISION = "date", "division"

#: (header, source, form): ``source`` is a Candidate attribute, or "node.code" / "node.name"
#: for the unit; ``form`` None (text), DATE, DIVISION or a code table of app.codes.
FIELDS = [
    ("姓名", "name", None),
    ("身份证号", "id_number", None),
    ("性别", "gender", codes.GENDERS),
    ("出生日期", "birth_date", DATE),
    ("民族", "ethnicity", codes.ETHNICITIES),
    ("政治面貌", "political_status", codes.POLITICAL_STATUS),
    ("联系电话", "phone", None),
    ("通讯地址", "address", None),
    ("邮政编码", "postcode", None),
    ("户籍所在地", "hukou", None),
    ("户籍所在地名称", "hukou", DIVISION),  # read by people; the import reads the code
    ("学籍号", "student_number", None),
    ("考生号", "candidate_number", None),
    ("班级", "class_name", None),
    ("学校代码", "node.code", None),
    ("学校名称", "node.name", None),
    ("考生类别", "category", None),
    # 高考 and 成人高考 fields, empty for the other kinds
    ("科类", "subject_track", codes.SUBJECT_TRACKS),
    ("外语语种", "foreign_language", codes.FOREIGN_LANGUAGES),
    ("毕业学校", "graduation_school", None),
    ("文化程度", "education_level", codes.EDUCATION_LEVELS),
    ("职业", "occupation", codes.OCCUPATIONS),
    ("参加工作时间", "work_start", DATE),
    ("考生特征", "candidate_feature", codes.ADULT_FEATURES),
    ("招生类别", "enrolment_type", codes.ENROLMENT_TYPES),
    ("学习形式", "study_form", codes.STUDY_FORMS),
    ("毕业日期", "graduation_date", DATE),
    ("毕业证书编号", "diploma_number", None),
    ("医学类执业资格证书编号", "medical_license", None),
    ("备注", "remark", None),
]
HEADERS = [header for header, _source, _form in FIELDS]


def _formatter(form):
    """value → the cell's text, for one field (code labels looked up in a dict: an export
    formats hundreds of thousands of rows)."""
    if form is None:
        return lambda value: "" if value is None else str(value)
    if form == DATE:
        return lambda value: value.isoformat() if value else ""
    if form == DIVISION:
        return division_name
    labels = {row[0]: row[1] for row in form}
    return lambda value: labels.get(value, "") if value else ""


def _row_maker():
    formats = [_formatter(form) for _h, _s, form in FIELDS]

    def make(values):
        return safe_row(fmt(value) for fmt, value in zip(formats, values))
    return make


def rows(candidates):
    """Cells of candidate objects (loaded with their unit), in FIELDS order."""
    make = _row_maker()
    for cand in candidates:
        yield make(cand.node.code if src == "node.code" else cand.node.name
                   if src == "node.name" else getattr(cand, src) for _h, src, _f in FIELDS)


#: code points of FORMULA_TRIGGERS (PostgreSQL's ascii() of a cell's first character)
_TRIGGER_CODES = [ord(c) for c in FORMULA_TRIGGERS]


def _sql_text(column, form, blank="", postgresql=False):
    """The cell of ``column`` as the database writes it: a code as its label, a date as ISO
    text, free text made formula-safe as ``safe_cell`` does; NULL as ``blank``. PostgreSQL
    looks labels up in a constant jsonb object and tests the first character's code (half the
    cost of a CASE over every code and of substr())."""
    if form == DATE:
        return func.coalesce(cast(column, String), blank)
    if form == DIVISION:
        return func.coalesce(column, blank)
    if form is not None:
        labels = {code: label for code, label, *_rest in form}
        if postgresql:
            return cast(literal(json.dumps(labels, ensure_ascii=False)), JSONB).op("->>")(column)
        return case(labels, value=column, else_=blank)
    if postgresql:
        return case((func.ascii(column).in_(_TRIGGER_CODES), literal("'") + column),
                    else_=column)
    text = func.coalesce(cast(column, String), blank)
    return case((func.substr(text, 1, 1).in_(FORMULA_TRIGGERS), literal("'") + text),
                else_=text)


def _statement(query, blank="", divisions=None, postgresql=False):
    """The select of the export's cells for a (filtered, scoped) ORM ``query`` of Candidate,
    in id order. ``divisions`` ({code: name}): division names joined in SQL; otherwise the
    DIVISION cells hold the code (named in Python)."""
    unit = aliased(Node)
    query = query.join(unit, unit.id == Candidate.node_id)
    named = None
    if divisions:
        named = values(column("code", String), column("name", String),
                       name="division").data(sorted(divisions.items()))
        query = query.outerjoin(named, named.c.code == Candidate.hukou)
    cells = []
    for i, (_h, src, form) in enumerate(FIELDS):
        source = unit.code if src == "node.code" else unit.name if src == "node.name" \
            else getattr(Candidate, src)
        if form == DIVISION and named is not None:
            cell = func.coalesce(named.c.name, source, blank)  # outside the tree: the code
        else:
            cell = _sql_text(source, form, blank, postgresql)
        cells.append(cell.label(f"c{i}"))
    return query.with_entities(*cells).order_by(None).order_by(Candidate.id).statement


def query_rows(query, chunk=5000):
    """Cells of every candidate a (filtered, scoped) ORM ``query`` of Candidate selects. The
    database formats them (labels, dates, formula safety) and streams them a chunk at a time
    (a server-side cursor on PostgreSQL) as plain rows, never objects: memory stays flat."""
    named = [i for i, (_h, _s, form) in enumerate(FIELDS) if form == DIVISION]
    result = db.session.connection().execute(
        _statement(query).execution_options(stream_results=True, max_row_buffer=chunk))
    for part in result.partitions(chunk):
        for row in part:
            row = list(row)
            for i in named:
                row[i] = division_name(row[i])
            yield row


def division_names():
    """{code: full name} of the tree's provinces, cities and counties (河南省郑州市中原区)."""
    regions = db.session.execute(select(Node.code, Node.name, Node.path).where(
        Node.kind.in_((PROVINCE, CITY, COUNTY)))).all()
    names = {code: name for code, name, _path in regions}
    return {code: "".join(names.get(part, "") for part in path.split("/") if part)
            for code, _name, path in regions}


class CsvExport:
    """The CSV of a (filtered, scoped) ORM ``query`` of Candidate, as encoded blocks (iterate
    it), UTF-8 with a BOM (Excel on Chinese Windows reads UTF-8 only with one); ``count`` is
    the number of rows once iterated. On PostgreSQL the server writes the rows (``COPY (SELECT
    …) TO STDOUT``, the query's parameters bound by the driver) and they pass through as they
    come; elsewhere Python's csv module writes them from :func:`query_rows`."""

    def __init__(self, query):
        self.query, self.count = query, 0

    def __iter__(self):
        yield ("\ufeff" + ",".join(HEADERS) + "\r\n").encode("utf-8")
        if db.session.get_bind().dialect.name == "postgresql":
            yield from self._copy()
        else:
            yield from self._python()

    def _copy(self):
        stmt = _statement(self.query, blank=None, divisions=division_names(), postgresql=True)
        compiled = stmt.compile(dialect=db.session.get_bind().dialect,
                                compile_kwargs={"render_postcompile": True})
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)",
                             compiled.params) as copy:
                for block in copy:
                    yield bytes(block)
            self.count = cursor.rowcount

    def _python(self, block=2000):
        sink = _Lines()
        writer = csv.writer(sink)
        for count, row in enumerate(query_rows(self.query), 1):
            writer.writerow(row)
            self.count = count
            if count % block == 0:
                yield sink.take().encode("utf-8")
        yield sink.take().encode("utf-8")


class _Lines:
    """A file-like sink for csv.writer that hands the text back a block at a time."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def write_xlsx(cells, fh):
    """Write the XLSX of ``cells`` to ``fh`` (openpyxl's write-only mode: rows go to a temp
    file, not memory); the number of rows. Strings stay strings: an ID number must never
    become a float in Excel."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("考生")
    ws.append(HEADERS)
    count = 0
    for row in cells:
        ws.append(row)
        count += 1
    wb.save(fh)
    return count


def to_xlsx(candidates):
    buf = io.BytesIO()
    count = write_xlsx(rows(candidates), buf)
    return buf.getvalue(), count


def row_errors_csv(batch_id, filename):
    """The rejected rows of an import (registry or exchange) as a CSV download: row, column,
    reason, with a BOM so Excel on Chinese Windows opens the UTF-8 correctly."""
    from flask import Response
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import select

    errors = db.session.execute(select(ImportRowError).where(ImportRowError.batch_id == batch_id)
                                .order_by(ImportRowError.row, ImportRowError.id)).scalars()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(_l("Row")), str(_l("Column")), str(_l("Reason"))])
    for err in errors:
        writer.writerow(safe_row([err.row, err.column or "", err.reason]))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
