"""Export of the (scoped, filtered) candidate list to XLSX or CSV, with headers the registry
import recognises, so an export can be corrected and imported again; and ``safe_cell``, which
every spreadsheet or CSV the application writes passes its cells through."""
import csv
import io

from openpyxl import Workbook

from .. import codes
from ..extensions import db
from .models import ImportRowError

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


def _coded(table, attr):
    return lambda c: codes.label(table, getattr(c, attr)) or ""


def _date(attr):
    return lambda c: getattr(c, attr).isoformat() if getattr(c, attr) else ""


def _text(attr):
    return lambda c: getattr(c, attr) or ""


COLUMNS = [
    ("姓名", lambda c: c.name),
    ("身份证号", lambda c: c.id_number),
    ("性别", lambda c: codes.label(codes.GENDERS, c.gender)),
    ("出生日期", lambda c: c.birth_date.isoformat() if c.birth_date else ""),
    ("民族", lambda c: codes.label(codes.ETHNICITIES, c.ethnicity) or ""),
    ("政治面貌", lambda c: codes.label(codes.POLITICAL_STATUS, c.political_status) or ""),
    ("联系电话", lambda c: c.phone or ""),
    ("通讯地址", lambda c: c.address or ""),
    ("邮政编码", lambda c: c.postcode or ""),
    ("户籍所在地", lambda c: c.hukou or ""),
    ("学籍号", lambda c: c.student_number or ""),
    ("考生号", _text("candidate_number")),
    ("班级", _text("class_name")),
    ("学校代码", lambda c: c.node.code),
    ("学校名称", lambda c: c.node.name),
    ("考生类别", lambda c: c.category or ""),
    # 高考 and 成人高考 fields, empty for the other kinds
    ("科类", _coded(codes.SUBJECT_TRACKS, "subject_track")),
    ("外语语种", _coded(codes.FOREIGN_LANGUAGES, "foreign_language")),
    ("毕业学校", _text("graduation_school")),
    ("文化程度", _coded(codes.EDUCATION_LEVELS, "education_level")),
    ("职业", _coded(codes.OCCUPATIONS, "occupation")),
    ("参加工作时间", _date("work_start")),
    ("考生特征", _coded(codes.ADULT_FEATURES, "candidate_feature")),
    ("招生类别", _coded(codes.ENROLMENT_TYPES, "enrolment_type")),
    ("学习形式", _coded(codes.STUDY_FORMS, "study_form")),
    ("毕业日期", _date("graduation_date")),
    ("毕业证书编号", _text("diploma_number")),
    ("医学类执业资格证书编号", _text("medical_license")),
    ("备注", _text("remark")),
]


def rows(candidates):
    for cand in candidates:
        yield safe_row(str(fn(cand) or "") for _h, fn in COLUMNS)


def to_csv(candidates):
    out = io.StringIO()
    out.write("\ufeff")  # Excel on Chinese Windows reads UTF-8 only with a BOM
    writer = csv.writer(out)
    writer.writerow([h for h, _fn in COLUMNS])
    count = 0
    for row in rows(candidates):
        writer.writerow(row)
        count += 1
    return out.getvalue().encode("utf-8"), count


def to_xlsx(candidates):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("考生")
    ws.append([h for h, _fn in COLUMNS])
    count = 0
    for row in rows(candidates):
        # Strings stay strings: an ID number must never become a float in Excel.
        ws.append(row)
        count += 1
    buf = io.BytesIO()
    wb.save(buf)
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
