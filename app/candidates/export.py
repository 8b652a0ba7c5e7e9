"""Export of the (scoped, filtered) candidate list to XLSX or CSV, with headers the registry
import recognises, so an export can be corrected and imported again."""
import csv
import io

from openpyxl import Workbook

from . import codes

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
    ("学校代码", lambda c: c.node.code),
    ("学校名称", lambda c: c.node.name),
    ("考生类别", lambda c: c.category or ""),
]


def rows(candidates):
    for cand in candidates:
        yield [str(fn(cand) or "") for _h, fn in COLUMNS]


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
