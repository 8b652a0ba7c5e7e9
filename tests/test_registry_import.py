"""Registry import through HTTP: upload → mapping → job → summary, status and error report."""
import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.candidates.models import Candidate, ImportBatch
from app.candidates.validators import make_id_number
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db

HEADER = ["姓名", "身份证号", "性别", "学校代码", "民族", "联系电话", "监护人姓名"]


def idn(day, seq, region="410102"):
    return make_id_number(region, dt.date(2011, 4, day), seq)


def exam_id(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()


def csv_bytes(rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER] + rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import(c, app, data, filename="学籍.csv"):
    """Upload, accept the automatic mapping, run the job; return (batch, status JSON)."""
    c.refresh_token("/registry-import/")
    resp = c.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": c.token, "exam": str(exam_id(app)), "file": (io.BytesIO(data), filename)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {f"col_{k}": str(v) for k, v in mapping.items()})
    assert resp.status_code == 302 and resp.location.endswith(f"/registry-import/{batch_id}")
    c.run_jobs()
    status = c.get(f"/registry-import/{batch_id}/status").get_json()
    return batch_id, status


def error_report(c, batch_id):
    resp = c.get(f"/registry-import/{batch_id}/errors.csv")
    assert resp.status_code == 200
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def candidate(app, id_number):
    """A detached snapshot of the stored candidate (None if absent)."""
    from types import SimpleNamespace

    with app.app_context():
        cand = db.session.execute(
            select(Candidate).where(Candidate.id_number == id_number)).scalar_one_or_none()
        if cand is None:
            return None
        return SimpleNamespace(name=cand.name, gender=cand.gender, ethnicity=cand.ethnicity,
                               node=SimpleNamespace(code=cand.node.code),
                               guardians=[SimpleNamespace(name=g.name) for g in cand.guardians])


@pytest.fixture
def school(login):
    return login("zy_school")


def test_gbk_csv_with_mixed_good_and_bad_rows(school, app):
    good1, good2 = idn(1, 201), idn(2, 202)
    data = csv_bytes([
        ["李小明", good1, "男", "41010201", "汉族", "13800001111", "李建国"],
        ["王小红", good2, "女", "41010201", "汉", "13800001112", ""],
        ["坏号码", "410102201104031234", "男", "41010201", "汉", "13800001113", ""],
        ["错电话", idn(4, 203), "男", "41010201", "汉", "138", ""],
        ["外县生", idn(5, 205, "410103"), "男", "41010301", "汉", "13800001115", ""],
        ["无此校", idn(6, 207), "男", "99999999", "汉", "13800001116", ""],
        ["重复者", good1, "男", "41010201", "汉", "13800001117", ""],
    ], encoding="gbk")
    batch_id, status = run_import(school, app, data)
    assert status["status"] == "done" and status["percent"] == 100
    assert (status["total"], status["created"], status["updated"], status["rejected"]) == (7, 2, 0, 5)
    first = candidate(app, good1)
    assert first.name == "李小明" and first.gender == "1" and first.ethnicity == "01"
    assert [g.name for g in first.guardians] == ["李建国"]
    report = error_report(school, batch_id)
    assert report[0] == ["行号", "列", "原因"]
    by_row = {int(r[0]): r for r in report[1:]}
    assert set(by_row) == {4, 5, 6, 7, 8}
    assert by_row[4][1] == "身份证号" and by_row[5][1] == "联系电话"
    assert "41010301" in by_row[6][2] and by_row[6][1] == "学校代码"
    assert "99999999" in by_row[7][2]
    assert "2" in by_row[8][2]  # duplicate of row 2
    assert candidate(app, idn(5, 205, "410103")) is None


def test_reimport_updates_without_duplicates(school, app):
    id_number = idn(10, 211)
    run_import(school, app, csv_bytes([["赵一", id_number, "男", "41010201", "汉", "13800002222", ""]]))
    _, status = run_import(school, app, csv_bytes(
        [["赵一", id_number, "男", "41010201", "回族", "13900002222", ""]]))
    assert (status["created"], status["updated"], status["rejected"]) == (0, 1, 0)
    with app.app_context():
        rows = db.session.execute(select(Candidate).where(Candidate.id_number == id_number)).scalars().all()
        assert len(rows) == 1 and rows[0].ethnicity == "03" and rows[0].phone == "13900002222"
        assert rows[0].node.code == "41010201"


def test_county_admin_import_spans_its_schools(login, app, school):
    c = login("zy_admin")
    a, b = idn(20, 221), idn(21, 223)
    _, status = run_import(c, app, csv_bytes([
        ["吴五", a, "男", "41010201", "汉", "13800006666", ""],
        ["郑六", b, "男", "41010202", "汉", "13800007777", ""]]))
    assert status["created"] == 2
    assert candidate(app, b).node.code == "41010202"


def test_xlsx_import(school, app):
    id_number = idn(12, 214)
    data = xlsx_bytes([["钱二", id_number, "女", "41010201", "汉族", "13800003333", None]])
    _, status = run_import(school, app, data, "学籍.xlsx")
    assert status["created"] == 1
    assert candidate(app, id_number).gender == "2"


def test_import_cannot_touch_other_county_record(login, app, school):
    other = login("eq_school")
    id_number = idn(14, 215, "410103")
    run_import(other, app, csv_bytes([["孙三", id_number, "男", "41010301", "汉", "13800004444", ""]]))
    batch_id, status = run_import(school, app, csv_bytes(
        [["孙三", id_number, "男", "41010201", "汉", "13800004444", ""]]))
    assert status["rejected"] == 1 and status["updated"] == 0
    assert candidate(app, id_number).node.code == "41010301"
    assert "郑州市第五十六中学" in error_report(school, batch_id)[1][2]


def test_not_a_table_is_refused_and_nothing_stored(school, app):
    with app.app_context():
        before = db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar()
    school.refresh_token("/registry-import/")
    resp = school.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": school.token, "exam": str(exam_id(app)),
        "file": (io.BytesIO(b"%PDF-1.4 binary \x00\x01"), "学籍.xlsx")}, follow_redirects=True)
    assert "表格" in resp.get_data(as_text=True) or "not a table" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(ImportBatch)).scalar() == before


def test_missing_required_column_is_refused(school, app):
    school.refresh_token("/registry-import/")
    resp = school.http.post("/registry-import/", content_type="multipart/form-data", data={
        "csrf_token": school.token, "exam": str(exam_id(app)),
        "file": (io.BytesIO("姓名,身份证号\n张三,11010519491231002X\n".encode()), "a.csv")})
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    resp = school.post(f"/registry-import/{batch_id}/mapping", {"col_name": "0", "col_id_number": "1"})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "uploaded"


def test_batch_of_other_county_is_404(login, app, school):
    batch_id, _ = run_import(school, app, csv_bytes(
        [["周四", idn(16, 217), "男", "41010201", "汉", "13800005555", ""]]))
    other = login("eq_school")
    for path in ("", "/status", "/errors.csv", "/mapping"):
        assert other.get(f"/registry-import/{batch_id}{path}").status_code == 404


def test_reviewer_cannot_import(login):
    assert login("zy_reviewer").get("/registry-import/").status_code == 403
