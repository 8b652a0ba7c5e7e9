"""Reading 学籍 (school registry) export files for candidate import: CSV or XLSX → a table
of stripped strings, a header → field mapping, and per-value normalisers. Pure: no app,
database or request needed (messages are lazy strings).
"""
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from .. import codes
from ..refusals import BadInput
from ..validators import InvalidValue, foreign_fields, id_check_char, message_text

MAX_ROWS = 200_000
#: A registry export has a few dozen columns; far more is not a registry file, and the mapping
#: page (one choice per column and field) must stay small.
MAX_COLUMNS = 200
#: The first (column names) line of a CSV: 200 names of a few characters fit many times.
MAX_HEADER_CHARS = 20_000
#: Cells kept in memory (MAX_ROWS rows of 40 columns): bounds a worker's memory per file.
MAX_CELLS = 8_000_000
_DELIMITERS = (",", ";", "\t")
# Integers from 1e15 up have more digits than Excel (15) or a double reliably keeps: an
# 18-digit ID number typed into a number-formatted cell has already lost its last digits.
_IMPRECISE_FROM = 10**15


class RegistryFileError(BadInput):
    """The upload is not a usable table; ``code`` is stable, ``message`` is lazy."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass
class Table:
    headers: list
    rows: list  # list[list[str]], fully empty rows left out
    row_numbers: list  # the 1-based row of each entry of ``rows`` as in the file
    # (row_number, column_index) of numeric cells too long to be exact: an ID number
    # there has lost digits, which deserves a clearer message than a bad check digit.
    imprecise_cells: set = field(default_factory=set)

    def numbered(self):
        return zip(self.row_numbers, self.rows)


# --- reading ------------------------------------------------------------------------

_NOT_A_TABLE = _l("The file is not a table. Upload an Excel .xlsx file or a CSV file.")
_XLS = _l("Old Excel .xls files are not supported: open the file in Excel or WPS and "
          "save it as .xlsx (Excel workbook) or CSV, then upload it again.")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"\x1f\x8b",
                 b"7z\xbc\xaf")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Control characters never appear in a real text export; they mean binary data that
# happened to decode (GB18030 accepts most byte sequences).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _too_wide(columns):
    return RegistryFileError("too_wide", _l(
        "The file has %(n)d columns; a registry file has at most %(max)d. Delete the columns "
        "that are not needed (also empty columns at the right that only hold formatting), "
        "save the file again and upload it.", n=columns, max=MAX_COLUMNS))


def read_table(data, filename="", max_rows=MAX_ROWS):
    """Parse an uploaded export; raise :class:`RegistryFileError` if it is unusable (also
    when it is far too wide or too long for a registry file: a hostile or broken file must
    not exhaust the worker)."""
    if data.startswith(_OLE_MAGIC):
        raise RegistryFileError("not_a_table", _XLS)
    if data.startswith(b"PK\x03\x04"):
        raw_rows = _xlsx_rows(data)
    elif data.startswith(_BINARY_MAGIC) or _looks_binary(data):
        # Some registry systems name text exports .xls; those still reach the CSV reader.
        xls = (filename or "").lower().endswith(".xls")
        raise RegistryFileError("not_a_table", _XLS if xls else _NOT_A_TABLE)
    else:
        raw_rows = _csv_rows(_decode(data))
    return _build_table(raw_rows, max_rows)


def _looks_binary(data):
    return b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _decode(data):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        encodings = ("utf-16",)
    else:
        # Strict UTF-8 first: GBK bytes are almost never valid UTF-8, while the reverse
        # decode would silently produce mojibake.
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_RE.search(text):
            break
        return text
    raise RegistryFileError("not_a_table", _NOT_A_TABLE)


def _csv_rows(text):
    first = next((line for line in text.splitlines() if line.strip()), "")
    if len(first) > MAX_HEADER_CHARS:
        raise RegistryFileError("too_wide", _l(
            "The first row of the file is longer than %(max)d characters: that is not a row "
            "of column names. The first row must hold the column names (姓名, 身份证号, ...); "
            "correct the file, save it again and upload it.", max=MAX_HEADER_CHARS))
    delimiter = max(_DELIMITERS, key=first.count)
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield row, ()
    except csv.Error:  # e.g. a "cell" beyond the csv module's 128 KiB field limit
        raise RegistryFileError("not_a_table", _NOT_A_TABLE) from None


def _xlsx_rows(data):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # The sheet's declared size, read before any row; rows are cut one column past
            # the limit, so a sheet without (or with a false) size is still caught per row.
            if (sheet.max_column or 0) > MAX_COLUMNS:
                raise _too_wide(sheet.max_column)
            # read_only iter_rows yields gap rows as empty, so positions are row numbers.
            for values in sheet.iter_rows(values_only=True,
                                          max_col=sheet.max_column or MAX_COLUMNS + 1):
                values = _without_trailing_none(values)
                imprecise = [i for i, v in enumerate(values)
                             if isinstance(v, (int, float)) and not isinstance(v, bool)
                             and abs(v) >= _IMPRECISE_FROM]
                yield [_cell_text(v) for v in values], imprecise
        finally:
            workbook.close()
    except RegistryFileError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError,
            ValueError, SyntaxError):  # SyntaxError: XML parse errors (stdlib and lxml)
        # A ZIP that is not a workbook (docx, an archive of photos, ...) or a broken one.
        raise RegistryFileError("not_a_table", _NOT_A_TABLE) from None


def _without_trailing_none(values):
    # Without a declared size, rows come padded to the cut: keep them as long as their data.
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr → Decimal keeps the digits Excel shows and never uses an exponent, so a
        # numeric ID number reads '110101200801011200', not '1.101012008010112e+17'.
        number = Decimal(repr(value))
        if value.is_integer():
            number = number.to_integral_value()
        return format(number, "f")
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _build_table(raw_rows, max_rows):
    headers, rows, numbers, imprecise, stored = None, [], [], set(), 0
    for number, (cells, numeric) in enumerate(raw_rows, start=1):
        cells = [c.strip() for c in _within_width(cells, number, headers is None)]
        if not any(cells):
            continue
        if headers is None:
            headers = _trim(cells)
            if _looks_like_data(headers):
                raise RegistryFileError("no_header", _l(
                    "The first row must hold the column names (姓名, 身份证号, ...), "
                    "but it looks like candidate data."))
            continue
        if len(rows) >= max_rows:
            raise RegistryFileError("too_large", _l(
                "The file has more than %(max)d data rows; split it into smaller files.",
                max=max_rows))
        cells = _trim(cells)  # Excel pads rows to its used range: keep what holds data
        stored += len(cells)
        if stored > MAX_CELLS:
            raise RegistryFileError("too_large", _l(
                "The file has more than %(max)d cells up to its last filled column; split it "
                "into smaller files.", max=MAX_CELLS))
        rows.append(cells)
        numbers.append(number)
        imprecise.update((number, i) for i in numeric)
    if not rows:
        raise RegistryFileError("empty", _l("The file has no data rows."))
    return Table(headers, rows, numbers, imprecise)


def _within_width(cells, number, header):
    """``cells`` cut to MAX_COLUMNS when only empty cells lie beyond (Excel pads rows to its
    used range); a row with data beyond is refused before its cells are looked at one by one."""
    if len(cells) <= MAX_COLUMNS:
        return cells
    if header:
        width = len(_trim([c.strip() for c in cells]))
        if width > MAX_COLUMNS:
            raise _too_wide(width)
    elif any(c.strip() for c in cells[MAX_COLUMNS:]):
        raise RegistryFileError("too_wide", _l(
            "Row %(row)d of the file has more than %(max)d columns; a registry file has at "
            "most %(max)d. Delete the extra cells, save the file again and upload it.",
            row=number, max=MAX_COLUMNS))
    return cells[:MAX_COLUMNS]


def _trim(cells):
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


_DATA_CELL_RE = re.compile(r"[0-9]{17}[0-9Xx]|[0-9.\-/: ]+")


def _looks_like_data(headers):
    # Column names are words; an ID number or a row of only numbers/dates is data.
    filled = [h for h in headers if h]
    return any(len(h) == 18 and _DATA_CELL_RE.fullmatch(h) for h in filled) or all(
        _DATA_CELL_RE.fullmatch(h) for h in filled)


# --- numbers Excel has cut to 15 digits ----------------------------------------------

#: Fields holding long numbers (身份证号, 考生号, 学籍号, certificate numbers, phones). Typed
#: or pasted into a cell formatted as a number, Excel keeps 15 significant digits:
#: 410104200801205123 becomes 410104200801205000, shown (and saved to CSV) that way or as
#: 4.10104E+17. About 1 in 11 such ID numbers still has a valid check digit.
LONG_NUMBER_FIELDS = ("id_number", "candidate_number", "student_number", "diploma_number",
                      "medical_license", "phone", "guardian1_phone")
EXCEL_DIGITS_LOST = _l(
    "Excel has cut this number to 15 digits (the column was formatted as a number), so it is "
    "not the real number; the row was not imported. In Excel or WPS, format the column as "
    "Text (文本) before typing or pasting the numbers, then save the file again and upload it.")
_EXPONENT_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+")
# 16 or more digits, all zero after the 15th: what the cut leaves.
_ZERO_TAIL_RE = re.compile(r"[0-9]{15}0+")


def excel_damaged(table, mapping, fields=LONG_NUMBER_FIELDS):
    """{row number: [field, ...]} of the ``fields`` (mapped to column indexes by ``mapping``)
    whose value Excel has cut to 15 significant digits. The one rule for every importer.

    Certain per cell: a numeric XLSX cell of 16+ digits (``Table.imprecise_cells``) and an
    exponent (4.10104E+17). Judged per column for text (a CSV keeps no cell types): values of
    16+ digits ending in zeros are cut when they make at least half of the column's 16+-digit
    values with at least three such zeros in all (a single genuine number ending in 000 among
    intact ones stays), or when the column shows an exponent or a numeric cell. An ID number
    ending in 000 whose check digit fails is cut in any case: a real one always passes."""
    damaged = {}
    for name in fields:
        column = mapping.get(name)
        if column is None:
            continue
        for number in _damaged_rows(table, column, check_id=name == "id_number"):
            damaged.setdefault(number, []).append(name)
    return damaged


def _damaged_rows(table, column, check_id):
    values = [(n, row[column]) for n, row in table.numbered()
              if column < len(row) and row[column]]
    certain = {n for n, v in values
               if (n, column) in table.imprecise_cells or _EXPONENT_RE.fullmatch(v)}
    long_values = sum(1 for _n, v in values if len(v) >= 16 and v.isascii() and v.isdigit())
    tails = [(n, v) for n, v in values if len(v) >= 16 and _ZERO_TAIL_RE.fullmatch(v)]
    zeros = sum(len(v) - 15 for _n, v in tails)
    if certain or (zeros >= 3 and 2 * len(tails) >= long_values):
        return certain | {n for n, _v in tails}
    if check_id:
        return {n for n, v in tails if len(v) == 18 and id_check_char(v[:17]) != v[17]}
    return set()


# --- column mapping -----------------------------------------------------------------

# field → (required, recognised header names). Order is the display order of a mapping
# form; the upper-case names are the codes used by 学籍 system exports.
FIELDS = {
    "name": (True, ["姓名", "考生姓名", "XM", "name"]),
    "id_number": (True, ["身份证号", "身份证件号", "证件号码", "身份证号码", "身份证件号码",
                         "ZJHM", "SFZH", "id_number"]),
    "id_type": (False, ["证件类型", "身份证件类型", "证件类型代码", "ZJLX", "ZJLXDM", "id_type"]),
    "gender": (False, ["性别", "XBDM", "XB", "gender"]),
    "birth_date": (False, ["出生日期", "CSRQ", "birth_date"]),
    "ethnicity": (False, ["民族", "MZDM", "MZ", "ethnicity"]),
    "political_status": (False, ["政治面貌", "ZZMMDM", "ZZMM", "political_status"]),
    "phone": (False, ["联系电话", "手机号", "手机号码", "LXSJ", "LXDH", "phone"]),
    "address": (False, ["家庭住址", "通讯地址", "TXDZ", "address"]),
    "postcode": (False, ["邮政编码", "YZBM", "postcode"]),
    "hukou": (False, ["户籍所在地", "户口所在地", "HJDM", "hukou"]),
    "student_number": (False, ["学籍号", "全国学籍号", "XJH", "student_number"]),
    "school_code": (True, ["学校代码", "学校标识码", "BYXXDM", "school_code"]),
    "category": (False, ["考生类别", "报考类别", "KSLBDM", "category"]),
    "candidate_number": (False, ["考生号", "KSH", "candidate_number"]),
    "class_name": (False, ["班级", "班级名称", "BJ", "class_name"]),
    # 高考
    "subject_track": (False, ["科类", "KLDM", "subject_track"]),
    "foreign_language": (False, ["外语语种", "WYYZDM", "WYYZ", "foreign_language"]),
    "graduation_school": (False, ["毕业学校", "毕业学校名称", "BYXXMC", "graduation_school"]),
    # 成人高考
    "education_level": (False, ["文化程度", "WHCDDM", "WHCD", "education_level"]),
    "occupation": (False, ["职业", "ZYDM", "occupation"]),
    "work_start": (False, ["参加工作时间", "工作日期", "GZRQ", "work_start"]),
    "candidate_feature": (False, ["考生特征", "KSTZDM", "candidate_feature"]),
    "enrolment_type": (False, ["招生类别", "ZSLBDM", "enrolment_type"]),
    "study_form": (False, ["学习形式", "XXXSDM", "study_form"]),
    "graduation_date": (False, ["毕业日期", "毕业时间", "BYRQ", "graduation_date"]),
    "diploma_number": (False, ["毕业证书编号", "BYZSBH", "diploma_number"]),
    "medical_license": (False, ["医学类执业资格证书编号", "执业资格证书编号", "ZYZGZSBH",
                                "medical_license"]),
    "remark": (False, ["备注", "BZ", "remark"]),
    "guardian1_name": (False, ["监护人1姓名", "监护人姓名", "父亲姓名", "guardian1_name"]),
    "guardian1_relation": (False, ["监护人1关系", "与考生关系", "guardian1_relation"]),
    "guardian1_phone": (False, ["监护人1电话", "监护人电话", "guardian1_phone"]),
}


def _header_key(text):
    # Templates mark required columns with '*' and full-width input is common.
    key = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", key).strip("*").lower()


_HEADER_INDEX = {_header_key(n): f for f, (_, names) in FIELDS.items() for n in names}


def fields_for(exam_kind):
    """FIELDS without the fields of other exam kinds (a 中招 file's 备注 is not 成人高考's)."""
    other = foreign_fields(exam_kind)
    return {f: spec for f, spec in FIELDS.items() if f not in other}


def auto_mapping(headers, exam_kind=None):
    """{field: column index} for every recognised header (first column wins); with
    ``exam_kind``, only the fields of that kind of exam."""
    allowed = fields_for(exam_kind) if exam_kind else FIELDS
    mapping = {}
    for index, header in enumerate(headers):
        field_key = _HEADER_INDEX.get(_header_key(header))
        if field_key in allowed and field_key not in mapping:
            mapping[field_key] = index
    return mapping


def required_fields(school_default=False):
    """The fields a file must carry. A school or registration point importing its own pupils
    may leave out 学校代码: the rows then belong to that unit (``importer.own_unit_code``)."""
    return [f for f, (required, _) in FIELDS.items()
            if required and not (school_default and f == "school_code")]


def missing_required(mapping, school_default=False):
    return [f for f in required_fields(school_default) if f not in mapping]


# --- template -----------------------------------------------------------------------

#: Columns the template formats as Text (@), so Excel keeps every digit and leading zero.
TEXT_FORMAT_FIELDS = LONG_NUMBER_FIELDS + ("school_code", "postcode", "hukou")
#: One example value per field (coded fields: the first code's Chinese name, see _example).
_EXAMPLES = {
    "name": "张三", "id_number": "41010220110401001" + id_check_char("41010220110401001"),
    "gender": "男", "birth_date": "2011-04-01", "phone": "13800000000",
    "address": "郑州市中原区建设路1号", "postcode": "450000", "hukou": "410102",
    "student_number": "G410102201104010011", "candidate_number": "26410102000001",
    "class_name": "九年级（1）班", "graduation_school": "郑州市第五十七中学",
    "work_start": "2015-07-01", "graduation_date": "2015-07-01",
    "guardian1_name": "张建国", "guardian1_phone": "13800000001",
}
_EXAMPLE_CODES = {**codes.COLUMN_CODES, "guardian1_relation": codes.GUARDIAN_RELATIONS}


def _example(field_key, exam_kind, school_code):
    if field_key == "school_code":
        return school_code or ""
    table = (codes.CANDIDATE_CATEGORIES.get(exam_kind, ()) if field_key == "category"
             else _EXAMPLE_CODES.get(field_key, ()))
    return table[0][1] if table else _EXAMPLES.get(field_key, "")


def template_xlsx(exam_kind, school_code=None):
    """An empty registry file for ``exam_kind`` as XLSX bytes: the first spelling of each of
    the kind's headers, one example row, and the long-number columns formatted as Text so an
    18-digit ID number typed into them is not cut to 15 digits."""
    from openpyxl import Workbook

    fields = list(fields_for(exam_kind))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([FIELDS[f][1][0] for f in fields])
    sheet.append([_example(f, exam_kind, school_code) for f in fields])
    for index, field_key in enumerate(fields, start=1):
        if field_key in TEXT_FORMAT_FIELDS:
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1001):  # the rows a school fills in; the header stays General
                sheet.cell(row=row, column=index).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def apply_mapping(table, mapping):
    """Yield (row_number, {field: text}); columns missing from a short row read as ''."""
    for number, cells in table.numbered():
        yield number, {f: cells[i] if i < len(cells) else "" for f, i in mapping.items()}


# --- value normalisers --------------------------------------------------------------

_GENDER_VALUES = {"男": "1", "男性": "1", "1": "1", "M": "1", "MALE": "1",
                  "女": "2", "女性": "2", "2": "2", "F": "2", "FEMALE": "2"}


def normalise_gender(value):
    """男/女, 1/2, M/F → the GENDERS code '1' or '2'."""
    key = unicodedata.normalize("NFKC", str(value or "")).strip().upper()
    try:
        return _GENDER_VALUES[key]
    except KeyError:
        raise InvalidValue("gender_value", _l(
            "Gender must be 男 or 女 (or 1/2, M/F), not “%(value)s”.", value=key)) from None


# Short forms people type for 政治面貌 that are not a label's prefix.
_CODE_ALIASES = {id(codes.POLITICAL_STATUS): {
    "党员": "01", "中共党员": "01", "预备党员": "02", "中共预备党员": "02",
    "团员": "03", "共青团员": "03"}}


def _without_zu(text):
    return text[:-1] if text.endswith("族") else text


def normalise_code(table, value, label=None):
    """A code of ``table`` (codes.py) from its code or its Chinese/English name.

    Excel drops leading zeros ('01' → 1), so short numbers are padded; '汉' matches '汉族'
    ('土' is 土族, not 土家族: only a trailing 族 is optional). ``label`` names the field
    in the error message.
    """
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    for code, zh, en in table:
        if text == code or (text.isdigit() and text.zfill(len(code)) == code):
            return code
        # Names compare NFKC-normalised on both sides: 护照（外籍） typed with ASCII brackets.
        if text and (_without_zu(text) == _without_zu(unicodedata.normalize("NFKC", zh))
                     or text.lower() == en.lower()):
            return code
    alias = _CODE_ALIASES.get(id(table), {}).get(text)
    if alias:
        return alias
    if label is None:
        raise InvalidValue("code_value", _l("“%(value)s” is not a valid value.",
                                               value=text))
    raise InvalidValue("code_value", _l("“%(value)s” is not a valid value for %(field)s.",
                                           value=text, field=message_text(label)))


_DATE_RES = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)


def normalise_date(value):
    """YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日 (or a date) → ``datetime.date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    for pattern in _DATE_RES:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                break
    raise InvalidValue("date_format", _l(
        "“%(value)s” is not a date; use YYYY-MM-DD, for example 2008-03-15.", value=text))
