"""Registry re-sync and damaged files through HTTP: a second import that changes many stored
records, ID numbers that Excel cut to 15 digits, and files far too wide to be a registry.

The module has its own database: the 20,000-record re-sync must not weigh on other modules."""
import csv
import datetime as dt
import io
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.candidates.models import Candidate, ImportBatch
from app.validators import make_id_number
from app.codes import ADULT, ZHONGZHAO
from app.extensions import db
from helpers import exam_id

HEADER = ["姓名", "身份证号", "性别", "学校代码", "民族", "联系电话", "班级"]
EXCEL_HINT = ("Excel", "文本")  # the refusal names Excel and the fix (format as text)


def ids(first, n, region="410102"):
    """n distinct valid ID numbers (born 2009–2010), numbered from ``first`` on."""
    out = []
    for k in range(first, first + n):
        birth = dt.date(2009, 1, 1) + dt.timedelta(days=k % 700)
        out.append(make_id_number(region, birth, 1 + k // 700))
    return out


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows([header] + rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def post_file(c, app, data, filename, kind=ZHONGZHAO):
    c.refresh_token("/registry-import/")
    return c.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": c.token, "exam": str(exam_id(app, kind)),
        "file": (io.BytesIO(data), filename)})


def run_import(c, app, data, filename="学籍.csv", kind=ZHONGZHAO, pages=None):
    """Upload → accept the automatic mapping → run the job; (batch id, status JSON). The
    mapping page is appended to ``pages`` when given."""
    resp = post_file(c, app, data, filename, kind)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    if pages is not None:
        pages.append(c.get(f"/registry-import/{batch_id}/mapping").get_data(as_text=True))
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {f"col_{k}": str(v) for k, v in mapping.items()})
    assert resp.status_code == 302 and resp.location.endswith(f"/registry-import/{batch_id}")
    c.run_jobs()
    return batch_id, c.get(f"/registry-import/{batch_id}/status").get_json()


def error_report(c, batch_id):
    resp = c.get(f"/registry-import/{batch_id}/errors.csv")
    assert resp.status_code == 200
    return [r for r in csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")))][1:]


def snapshot(app, id_numbers, *fields):
    """{ID number: (field values...)} of the stored records among ``id_numbers``."""
    out = {}
    with app.app_context():
        for start in range(0, len(id_numbers), 1000):
            chunk = id_numbers[start:start + 1000]
            for row in db.session.execute(select(
                    Candidate.id_number, *(getattr(Candidate, f) for f in fields))
                    .where(Candidate.id_number.in_(chunk))):
                out[row[0]] = tuple(row[1:])
    return out


def set_stored(app, id_number, **values):
    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one()
        for key, value in values.items():
            setattr(cand, key, value)
        db.session.commit()


def sex(id_number):
    return "男" if int(id_number[16]) % 2 else "女"


def registry_rows(numbers, schools, phone_base, ethnicity, class_name):
    return [["同步" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12], n,
             sex(n), schools[i % len(schools)],
             ethnicity, f"1{phone_base + i:010d}", class_name] for i, n in enumerate(numbers)]


# --- 1. a re-sync that changes many records ----------------------------------------------------

def store_directly(app, rows):
    """Store the records of registry ``rows`` as the first import would, in one statement
    (the 20,000-record case tests the re-sync, not the first import)."""
    from sqlalchemy import insert

    from app.jurisdiction import Node

    with app.app_context():
        units = dict(db.session.execute(select(Node.code, Node.id)).all())
        now, exam = dt.datetime.now(), exam_id(app)
        db.session.connection().execute(insert(Candidate.__table__), [dict(
            exam_id=exam, node_id=units[school], name=name, id_number=number,
            gender="1" if sex_ == "男" else "2", ethnicity="01", phone=phone,
            class_name=class_name, created_on=now, changed_on=now,
            birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])))
            for name, number, sex_, school, _eth, phone, class_name in rows])
        db.session.commit()


def resync(c, app, numbers, schools, frozen=(), first_by_http=True):
    """Import ``numbers`` (plus ``frozen``), freeze the ``frozen`` records (each a dict of
    stored values), then import the registry again with new phone, ethnicity and class for
    every row; return (status, batch id) of the second import."""
    everyone = list(numbers) + [n for n, _values in frozen]
    first = registry_rows(everyone, schools, 3800000000, "汉族", "九年级（1）班")
    if first_by_http:
        _, status = run_import(c, app, csv_bytes(first))
        assert (status["status"], status["created"], status["rejected"]) == (
            "done", len(everyone), 0)
    else:
        store_directly(app, first)
    for number, values in frozen:
        set_stored(app, number, **values)
    before = snapshot(app, everyone, "version")
    batch_id, status = run_import(c, app, csv_bytes(
        registry_rows(everyone, schools, 3900000000, "回族", "九年级（2）班")))
    after = snapshot(app, everyone, "phone", "ethnicity", "class_name", "version")
    for i, number in enumerate(numbers):
        assert after[number] == (f"1{3900000000 + i:010d}", "03", "九年级（2）班",
                                 before[number][0] + 1), number
    for k, (number, _values) in enumerate(frozen, start=len(numbers)):
        assert after[number] == (f"1{3800000000 + k:010d}", "01", "九年级（1）班",
                                 before[number][0]), number
    return status, batch_id


@pytest.mark.parametrize("n, first", [(1, 0), (2, 10), (500, 100)])
def test_resync_of_changed_records_updates_every_one(login, app, n, first):
    school = login("zy_school")
    status, batch_id = resync(school, app, ids(first, n), ["41010201"])
    assert (status["status"], status["updated"], status["rejected"]) == ("done", n, 0), status
    assert status["message"] is None and error_report(school, batch_id) == []


def test_resync_refuses_locked_and_approved_rows_one_by_one(login, app):
    school = login("zy_school")
    numbers, (locked, approved, county) = ids(700, 40), ids(760, 3)
    frozen = [(locked, {"locked": True}), (approved, {"state": "school_approved"}),
              (county, {"state": "county_approved"})]
    status, batch_id = resync(school, app, numbers, ["41010201"], frozen)
    assert (status["status"], status["updated"], status["rejected"]) == ("done", 40, 3), status
    report = {int(row): (column, reason) for row, column, reason in error_report(school, batch_id)}
    assert set(report) == {42, 43, 44}  # the data rows after the 40 changed ones
    assert report[42][0] == "身份证号" and "锁定" in report[42][1]
    assert "审核通过后不得修改" in report[43][1] and "学校/报名点已审核" in report[43][1]
    assert "审核通过后不得修改" in report[44][1] and "县级已审核" in report[44][1]


def test_resync_of_20000_records_by_a_county_user(login, app):
    county = login("zy_admin")
    numbers = ids(5000, 20_000)
    status, _batch_id = resync(county, app, numbers, ["41010201", "41010202"],
                               first_by_http=False)
    assert (status["status"], status["updated"], status["rejected"]) == ("done", 20_000, 0)


# --- 2. numbers Excel cut to 15 digits ---------------------------------------------------------

def truncated(id_number):
    """What Excel makes of an 18-digit number: 15 significant digits, then zeros."""
    return id_number[:15] + "000"


def valid_truncation(nth=0):
    """The ``nth`` (real ID number, its Excel truncation) where the truncation has a VALID
    check digit, so only the Excel pattern can tell that it is not the candidate's number."""
    for day in range(400):
        birth = dt.date(2010, 1, 1) + dt.timedelta(days=day)
        for hundred in range(1, 10):
            wrong = make_id_number("410104", birth, hundred * 100)
            if wrong.endswith("000") and nth:
                nth -= 1
            elif wrong.endswith("000"):
                # 女, as the truncation reads: gender and birth date agree with it.
                real = make_id_number("410104", birth, hundred * 100 + 24)
                assert truncated(real) == wrong and real != wrong
                return real, wrong
    raise AssertionError("no valid truncation found")


def assert_refused_for_excel(report, rows, column="身份证号"):
    by_row = {int(r): (c, reason) for r, c, reason in report}
    for row in rows:
        got_column, reason = by_row[row]
        assert got_column == column and all(word in reason for word in EXCEL_HINT), reason
        assert "校验" not in reason  # not the misleading "check digit wrong"
    return by_row


def test_xlsx_with_numeric_id_cells_is_refused_per_row(login, app):
    school = login("zy_school")
    real, wrong = valid_truncation()
    others = ids(30_000, 3, "410104")
    rows = [["截断甲", float(wrong), sex(real), "41010201", "汉族", 13800001111, ""],
            ["截断乙", float(truncated(others[0])), "男", "41010201", "汉族", 13800001112, ""],
            ["截断丙", int(others[1]), "男", "41010201", "汉族", 13800001113, ""],
            ["文本丁", others[2], sex(others[2]), "41010201", "汉族", 13800001114, ""]]
    batch_id, status = run_import(school, app, xlsx_bytes(rows), "学籍.xlsx")
    assert (status["created"], status["rejected"]) == (1, 3), status
    report = error_report(school, batch_id)
    assert len(report) == 3
    assert_refused_for_excel(report, [2, 3, 4])
    assert snapshot(app, [real, wrong, truncated(others[0]), others[0], others[1]], "name") == {}
    assert snapshot(app, [others[2]], "phone") == {others[2]: ("13800001114",)}


def test_gbk_csv_saved_by_excel_with_truncated_ids(login, app):
    school = login("zy_school")
    real, wrong = valid_truncation()
    others = ids(31_000, 3, "410104")
    header = ["姓名", "身份证号", "性别", "学校代码", "民族"]
    data = csv_bytes([["截断一", wrong, sex(real), "41010201", "汉族"],
                      ["截断二", truncated(others[0]), "男", "41010201", "汉族"],
                      ["截断三", truncated(others[1]), "男", "41010201", "汉族"],
                      ["完整四", others[2], sex(others[2]), "41010201", "汉族"]],
                     header=header, encoding="gbk")
    pages = []
    batch_id, status = run_import(school, app, data, pages=pages)
    # The mapping page warns before the import starts.
    assert 'id="excel-cut"' in pages[0] and "“身份证号”列有 3 行" in pages[0]
    assert (status["created"], status["rejected"]) == (1, 3), status
    report = error_report(school, batch_id)
    assert len(report) == 3
    assert_refused_for_excel(report, [2, 3, 4])
    assert snapshot(app, [wrong, real, truncated(others[0]), truncated(others[1])], "name") == {}


def test_gbk_csv_with_scientific_notation_in_number_columns(login, app):
    school = login("zy_school")
    good = ids(32_000, 3, "410104")
    header = ["姓名", "身份证号", "性别", "学校代码", "学籍号", "联系电话"]
    data = csv_bytes([["科学甲", "4.10104E+17", "男", "41010201", "", "13800001111"],
                      ["科学乙", "4.10102E+17", "男", "41010201", "", "13800001112"],
                      ["科学丙", good[0], sex(good[0]), "41010201", "1.05891E+17", "13800001113"],
                      ["科学丁", good[1], sex(good[1]), "41010201", "G410104200801205123", "1.38E+10"],
                      ["科学戊", good[2], sex(good[2]), "41010201", "G410104200801205125",
                       "13800001115"]],
                     header=header, encoding="gbk")
    batch_id, status = run_import(school, app, data)
    assert (status["created"], status["rejected"]) == (1, 4), status
    report = error_report(school, batch_id)
    assert len(report) == 4
    assert_refused_for_excel(report, [2, 3])
    assert_refused_for_excel(report, [4], column="学籍号")
    assert_refused_for_excel(report, [5], column="联系电话")
    assert snapshot(app, good, "student_number") == {good[2]: ("G410104200801205125",)}
    with app.app_context():
        assert db.session.execute(select(Candidate.id).where(
            Candidate.student_number.like("%E+%"))).first() is None


def test_a_genuine_id_ending_in_000_among_others_is_kept(login, app):
    """The pattern is judged per column: one genuine number that happens to end in 000
    (valid check digit) among intact ones is the candidate's, not Excel's damage."""
    school = login("zy_school")
    _real, genuine = valid_truncation(1)
    others = ids(33_000, 4, "410104")
    header = ["姓名", "身份证号", "性别", "学校代码"]
    rows = [["真零", genuine, "女", "41010201"]] + [
        ["完整" + "甲乙丙丁"[i], n, sex(n), "41010201"] for i, n in enumerate(others)]
    _, status = run_import(school, app, csv_bytes(rows, header=header, encoding="gbk"))
    assert (status["created"], status["rejected"]) == (5, 0), status
    assert snapshot(app, [genuine], "name") == {genuine: ("真零",)}


def test_payment_file_uses_the_same_rule(login, app):
    admin = login("zy_admin")
    body = "考生号,身份证号,金额,缴费时间,交易流水号\n,4.10104E+17,160,2026-09-05 10:01,TX9001\n"
    admin.refresh_token("/adult/payments/")
    resp = admin.post("/adult/payments/import", {
        "exam": str(exam_id(app, ADULT)), "file": (io.BytesIO(body.encode("gbk")), "pay.csv")},
        content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "拒绝 1 条" in page
    assert "Excel" in page and "15 位" in page


# --- 15. files far too wide to be a registry ----------------------------------------------------

def refused_upload(c, app, data, filename):
    with app.app_context():
        before = db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar()
    started = time.perf_counter()
    resp = post_file(c, app, data, filename)
    elapsed = time.perf_counter() - started
    with app.app_context():
        after = db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar()
        assert after == before  # nothing stored
    return resp, resp.get_data(as_text=True), elapsed


def test_csv_with_a_million_columns_is_refused_at_once(login, app):
    school = login("zy_school")
    data = ("列名甲," * 1_000_000 + "\n张三\n").encode("utf-8")
    assert len(data) > 9_900_000
    resp, page, elapsed = refused_upload(school, app, data, "宽.csv")
    assert resp.status_code == 422 and elapsed < 3, (resp.status_code, elapsed)
    assert "第一行" in page and "列名" in page


def test_csv_and_xlsx_with_too_many_columns_are_refused(login, app):
    school = login("zy_school")
    header = [f"列{i}" for i in range(300)]
    for data, name in ((csv_bytes([["x"] * 300], header=header), "宽.csv"),
                       (xlsx_bytes([["x"] * 300], header=header), "宽.xlsx")):
        resp, page, _elapsed = refused_upload(school, app, data, name)
        assert resp.status_code == 422, name
        assert "300 列" in page and "最多 200 列" in page, name
    # A data row far wider than its header is refused too.
    data = ("姓名,身份证号,学校代码\n张三," + ",".join(["1"] * 500_000) + "\n").encode()
    resp, page, elapsed = refused_upload(school, app, data, "行宽.csv")
    assert resp.status_code == 422 and "第 2 行" in page and elapsed < 3


def test_xlsx_without_a_declared_size_is_cut_and_refused_per_row():
    """A sheet whose XML declares no size (other writers than Excel) is read one column past
    the limit, so its width is still caught without reading the extra cells."""
    import re
    import zipfile

    from app.candidates.registry_file import RegistryFileError, read_table

    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["x"] * 300],
                                                   header=[f"列{i}" for i in range(300)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(item, data)
    with pytest.raises(RegistryFileError) as info:
        read_table(out.getvalue(), "宽.xlsx")
    assert info.value.code == "too_wide" and "201" in str(info.value)


def test_cells_beyond_the_limit_are_refused(monkeypatch):
    from app.candidates import registry_file

    monkeypatch.setattr(registry_file, "MAX_CELLS", 10)
    rows = [["张三", "1", "2", "", ""]] * 3  # trailing empty cells do not count
    assert len(registry_file.read_table(csv_bytes(rows, header=["a", "b", "c", "d", "e"]),
                                        "a.csv").rows) == 3
    with pytest.raises(registry_file.RegistryFileError) as info:
        registry_file.read_table(csv_bytes(rows * 2, header=["a", "b", "c"]), "a.csv")
    assert info.value.code == "too_large"
